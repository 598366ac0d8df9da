"""``action_guide`` against a real database holding the demo catalog (tests mirror actions/).

The action is driven the way the action server drives it (a tracker in, events out), turn
after turn, with the slots carried over from one turn to the next as Rasa would carry them.
The NLU's ranking is given as Rasa gives it (the FallbackClassifier's ``nlu_fallback`` in
front when it fired): what the action does with it is the decision step's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from actions import services
from actions.guide import ActionGuide
from actions.services import Services
from banshi.answers import NOT_FOUND
from banshi.asks import Ask
from banshi.conversation import Conversation as Desks
from banshi.guide import DialogueState, GuideOutcome, GuideReply
from banshi.understanding import Heard, Understood, Verdict
from tests.actions.helpers import run_action, tracker_for

SOCIAL_CARD = "11139900MB1A00030E3002016001002"  # 社会保障卡补领换领
HOUSE = "11139900MB1A00070G3000713002001"  # 存量房转移登记（二手房买卖）
EMPTY_SLOTS: dict[str, Any] = {
    "item_code": None,
    "candidates": None,
    "pending_ask": None,
    "region": None,
    "task": None,
    "task_active": None,
}
GUIDE_SLOTS = ("item_code", "candidates", "pending_ask")
DOMAIN = {
    "responses": {
        name: [{"text": name}]
        for name in ("utter_greet", "utter_out_of_scope", "utter_nlu_fallback", "utter_deny")
    }
}


@dataclass
class Conversation:
    """Runs the action turn by turn, keeping the slots it sets, like Rasa's tracker."""

    action: ActionGuide
    slots: dict[str, Any] = field(default_factory=lambda: dict(EMPTY_SLOTS))

    def say(
        self,
        text: str,
        intent: str,
        item: str | None = None,
        ranking: list[tuple[str, float]] | None = None,
    ) -> list[str]:
        """One turn; ``ranking`` as the NLU gave it (default: ``intent`` at 0.99). Returns
        the texts said, a fixed response as its name."""
        entities = [{"entity": "item", "value": item}] if item else []
        ranked = [{"name": n, "confidence": c} for n, c in ranking or [(intent, 0.99)]]
        tracker = tracker_for(
            "citizen",
            dict(self.slots),
            {
                "text": text,
                "intent": ranked[0] if ranking else {"name": intent, "confidence": 0.99},
                "intent_ranking": ranked,
                "entities": entities,
            },
        )
        dispatcher, events = run_action(self.action, tracker, DOMAIN)
        for event in events:
            assert event["event"] == "slot"
            self.slots[event["name"]] = event["value"]
        assert set(self.slots) == set(EMPTY_SLOTS)
        return [message.get("text") or message["response"] for message in dispatcher.messages]

    @property
    def guide_slots(self) -> dict[str, Any]:
        return {name: self.slots[name] for name in GUIDE_SLOTS}


@pytest.fixture
def conversation(installed: Services) -> Conversation:
    return Conversation(ActionGuide())


def test_question_is_answered_and_the_item_remembered(conversation: Conversation) -> None:
    messages = conversation.say("社保卡丢了补办要带什么", "ask_materials", item="社保卡")
    assert messages[0].startswith("【社会保障卡补领换领】需要准备的材料")
    assert all(len(m.encode("utf-8")) < 2000 for m in messages)
    assert conversation.guide_slots == {
        "item_code": SOCIAL_CARD,
        "candidates": [],
        "pending_ask": None,
    }


