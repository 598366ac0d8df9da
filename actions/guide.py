"""``action_guide``: the one custom action, a thin adapter over :class:`banshi.guide.Guide`.

Rasa in, domain call, Rasa out: the latest message (text, intent, first ``item`` entity) and
the three slots go to ``Guide.handle``; its messages are sent and its new state is stored back
in the slots. Every decision (which item, when to ask back, what to answer) is the guide's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from banshi.guide import DialogueState, Guide

ITEM_ENTITY = "item"


def dialogue_state(tracker: Tracker) -> DialogueState:
    """The guide's state as the slots remember it."""
    return DialogueState(
        item_code=tracker.get_slot("item_code") or None,
        candidates=[str(code) for code in tracker.get_slot("candidates") or []],
        pending_intent=tracker.get_slot("pending_intent") or None,
    )


def state_events(state: DialogueState) -> list[EventType]:
    return [
        SlotSet("item_code", state.item_code),
        SlotSet("candidates", list(state.candidates)),
        SlotSet("pending_intent", state.pending_intent),
    ]


@dataclass(frozen=True)
class Said:
    """The citizen's latest message as the NLU left it."""

    text: str
    intent: str
    item: str | None  # the first ``item`` entity


def said(tracker: Tracker) -> Said:
    latest = tracker.latest_message or {}
    return Said(
        text=latest.get("text") or "",
        intent=(latest.get("intent") or {}).get("name") or "",
        item=first_item(latest),
    )


def first_item(latest_message: dict[str, Any]) -> str | None:
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") == ITEM_ENTITY and entity.get("value"):
            return str(entity["value"])
    return None


class ActionGuide(Action):
    """Answers every ask_* intent and the numbered pick (choose_option)."""

    def __init__(self, guide: Guide | None = None) -> None:
        # rasa_sdk instantiates actions without arguments; tests pass their own guide.
        self._guide = guide

    def name(self) -> str:
        return "action_guide"

    @property
    def guide(self) -> Guide:
        if self._guide is None:
            self._guide = Guide.from_settings()
        return self._guide

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        message = said(tracker)
        # The guide queries the database: keep the action server's event loop free meanwhile.
        reply = await asyncio.to_thread(
            self.guide.handle, message.text, message.intent, dialogue_state(tracker), message.item
        )
        for message in reply.messages:
            dispatcher.utter_message(text=message)
        return state_events(reply.state)
