"""``action_notice`` and ``action_my_notices`` against a real database holding the demo
catalog, driven as the action server drives them: a tracker in, events out, slots carried."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Action
from sqlalchemy.engine import Engine

from actions.notice_actions import ActionMyNotices, ActionNotice
from banshi.guide import Guide
from banshi.notices import NoticeDesk
from banshi.settings import Settings
from tests.bot.helpers import run_action, tracker_for

DOMAIN = {"responses": {"utter_greet": [{"text": "您好"}]}}


class Conversation:
    def __init__(self, desk: NoticeDesk) -> None:
        self.notice, self.mine = ActionNotice(desk), ActionMyNotices(desk)
        self.slots: dict[str, Any] = {}

    def say(self, text: str, intent: str, action: Action | None = None) -> list[dict[str, Any]]:
        tracker = tracker_for(
            "o-actions",
            dict(self.slots),
            {"text": text, "intent": {"name": intent}, "entities": []},
        )
        dispatcher, events = run_action((action or self.notice), tracker, DOMAIN)
        for event in events:
            assert event["event"] == "slot"
            self.slots[event["name"]] = event["value"]
        return dispatcher.messages


@pytest.fixture
def talk(catalog: Engine, settings: Settings) -> Conversation:
    return Conversation(NoticeDesk(Guide(catalog, settings), public_url="https://x.gov.cn"))


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def test_the_interview_lives_in_the_slots(talk: Conversation) -> None:
    texts(talk.say("我要办社保卡补领换领的告知单", "request_notice"))
    assert talk.slots["notice_pending"] is True
    talk.say("1", "choose_option")  # 丢失补领
    assert talk.slots["notice_situation"] == "丢失补领"
    assert talk.slots["notice_conditions"] == {}
    issued = texts(talk.say("不确定", "nlu_fallback"))
    assert "编号：BS" in issued[0] and "https://x.gov.cn/notices/BS" in issued[-1]
    assert talk.slots["notice_pending"] is False and talk.slots["notice_conditions"] == {}

    [mine] = texts(talk.say("我的告知单", "list_notices", talk.mine))
    assert "社会保障卡补领换领（丢失补领）" in mine


def test_small_talk_ends_the_interview_with_its_own_answer(talk: Conversation) -> None:
    talk.say("生育登记告知单", "request_notice")
    messages = talk.say("你好", "greet")
    assert "先不开了" in messages[0]["text"]
    assert messages[1] == {**messages[1], "response": "utter_greet"}
    assert talk.slots["notice_pending"] is False
