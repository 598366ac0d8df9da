"""Guide Q&A over the demo catalog in a real database: resolution, clarifying, follow-ups."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from banshi.answers import split_message
from banshi.guide import DialogueState, Guide, parse_choice
from banshi.settings import Settings
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
    return Guide(catalog, settings)


def ask(guide: Guide, text: str, intent: str, state: DialogueState | None = None):  # type: ignore[no-untyped-def]
    return guide.handle(text, intent, state or DialogueState(), today=THURSDAY)


def test_colloquial_question_is_answered_with_the_formal_name(guide: Guide) -> None:
    reply = ask(guide, "身份证丢了咋补办，要带啥", "ask_materials")
    assert reply.outcome == "answered"
    assert reply.state.item_code == REISSUE
    text = "\n".join(reply.messages)
    assert text.startswith("【居民身份证补领】")
    assert "原件1份" in text and "如属「异地补领（跨省通办）」" in text
    assert "信息更新于" in text


def test_traditional_characters(guide: Guide) -> None:
    reply = ask(guide, "辦居住證要多久", "ask_time_limit")
    assert reply.messages[0].startswith("【居住证申领】")
    assert "10个工作日" in reply.messages[0]


def test_follow_up_keeps_the_item_and_a_new_item_replaces_it(guide: Guide) -> None:
    first = ask(guide, "二手房过户在哪办", "ask_place_hours")
    assert first.state.item_code == HOUSE
    assert "不动产登记中心" in first.messages[0]
    assert "今天（11月26日 周四）开放" in first.messages[0]

    fees = ask(guide, "那要收费吗", "ask_fees", first.state)
    assert fees.state.item_code == HOUSE
    assert fees.messages[0].startswith("【存量房转移登记（二手房买卖）】收费标准")

    other = ask(guide, "结婚登记要带什么", "ask_materials", fees.state)
    assert other.state.item_code != HOUSE
    assert "结婚登记" in other.messages[0]


def test_free_item_says_exactly_no_fee(guide: Guide) -> None:
    reply = ask(guide, "结婚登记收钱吗", "ask_fees")
    assert "】不收费。" in "\n".join(reply.messages)


def test_ambiguous_question_asks_back_and_accepts_number_words_or_name(guide: Guide) -> None:
    reply = ask(guide, "我想办身份证", "ask_materials")
    assert reply.outcome == "clarify"
    assert set(reply.state.candidates) >= {FIRST, RENEW, REISSUE}
    assert reply.messages[0].splitlines()[1].startswith("1. 居民身份证")
    assert reply.state.pending_intent == "ask_materials"

    by_number = ask(guide, "2", "choose_option", reply.state)
    assert by_number.state.item_code == reply.state.candidates[1]
    assert "需要准备的材料" in by_number.messages[0]

    by_words = ask(guide, "第一个", "choose_option", reply.state)
    assert by_words.state.item_code == reply.state.candidates[0]

    by_name = ask(guide, "补领", "ask_overview", reply.state)
    assert by_name.state.item_code == REISSUE

    wrong = ask(guide, "第九个", "choose_option", reply.state)
    assert wrong.outcome == "invalid_choice" and wrong.state.candidates == reply.state.candidates


def test_nothing_fits_offers_a_human_instead_of_guessing(guide: Guide) -> None:
    reply = ask(guide, "养狗要办狗证吗", "ask_overview")
    assert reply.outcome == "not_found"
    assert "人工" in reply.messages[0]


def test_suspended_item_is_said_to_be_suspended(guide: Guide) -> None:
    reply = ask(guide, "灵活就业人员参保登记要带什么", "ask_materials")
    assert "暂停办理" in reply.messages[0]


def test_item_added_by_a_delta_is_answerable_at_once(
    guide: Guide, catalog: Engine, settings: Settings
) -> None:
    before = ask(guide, "电动自行车注册登记要带什么", "ask_materials")
    assert before.state.item_code != E_BIKE
    run_sync(str(DELTA), catalog, settings)
    after = ask(guide, "电动自行车注册登记要带什么", "ask_materials")
    assert after.state.item_code == E_BIKE
    assert after.messages[0].startswith("【电动自行车注册登记】")


def test_cancelled_item_is_not_answered_as_open(
    guide: Guide, catalog: Engine, settings: Settings
) -> None:
    run_sync(str(DELTA), catalog, settings)
    reply = ask(guide, "职业技能等级证书查询与补发", "ask_materials")
    text = "\n".join(reply.messages)
    assert "已取消" in text and "需要准备的材料" not in text


def test_empty_and_very_long_messages_get_a_polite_answer(guide: Guide) -> None:
    assert ask(guide, "  😀 ", "ask_overview").outcome == "rejected_input"
    long = ask(guide, "身份证" * 200, "ask_overview")
    assert long.outcome == "rejected_input" and "一两句话" in long.messages[0]


def test_item_faq_is_used_when_the_question_matches(guide: Guide) -> None:
    from banshi.catalog import get_item
    from banshi.db import session_scope

    with session_scope(guide.engine) as session:
        item = get_item(session, REISSUE)
        assert item is not None and item.questions
        question = item.questions[1].question  # 补领期间急用身份证怎么办？
    reply = ask(guide, question, "ask_process")
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
