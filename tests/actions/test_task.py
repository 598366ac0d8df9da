"""``action_task`` against a real database holding the demo catalog, driven as the action
server drives it: a tracker in, events out, slots carried from turn to turn."""

from __future__ import annotations

from typing import Any

import pytest

from actions.services import Services
from actions.task import ActionTask
from tests.actions.helpers import run_action, tracker_for

DOMAIN = {
    "responses": {"utter_greet": [{"text": "您好"}], "utter_book_appointment": [{"text": "x"}]}
}


class Conversation:
    def __init__(self) -> None:
        self.action = ActionTask()
        self.slots: dict[str, Any] = {}

    def say(self, text: str, intent: str) -> list[dict[str, Any]]:
        tracker = tracker_for(
            "o-actions",
            dict(self.slots),
            {"text": text, "intent": {"name": intent}, "entities": []},
        )
        dispatcher, events = run_action(self.action, tracker, DOMAIN)
        for event in events:
            assert event["event"] == "slot"
            self.slots[event["name"]] = event["value"]
        return dispatcher.messages


@pytest.fixture
def talk(installed: Services) -> Conversation:
    return Conversation()


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def test_the_task_lives_in_the_slots(talk: Conversation) -> None:
    texts(talk.say("我要办社保卡补领换领的告知单", "request_notice"))
    assert talk.slots["task_active"] is True
    assert talk.slots["task"]["task"] == "notice" and talk.slots["task"]["step"] == "interview"
    talk.say("1", "choose_option")  # 丢失补领
    assert talk.slots["task"]["data"]["situation"] == "丢失补领"
    issued = texts(talk.say("不确定", "nlu_fallback"))
    assert "编号：BS" in issued[0] and "/notices/BS" in issued[-1]
    assert talk.slots["task_active"] is False and talk.slots["task"] is None

    [mine] = texts(talk.say("我的告知单", "list_notices"))
    assert "社会保障卡补领换领（丢失补领）" in mine


def test_small_talk_in_the_middle_gets_its_answer_and_the_task_waits(talk: Conversation) -> None:
    talk.say("生育登记告知单", "request_notice")
    waiting = dict(talk.slots["task"])
    messages = talk.say("你好", "greet")
    assert messages[0] == {**messages[0], "response": "utter_greet"}
    assert "继续" in messages[-1]["text"]
    assert talk.slots["task_active"] is True and talk.slots["task"] == waiting


def test_a_guide_question_in_the_middle_is_answered_and_the_task_waits(talk: Conversation) -> None:
    talk.say("生育登记告知单", "request_notice")
    messages = texts(talk.say("社保卡补办要带什么", "ask_materials"))
    assert any("需要准备的材料" in m for m in messages) and "继续" in messages[-1]
    assert talk.slots["task_active"] is True and talk.slots["item_code"]


def test_every_task_intent_reaches_its_desk(talk: Conversation) -> None:
    """No task answers "正在开通中" any more: each request starts its desk."""
    for text, intent, task in [
        ("我想预约", "book_appointment", "booking"),
        ("我要投诉窗口态度差", "complain", "ticket"),
        ("我想填问卷", "take_survey", None),  # no survey is open in the demo database
    ]:
        talk.slots = {}
        messages = texts(talk.say(text, intent))
        assert messages and not any("开通中" in m for m in messages), messages
        assert (talk.slots["task"] or {}).get("task") == task, (text, talk.slots)