def test_ambiguous_question_asks_back_and_a_number_picks(conversation: Conversation) -> None:
    [question] = conversation.say("我想办身份证", "ask_materials", item="身份证")
    assert question.splitlines()[1].startswith("1. 居民身份证")
    offered = conversation.slots["candidates"]
    assert len(offered) >= 3 and conversation.slots["pending_ask"] == "materials"

    messages = conversation.say("2", "choose_option")
    assert conversation.guide_slots == {
        "item_code": offered[1],
        "candidates": [],
        "pending_ask": None,
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
    assert conversation.guide_slots == {"item_code": None, "candidates": [], "pending_ask": None}


# ---------------------------------------------------------------------- the decision in the turn


def test_an_unsure_nlu_still_gets_the_answer_the_resolver_has(conversation: Conversation) -> None:
    ranking = [("nlu_fallback", 0.5), ("ask_materials", 0.31), ("out_of_scope", 0.3)]
    messages = conversation.say("社保卡丢了补办要带什么", "nlu_fallback", ranking=ranking)
    assert messages[0].startswith("【社会保障卡补领换领】需要准备的材料")
    assert conversation.slots["item_code"] == SOCIAL_CARD


def test_a_task_word_next_to_an_item_does_not_start_a_task(conversation: Conversation) -> None:
    ranking = [("reschedule_appointment", 0.81), ("ask_overview", 0.09)]
    messages = conversation.say(
        "二手房过户要改个时间咋弄", "reschedule_appointment", ranking=ranking
    )
    assert messages[0].startswith("【存量房转移登记（二手房买卖）】")
    assert conversation.slots["task_active"] is False


def test_fixed_responses_only_when_the_decision_says_so(conversation: Conversation) -> None:
    assert conversation.say("你好", "greet") == ["utter_greet"]
    assert conversation.say("今天天气怎么样", "out_of_scope") == ["utter_out_of_scope"]
    # a complaint about a shop is no ticket: out of scope, and the line that takes it
    shop = conversation.say("我要投诉外卖小哥送餐太慢", "complain")
    assert shop[0] == "utter_out_of_scope" and "12315" in shop[1]
    assert conversation.slots["task"] is None
    noise = [("nlu_fallback", 0.5), ("affirm", 0.3), ("greet", 0.2)]
    assert conversation.say("嗯嗯那个", "nlu_fallback", ranking=noise) == ["utter_nlu_fallback"]
    deny = [("deny", 0.6), ("ask_conditions", 0.2)]
    [answer] = conversation.say("没有社保卡能补办社保卡吗", "deny", ranking=deny)[:1]
    assert answer.startswith("【社会保障卡补领换领】能不能办，要看是否符合以下受理条件")


def test_a_number_after_the_overview_card_picks_an_aspect(conversation: Conversation) -> None:
    [card, *_] = conversation.say("社保卡补办咋整", "ask_overview", item="社保卡")
    assert "请回复序号" in card
    messages = conversation.say("5", "choose_option")
    assert messages[0].startswith("【社会保障卡补领换领】收费") or "不收费" in messages[0]


class RecordingGuide:
    """Stands in for the guide to check what the adapter passes and stores."""

    def __init__(self, reply: GuideReply) -> None:
        self.reply = reply
        self.heard: list[Heard] = []
        self.calls: list[tuple[str, Ask | None, DialogueState, str | None]] = []

    def understand(self, heard: Heard, state: DialogueState, context: object = None) -> Understood:
        self.heard.append(heard)
        return Understood(Verdict.QUESTION, ask=Ask.FEES)

    def handle(
        self,
        text: str,
        ask: Ask | None,
        state: DialogueState,
        entity: str | None = None,
        today: object = None,
        pick: bool = False,
        found: object = None,
    ) -> GuideReply:
        self.calls.append((text, ask, state, entity))
        return self.reply


def test_adapter_passes_text_intent_first_item_and_slots() -> None:
    new_state = DialogueState("B", ["C", "D"], Ask.FEES, region="桥西区")
    guide = RecordingGuide(GuideReply(["一", "二"], new_state, GuideOutcome.CLARIFY))
    services.install(Services(guide, Desks([])))  # type: ignore[arg-type]
    action = ActionGuide()
    tracker = tracker_for(
        "citizen",
        {"item_code": "A", "candidates": None, "pending_ask": None, "region": "桥东区"},
        {
            "text": "那要多少钱",
            "intent": {"name": "nlu_fallback", "confidence": 0.5},
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.5},
                {"name": "ask_fees", "confidence": 0.45},
                {"name": "thank", "confidence": 0.3},
            ],
            "entities": [
                {"entity": "place", "value": "大厅"},
                {"entity": "item", "value": "护照"},
                {"entity": "item", "value": "普通护照"},
            ],
        },
    )
    dispatcher, events = run_action(action, tracker, {})

    [heard] = guide.heard
    assert heard.flagged and heard.item == "护照" and len(heard.readings) == 2
    assert heard.readings[0].ask is Ask.FEES and heard.readings[0].confidence == 0.45
    remembered = DialogueState("A", [], None, region="桥东区")
    assert guide.calls == [("那要多少钱", Ask.FEES, remembered, "护照")]
    assert [m["text"] for m in dispatcher.messages] == ["一", "二"]
    assert {e["name"]: e["value"] for e in events} == {
        "item_code": "B",
        "candidates": ["C", "D"],
        "pending_ask": "fees",
        "region": "桥西区",
        "task": None,
        "task_active": False,
    }
    services._services = None
