"""Whole conversations: the test stories through rasa.core.test, then real turns through the
agent with ``action_guide`` running on an action server started for the session.

``rasa.core.test`` predicts each action and compares it with the story but never executes it
(the story's own ``slot_was_set`` events are applied instead), so it checks the NLU and the
rules only. What the action really says and stores is checked by talking to the agent.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.settings import PROJECT_ROOT
from banshi.text import normalize_message

pytestmark = pytest.mark.model

TEST_STORIES = PROJECT_ROOT / "tests" / "test_stories.yml"
SOCIAL_CARD = "11139900MB1A00030E3002016001002"
HOUSE = "11139900MB1A00070G3000713002001"


def test_stories(agent: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    from rasa.core.test import test

    result = loop.run_until_complete(
        test(str(TEST_STORIES), agent, out_directory=str(tmp_path), e2e=True, disable_plotting=True)
    )
    # A story fails on a wrong intent, a wrong set of entities or a wrong action.
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "- story:" not in failed, failed
    assert result["actions"] and all(a["action"] == a["predicted"] for a in result["actions"])


class Citizen:
    """One WeChat user talking to the agent; messages are normalised as the channel does."""

    def __init__(self, agent: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.agent, self.loop = agent, loop
        self.sender = f"test-{uuid.uuid4().hex[:8]}"

    def say(self, text: str) -> list[str]:
        replies = self.loop.run_until_complete(
            self.agent.handle_text(normalize_message(text), sender_id=self.sender)
        )
        return [r["text"] for r in replies or [] if "text" in r]

    def slot(self, name: str) -> Any:
        tracker = self.loop.run_until_complete(self.agent.tracker_store.retrieve(self.sender))
        return tracker.get_slot(name)


@pytest.fixture
def citizen(agent: Any, loop: asyncio.AbstractEventLoop) -> Citizen:
    return Citizen(agent, loop)


def response(agent: Any, name: str) -> str:
    return str(agent.domain.responses[name][0]["text"])


def test_a_question_is_answered_from_the_catalog(citizen: Citizen) -> None:
    replies = citizen.say("社保卡丢了补办要带什么")
    assert replies[0].startswith("【社会保障卡补领换领】需要准备的材料")
    assert citizen.slot("item_code") == SOCIAL_CARD


def test_clarifying_by_number_then_a_follow_up(citizen: Citizen) -> None:
    [question] = citizen.say("我想办身份证需要什么材料")
    assert question.splitlines()[1].startswith("1. 居民身份证")
    offered = citizen.slot("candidates")
    assert len(offered) >= 3

    picked = citizen.say("第二个")
    assert "需要准备的材料" in "\n".join(picked)
    assert citizen.slot("item_code") == offered[1]
    assert citizen.slot("candidates") == []

    fees = citizen.say("那要收费吗")
    assert "收费" in fees[0]
    assert citizen.slot("item_code") == offered[1]


def test_a_follow_up_keeps_the_item(citizen: Citizen) -> None:
    citizen.say("二手房过户在哪办")
    assert citizen.slot("item_code") == HOUSE
    replies = citizen.say("那要收费吗")
    assert replies[0].startswith("【存量房转移登记（二手房买卖）】收费标准")


def test_out_of_scope_and_unknown_items_get_polite_answers(citizen: Citizen, agent: Any) -> None:
    assert citizen.say("今天天气怎么样") == [response(agent, "utter_out_of_scope")]
    [not_found] = citizen.say("潜水证要带什么材料")
    assert "没有找到" in not_found and "人工" in not_found
    assert citizen.slot("item_code") is None


def test_nlu_fallback_answers_in_chinese_and_offers_a_human(citizen: Citizen, agent: Any) -> None:
    # "/intent" is Rasa's intent payload: the fallback turn without depending on a score.
    assert citizen.say("/nlu_fallback") == [response(agent, "utter_nlu_fallback")]
    assert "12345" in response(agent, "utter_nlu_fallback")


def test_an_appointment_asked_for_starts_the_booking_desk(citizen: Citizen) -> None:
    replies = citizen.say("帮我预约明天办社保卡")
    assert replies and not any("开通中" in r for r in replies), replies
    assert (citizen.slot("task") or {}).get("task") == "booking"


# ---------------------------------------------------------------------- the decision step (issue 13)


def test_a_change_word_next_to_an_item_is_the_items_question(citizen: Citizen) -> None:
    """改 / 撤销 next to an item is that item's procedure, not an appointment."""
    replies = citizen.say("个体户营业执照的经营范围改了，要改执照咋弄")
    joined = "\n".join(replies)
    assert "个体工商户变更登记" in joined, replies
    assert "预约" not in joined and citizen.slot("task_active") is not True


def test_an_eligibility_question_is_answered_from_the_conditions(citizen: Citizen) -> None:
    replies = citizen.say("我是外地户口，能在这边申请居住证吗")
    assert replies[0].startswith("【居住证申领】能不能办，要看是否符合以下受理条件"), replies


def test_the_overview_card_then_a_number(citizen: Citizen) -> None:
    [card, *_] = citizen.say("残疾人证新办是怎么回事")
    assert card.startswith("【残疾人证新办】") and "请回复序号" in card
    picked = citizen.say("1")
    assert picked[0].startswith("【残疾人证新办】需要准备的材料"), picked


def test_in_a_notice_interview_the_citizens_words_answer(citizen: Citizen) -> None:
    citizen.say("给我开个社保卡补领换领的告知单")
    citizen.say("1")
    state = citizen.slot("task") or {}
    assert state.get("task") == "notice", state
    replies = citizen.say("本人办理")
    joined = "\n".join(replies)
    assert "没有完全理解" not in joined and ("编号" in joined or "请问" in joined), replies
