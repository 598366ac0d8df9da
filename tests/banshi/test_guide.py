"""Guide Q&A over the demo catalog in a real database: resolution, clarifying, follow-ups."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.settings import Settings
from banshi.answers import MENU
from banshi.asks import Ask
from banshi.choices import parse_choice
from banshi.conversation import Gist, Request
from banshi.guide import DialogueState, Guide, GuideOutcome
from banshi.lexicon import load_lexicon
from banshi.resolution import Resolver
from banshi.text import split_message
from banshi.unanswered import UnansweredReason
from banshi.understanding import Heard, Reading, Verdict
from catalog_sync.service import run_sync
from tests.conftest import DELTA, HALLS

FIRST, RENEW, REISSUE, LOSS = (
    "11139900MB1A00010P3002011001001",
    "11139900MB1A00010P3002011001002",
    "11139900MB1A00010P3002011001003",
    "11139900MB1A00010P3002011002000",
)
HOUSE = "11139900MB1A00070G3000713002001"
E_BIKE = "11139900MB1A00011D3000712003000"
THURSDAY = date(2026, 11, 26)


@pytest.fixture
def guide(catalog: Engine, settings: Settings) -> Guide:
    return Guide(catalog, Resolver(load_lexicon(settings.lexicon_path)))


def ask(guide: Guide, text: str, asked: Ask | None, state: DialogueState | None = None):  # type: ignore[no-untyped-def]
    """``asked`` None: a pick from the list offered (the NLU read a number)."""
    return guide.handle(text, asked, state or DialogueState(), today=THURSDAY, pick=asked is None)


def test_colloquial_question_is_answered_with_the_formal_name(guide: Guide) -> None:
    reply = ask(guide, "身份证丢了咋补办，要带啥", Ask.MATERIALS)
    assert reply.outcome is GuideOutcome.ANSWERED
    assert reply.state.item_code == REISSUE
    text = "\n".join(reply.messages)
    assert text.startswith("【居民身份证补领】")
    assert "原件1份" in text and "如属「异地补领（跨省通办）」" in text
    assert "信息更新于" in text


def test_traditional_characters(guide: Guide) -> None:
    reply = ask(guide, "辦居住證要多久", Ask.TIME_LIMIT)
    assert reply.messages[0].startswith("【居住证申领】")
    assert "10个工作日" in reply.messages[0]


def test_follow_up_keeps_the_item_and_a_new_item_replaces_it(guide: Guide) -> None:
    first = ask(guide, "二手房过户在哪办", Ask.PLACE_HOURS)
    assert first.state.item_code == HOUSE
    assert "不动产登记中心" in first.messages[0]
    assert "今天（11月26日 周四）开放" in first.messages[0]

    fees = ask(guide, "那要收费吗", Ask.FEES, first.state)
    assert fees.state.item_code == HOUSE
    assert fees.messages[0].startswith("【存量房转移登记（二手房买卖）】收费标准")

    other = ask(guide, "结婚登记要带什么", Ask.MATERIALS, fees.state)
    assert other.state.item_code != HOUSE
    assert "结婚登记" in other.messages[0]


def test_free_item_says_exactly_no_fee(guide: Guide) -> None:
    reply = ask(guide, "结婚登记收钱吗", Ask.FEES)
    assert "】不收费。" in "\n".join(reply.messages)


def test_ambiguous_question_asks_back_and_accepts_number_words_or_name(guide: Guide) -> None:
    reply = ask(guide, "我想办身份证", Ask.MATERIALS)
    assert reply.outcome is GuideOutcome.CLARIFY
    assert set(reply.state.candidates) >= {FIRST, RENEW, REISSUE}
    assert reply.messages[0].splitlines()[1].startswith("1. 居民身份证")
    assert reply.state.pending is Ask.MATERIALS

    by_number = ask(guide, "2", None, reply.state)
    assert by_number.state.item_code == reply.state.candidates[1]
    assert "需要准备的材料" in by_number.messages[0]

    by_words = ask(guide, "第一个", None, reply.state)
    assert by_words.state.item_code == reply.state.candidates[0]

    by_name = ask(guide, "补领", Ask.OVERVIEW, reply.state)
    assert by_name.state.item_code == REISSUE

    wrong = ask(guide, "第九个", None, reply.state)
    assert (
        wrong.outcome is GuideOutcome.INVALID_CHOICE
        and wrong.state.candidates == reply.state.candidates
    )


def test_nothing_fits_offers_a_human_instead_of_guessing(guide: Guide) -> None:
    reply = ask(guide, "养狗要办狗证吗", Ask.OVERVIEW)
    assert reply.outcome is GuideOutcome.NOT_FOUND
    assert "人工" in reply.messages[0]


def test_suspended_item_is_said_to_be_suspended(guide: Guide) -> None:
    reply = ask(guide, "灵活就业人员参保登记要带什么", Ask.MATERIALS)
    assert "暂停办理" in reply.messages[0]


def test_item_added_by_a_delta_is_answerable_at_once(
    guide: Guide, catalog: Engine, settings: Settings
) -> None:
    before = ask(guide, "电动自行车注册登记要带什么", Ask.MATERIALS)
    assert before.state.item_code != E_BIKE
    run_sync(str(DELTA), catalog, settings)
    after = ask(guide, "电动自行车注册登记要带什么", Ask.MATERIALS)
    assert after.state.item_code == E_BIKE
    assert after.messages[0].startswith("【电动自行车注册登记】")


def test_cancelled_item_is_not_answered_as_open(
    guide: Guide, catalog: Engine, settings: Settings
) -> None:
    run_sync(str(DELTA), catalog, settings)
    reply = ask(guide, "职业技能等级证书查询与补发", Ask.MATERIALS)
    text = "\n".join(reply.messages)
    assert "已取消" in text and "需要准备的材料" not in text


def test_empty_and_very_long_messages_get_a_polite_answer(guide: Guide) -> None:
    assert ask(guide, "  😀 ", Ask.OVERVIEW).outcome is GuideOutcome.REJECTED_INPUT
    long = ask(guide, "身份证" * 200, Ask.OVERVIEW)
    assert long.outcome is GuideOutcome.REJECTED_INPUT and "一两句话" in long.messages[0]


def test_item_faq_is_used_when_the_question_matches(guide: Guide) -> None:
    from banshi.catalog import get_item
    from banshi.db import session_scope

    with session_scope(guide.engine) as session:
        item = get_item(session, REISSUE)
        assert item is not None and item.questions
        question = item.questions[1].question  # 补领期间急用身份证怎么办？
    reply = ask(guide, question, Ask.PROCESS)
    assert any("常见问题" in m for m in reply.messages)


def test_parse_choice() -> None:
    assert parse_choice("2", 4) == 2
    assert parse_choice("第二个", 4) == 2
    assert parse_choice("选3", 4) == 3
    assert parse_choice("就第三个吧", 4) == 3
    assert parse_choice("最后一个", 4) == 4
    assert parse_choice("二", 4) == 2
    assert parse_choice("第5个", 4) == -1
    assert parse_choice("补领", 4) is None


def test_long_answers_are_split_under_the_wechat_limit() -> None:
    text = "\n".join(f"{i}. 材料名称" * 30 for i in range(60))
    parts = split_message(text)
    assert len(parts) > 1
    assert all(len(p.encode("utf-8")) <= 2000 for p in parts)
    assert "".join(p.replace("\n", "") for p in parts) == text.replace("\n", "")


# ---------------------------------------------------------------------- deciding, then answering


def test_an_unsure_nlu_still_gets_the_item_the_resolver_finds(guide: Guide) -> None:
    heard = Heard(
        "身份证丢了咋补办，要带啥",
        (Reading(Gist.OUT_OF_SCOPE, 0.3), Reading(Gist.QUESTION, 0.25, ask=Ask.MATERIALS)),
        flagged=True,
    )
    understood = guide.understand(heard, DialogueState())
    assert understood.verdict is Verdict.QUESTION and understood.ask is Ask.MATERIALS
    reply = guide.handle(
        heard.text, understood.ask, DialogueState(), today=THURSDAY, found=understood.found
    )
    assert reply.messages[0].startswith("【居民身份证补领】需要准备的材料")


def test_a_task_word_next_to_an_item_is_the_items_question(guide: Guide) -> None:
    heard = Heard(
        "补办身份证能撤销吗",
        (Reading(Gist.TASK, 0.9, request=Request.CANCEL_BOOKING),),
    )
    assert guide.understand(heard, DialogueState()).verdict is Verdict.QUESTION
    weather = Heard("今天天气怎么样", (Reading(Gist.OUT_OF_SCOPE, 0.99),))
    assert guide.understand(weather, DialogueState()).verdict is Verdict.OUT_OF_SCOPE


def test_picks_from_what_was_offered_are_picks(guide: Guide) -> None:
    offered = ask(guide, "我想办身份证", Ask.MATERIALS).state
    two = Heard("2", (Reading(Gist.PICK, 1.0),))
    assert guide.understand(two, offered).verdict is Verdict.PICK
    named = Heard("补领", (Reading(Gist.QUESTION, 0.6, ask=Ask.OVERVIEW),))
    assert guide.understand(named, offered).verdict is Verdict.PICK
    after_card = DialogueState(item_code=REISSUE)
    assert guide.understand(Heard("3", ()), after_card).verdict is Verdict.PICK


def test_overview_card_offers_the_aspects_by_number(guide: Guide) -> None:
    card = ask(guide, "居民身份证补领咋整", Ask.OVERVIEW)
    text = "\n".join(card.messages)
    assert text.startswith("【居民身份证补领】")
    for part in ("由示范市公安局办理", "谁可以办：", "材料：", "地点：", "收费：", "请回复序号"):
        assert part in text, part
    assert "1.所需材料" in text and f"{len(MENU)}.{MENU[-1].label}" in text
    assert card.state.item_code == REISSUE and card.state.candidates == []

    third = guide.handle("3", None, card.state, today=THURSDAY, pick=True)
    assert MENU[2] is Ask.PROCESS and third.messages[0].startswith("【居民身份证补领】办理流程")
    assert third.state.item_code == REISSUE


def test_eligibility_is_answered_from_the_conditions_saying_what_decides_it(guide: Guide) -> None:
    reply = ask(guide, "在外地丢了身份证，能不能在这边补", Ask.CONDITIONS)
    text = "\n".join(reply.messages)
    assert text.startswith("【居民身份证补领】能不能办，要看是否符合以下受理条件：")
    assert "户籍地补领、异地补领（跨省通办）" in text  # the situations, which differ
    assert "拿不准自己是否符合的" in text


def test_a_question_nothing_fits_is_kept_for_staff_masked(guide: Guide, catalog: Engine) -> None:
    from banshi.db import session_scope
    from banshi.unanswered import UnansweredQuestion

    reply = ask(guide, "养狗要办狗证吗", Ask.OVERVIEW)
    assert reply.outcome is GuideOutcome.NOT_FOUND
    guide.note_unanswered("我电话13800138000，今天天气怎么样", UnansweredReason.OUT_OF_SCOPE)
    with session_scope(catalog) as session:
        kept = {(q.text, q.reason) for q in session.execute(select(UnansweredQuestion)).scalars()}
    assert ("养狗要办狗证吗", "no_item") in kept
    assert ("我电话138****8000，今天天气怎么样", "out_of_scope") in kept


# ---------------------------------------------------------------------- one 事项, several places


def test_an_item_every_district_implements_asks_only_for_the_district(
    guide: Guide, districts: dict[str, str]
) -> None:
    asked = ask(guide, "护照办理收费吗", Ask.FEES)
    assert asked.outcome is GuideOutcome.CLARIFY
    [question] = asked.messages
    assert "您在哪个区办理" in question and "2. 桥西区" in question and "3. 桥东区" in question
    assert "普通护照签发（港澳台居民）" not in question  # no list of near-identical names
    assert asked.state.candidates[1:] == [districts["桥西区"], districts["桥东区"]]
    assert asked.state.pending is Ask.FEES

    named = guide.handle("桥西", None, asked.state, today=THURSDAY)
    assert named.outcome is GuideOutcome.ANSWERED
    assert named.state.item_code == districts["桥西区"] and named.state.region == "桥西区"
    assert named.messages[0].startswith("【普通护照签发】收费标准")

    # the choice is remembered: the next question about it is answered for 桥西区 at once
    again = ask(guide, "办护照要带什么材料", Ask.MATERIALS, DialogueState(region="桥西区"))
    assert again.outcome is GuideOutcome.ANSWERED
    assert again.state.item_code == districts["桥西区"]


def test_the_district_is_picked_by_number_and_a_wrong_one_asks_again(
    guide: Guide, districts: dict[str, str]
) -> None:
    asked = ask(guide, "护照怎么办", Ask.PROCESS)
    wrong = guide.handle("第9个", None, asked.state, today=THURSDAY, pick=True)
    assert wrong.outcome is GuideOutcome.INVALID_CHOICE
    assert "您在哪个区办理" in wrong.messages[0] and wrong.state == asked.state
    third = guide.handle("3", None, asked.state, today=THURSDAY, pick=True)
    assert third.state.item_code == districts["桥东区"] and third.state.region == "桥东区"
    # said in the question, the district is not asked for
    said = ask(guide, "桥东区办护照要多久", Ask.TIME_LIMIT)
    assert said.outcome is GuideOutcome.ANSWERED and said.state.item_code == districts["桥东区"]


def test_a_task_about_such_an_item_asks_for_the_district(
    guide: Guide, districts: dict[str, str]
) -> None:
    first = guide.pick("预约办护照", [])
    assert first.code is None and "您在哪个区办理" in first.messages[0]
    assert districts["桥东区"] in first.candidates
    assert guide.pick("桥东区", first.candidates).code == districts["桥东区"]
    assert guide.pick("2", first.candidates).code == districts["桥西区"]


# ---------------------------------------------------------------------- read once per generation


def _catalog_reads(statements: list[str]) -> list[str]:
    """The statements that read items, their relations or halls (not the generations)."""
    tables = ("FROM item ", "FROM situation", "FROM material", "FROM charge", "FROM question")
    return [s for s in statements if "max(sync_run.id)" not in s and any(t in s for t in tables)]


def test_an_answer_reads_its_item_once_per_generation(guide: Guide, catalog: Engine) -> None:
    from tests.conftest import sql_statements

    ask(guide, "二手房过户要带什么材料", Ask.MATERIALS)  # read, and kept
    with sql_statements(catalog) as seen:
        again = ask(guide, "二手房过户要带什么材料", Ask.MATERIALS)
    assert again.state.item_code == HOUSE
    assert _catalog_reads(seen) == []
    # what is left: the resolver's generation and the catalog's (items and halls), one each
    assert len(seen) == 2, seen


def test_a_sync_is_answered_on_the_next_question(
    guide: Guide, catalog: Engine, settings: Settings
) -> None:
    house = "\n".join(ask(guide, "二手房过户要带什么材料", Ask.MATERIALS).messages)
    skill = "\n".join(ask(guide, "职业技能等级证书查询与补发", Ask.MATERIALS).messages)
    assert "房屋交易资金监管协议" not in house and "已取消" not in skill
    run_sync(str(DELTA), catalog, settings)
    house = "\n".join(ask(guide, "二手房过户要带什么材料", Ask.MATERIALS).messages)
    skill = "\n".join(ask(guide, "职业技能等级证书查询与补发", Ask.MATERIALS).messages)
    assert "房屋交易资金监管协议" in house
    assert "已取消" in skill and "需要准备的材料" not in skill


def test_a_hall_sync_moves_the_answered_window_on_the_next_question(
    guide: Guide, catalog: Engine, settings: Settings, tmp_path: Path
) -> None:
    before = "\n".join(ask(guide, "二手房过户在哪里办", Ask.PLACE_HOURS).messages)
    assert "窗口：99" not in before
    halls = json.loads(HALLS.read_text(encoding="utf-8"))
    [home] = [h for h in halls if any(HOUSE in w["TASK_CODES"] for w in h["WINDOWS"])]
    for window in home["WINDOWS"]:
        window["TASK_CODES"] = [c for c in window["TASK_CODES"] if c != HOUSE]
    home["WINDOWS"].append({"WINDOW_NO": "99", "WINDOW_NAME": "综合窗口", "TASK_CODES": [HOUSE]})
    moved = tmp_path / "halls.json"
    moved.write_text(json.dumps(halls, ensure_ascii=False), encoding="utf-8")
    assert run_sync(str(moved), catalog, settings).status == "ok"
    after = "\n".join(ask(guide, "二手房过户在哪里办", Ask.PLACE_HOURS).messages)
    assert "窗口：99 综合窗口" in after and home["HALL_NAME"] in after


def test_a_server_trusts_the_generation_for_its_recheck_interval(
    catalog: Engine, settings: Settings
) -> None:
    from banshi.catalog import CatalogCache
    from tests.conftest import sql_statements

    now = [0.0]
    cache = CatalogCache(recheck_seconds=2.0, clock=lambda: now[0])
    guide = Guide(catalog, Resolver(load_lexicon(settings.lexicon_path)), catalog=cache)
    ask(guide, "二手房过户要带什么材料", Ask.MATERIALS)
    with sql_statements(catalog) as seen:
        ask(guide, "二手房过户要带什么材料", Ask.MATERIALS)
    assert [s for s in seen if "FROM hall_window" in s] == []  # no catalog generation read
    run_sync(str(DELTA), catalog, settings)
    now[0] = 1.0  # within the interval: the item kept is still the answer
    kept = "\n".join(ask(guide, "二手房过户要带什么材料", Ask.MATERIALS).messages)
    assert "房屋交易资金监管协议" not in kept
    now[0] = 2.5  # past it: the sync is seen
    synced = "\n".join(ask(guide, "二手房过户要带什么材料", Ask.MATERIALS).messages)
    assert "房屋交易资金监管协议" in synced


def test_a_hall_or_phone_question_about_several_items_is_answered_when_they_share_it(
    guide: Guide,
) -> None:
    # 婚姻登记 names no one item (结婚, 离婚, 补领); the hall, window and phone are the same for all
    reply = ask(guide, "婚姻登记处电话是多少", Ask.CONTACT)
    assert reply.outcome is GuideOutcome.ANSWERED
    text = "\n".join(reply.messages)
    assert text.startswith("【内地居民结婚登记】") and "咨询电话" in text
    assert "同样适用于：" in reply.messages[-1] and "补领婚姻登记证" in reply.messages[-1]
    hall = ask(guide, "婚姻登记处在哪，几点开门", Ask.PLACE_HOURS)
    assert hall.outcome is GuideOutcome.ANSWERED
    assert hall.messages[0].startswith("【内地居民结婚登记】办理地点和时间")
    # what differs between them (materials) is still asked about
    asked = ask(guide, "婚姻登记要准备什么", Ask.MATERIALS)
    assert asked.outcome is GuideOutcome.CLARIFY


def test_a_second_aspect_the_words_plainly_ask_is_answered_too(guide: Guide) -> None:
    reply = ask(guide, "身份证丢了咋补办，要带啥", Ask.MATERIALS)
    text = "\n".join(reply.messages)
    assert text.startswith("【居民身份证补领】需要准备的材料")
    assert "【居民身份证补领】办理流程" in text
    # the overview card of a how-to question, and its steps
    card = ask(guide, "居住证咋申请", Ask.OVERVIEW)
    assert "【居住证申领】办理流程" in "\n".join(card.messages)
    # one aspect asked: no other answer
    fees = "\n".join(ask(guide, "结婚登记收钱吗", Ask.FEES).messages)
    assert "不收费" in fees and "办理流程" not in fees and "需要准备的材料" not in fees
