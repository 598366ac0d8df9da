"""Guide Q&A over the demo catalog in a real database: resolution, clarifying, follow-ups."""

from __future__ import annotations

from datetime import date

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
from tests.conftest import DELTA

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
