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

from banshi.settings import PROJECT_ROOT
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


def test_unopened_channels_say_so_honestly(citizen: Citizen, agent: Any) -> None:
    assert citizen.say("帮我预约明天办社保卡") == [response(agent, "utter_book_appointment")]
    assert "正在开通" in response(agent, "utter_book_appointment")
