"""``action_guide`` against a real database holding the demo catalog.

The action is driven the way the action server drives it (a tracker in, events out), turn
after turn, with the slots carried over from one turn to the next as Rasa would carry them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from actions.actions import ActionGuide
from banshi.answers import NOT_FOUND
from banshi.guide import DialogueState, Guide, GuideReply
from banshi.settings import Settings
from tests.bot.helpers import run_action, tracker_for

SOCIAL_CARD = "11139900MB1A00030E3002016001002"  # 社会保障卡补领换领
HOUSE = "11139900MB1A00070G3000713002001"  # 存量房转移登记（二手房买卖）
EMPTY_SLOTS: dict[str, Any] = {"item_code": None, "candidates": None, "pending_intent": None}


@dataclass
class Conversation:
    """Runs the action turn by turn, keeping the slots it sets, like Rasa's tracker."""

    action: ActionGuide
    slots: dict[str, Any] = field(default_factory=lambda: dict(EMPTY_SLOTS))

    def say(self, text: str, intent: str, item: str | None = None) -> list[str]:
        entities = [{"entity": "item", "value": item}] if item else []
        tracker = tracker_for(
            "citizen",
            dict(self.slots),
            {
                "text": text,
                "intent": {"name": intent, "confidence": 0.99},
                "entities": entities,
            },
        )
        dispatcher, events = run_action(self.action, tracker, {})
        for event in events:
            assert event["event"] == "slot"
            self.slots[event["name"]] = event["value"]
        assert set(self.slots) == set(EMPTY_SLOTS)
        return [message["text"] for message in dispatcher.messages]


@pytest.fixture
def conversation(catalog: Engine, settings: Settings) -> Conversation:
    return Conversation(ActionGuide(Guide(catalog, settings)))


def test_question_is_answered_and_the_item_remembered(conversation: Conversation) -> None:
    messages = conversation.say("社保卡丢了补办要带什么", "ask_materials", item="社保卡")
    assert messages[0].startswith("【社会保障卡补领换领】需要准备的材料")
    assert all(len(m.encode("utf-8")) < 2000 for m in messages)
    assert conversation.slots == {
        "item_code": SOCIAL_CARD,
        "candidates": [],
        "pending_intent": None,
    }


def test_ambiguous_question_asks_back_and_a_number_picks(conversation: Conversation) -> None:
    [question] = conversation.say("我想办身份证", "ask_materials", item="身份证")
    assert question.splitlines()[1].startswith("1. 居民身份证")
    offered = conversation.slots["candidates"]
    assert len(offered) >= 3 and conversation.slots["pending_intent"] == "ask_materials"

    messages = conversation.say("2", "choose_option")
    assert conversation.slots == {
        "item_code": offered[1],
        "candidates": [],
        "pending_intent": None,
    }
    assert "需要准备的材料" in "\n".join(messages)


def test_a_wrong_number_asks_again_and_keeps_the_list(conversation: Conversation) -> None:
    conversation.say("我想办身份证", "ask_materials", item="身份证")
    offered = conversation.slots["candidates"]
    [again] = conversation.say("第九个", "choose_option")
    assert again.startswith(f"请回复 1 到 {len(offered)} 之间的序号")
    assert conversation.slots["candidates"] == offered


def test_follow_up_keeps_the_item(conversation: Conversation) -> None:
    conversation.say("二手房过户在哪办", "ask_place_hours", item="二手房过户")
    assert conversation.slots["item_code"] == HOUSE
    messages = conversation.say("那要收费吗", "ask_fees")
    assert conversation.slots["item_code"] == HOUSE
    assert messages[0].startswith("【存量房转移登记（二手房买卖）】收费标准")


def test_nothing_fits_says_so_and_keeps_nothing(conversation: Conversation) -> None:
    assert conversation.say("养狗要办狗证吗", "ask_overview") == [NOT_FOUND]
    assert conversation.slots == {"item_code": None, "candidates": [], "pending_intent": None}


class RecordingGuide:
    """Stands in for the guide to check what the adapter passes and stores."""

    def __init__(self, reply: GuideReply) -> None:
        self.reply = reply
        self.calls: list[tuple[str, str, DialogueState, str | None]] = []

    def handle(
        self, text: str, intent: str, state: DialogueState, entity: str | None = None
    ) -> GuideReply:
        self.calls.append((text, intent, state, entity))
        return self.reply


def test_adapter_passes_text_intent_first_item_and_slots() -> None:
    new_state = DialogueState("B", ["C", "D"], "ask_fees")
    guide = RecordingGuide(GuideReply(["一", "二"], new_state, "clarify"))
    action = ActionGuide(guide)  # type: ignore[arg-type]
    tracker = tracker_for(
        "citizen",
        {"item_code": "A", "candidates": None, "pending_intent": None},
        {
            "text": "那要多少钱",
            "intent": {"name": "ask_fees", "confidence": 0.9},
            "entities": [
                {"entity": "place", "value": "大厅"},
                {"entity": "item", "value": "护照"},
                {"entity": "item", "value": "普通护照"},
            ],
        },
    )
    dispatcher, events = run_action(action, tracker, {})

    assert guide.calls == [("那要多少钱", "ask_fees", DialogueState("A", [], None), "护照")]
    assert [m["text"] for m in dispatcher.messages] == ["一", "二"]
    assert {e["name"]: e["value"] for e in events} == {
        "item_code": "B",
        "candidates": ["C", "D"],
        "pending_intent": "ask_fees",
    }
