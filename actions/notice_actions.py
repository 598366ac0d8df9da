"""``action_notice`` and ``action_my_notices``: thin adapters over :class:`banshi.notices.NoticeDesk`.

Rasa in, domain call, Rasa out. The interview lives in slots: the guide's three (which item,
the list offered, the pending intent) and ``notice_pending`` / ``notice_situation`` /
``notice_conditions``. ``notice_pending`` is the only one that steers the dialogue: while it
is set, the rules send every message here, and the desk decides whether it answers the
question, cancels, or moves on to something else.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import dialogue_state, said, state_events
from banshi.guide import Guide
from banshi.notices import REQUEST_INTENT, Interview, NoticeDesk, NoticeReply


def interview_state(tracker: Tracker) -> Interview:
    conditions = tracker.get_slot("notice_conditions") or {}
    return Interview(
        pending=bool(tracker.get_slot("notice_pending")),
        situation=tracker.get_slot("notice_situation") or None,
        conditions={str(k): v for k, v in conditions.items()},
    )


def interview_events(interview: Interview) -> list[EventType]:
    return [
        SlotSet("notice_pending", interview.pending),
        SlotSet("notice_situation", interview.situation),
        SlotSet("notice_conditions", dict(interview.conditions)),
    ]


class _UsesDesk:
    """Not an Action itself: rasa_sdk registers every Action subclass it finds."""

    def __init__(self, desk: NoticeDesk | None = None) -> None:
        # rasa_sdk instantiates actions without arguments; tests pass their own desk.
        self._desk = desk

    @property
    def desk(self) -> NoticeDesk:
        if self._desk is None:
            self._desk = NoticeDesk(Guide.from_settings())
        return self._desk


class ActionNotice(_UsesDesk, Action):
    """request_notice, and every message while a pick or an answer is awaited."""

    def name(self) -> str:
        return "action_notice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = said(tracker)
        text, intent = message.text, message.intent
        state = dialogue_state(tracker)
        reply: NoticeReply
        # The desk queries the database: keep the action server's event loop free meanwhile.
        if intent == REQUEST_INTENT:
            reply = await asyncio.to_thread(
                self.desk.request, text, state, message.item, tracker.sender_id
            )
        else:
            reply = await asyncio.to_thread(
                self.desk.reply, text, intent, state, interview_state(tracker), tracker.sender_id
            )
        for message in reply.messages:
            dispatcher.utter_message(text=message)
        # Moving on to small talk or another task: its fixed answer follows the goodbye line.
        response = f"utter_{intent}"
        if reply.outcome == "left" and response in (domain.get("responses") or {}):
            dispatcher.utter_message(response=response)
        return state_events(reply.guide) + interview_events(reply.interview)


class ActionMyNotices(_UsesDesk, Action):
    """ "我的告知单" lists the citizen's notices; a notice number typed alone opens it."""

    def name(self) -> str:
        return "action_my_notices"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = said(tracker).text
        messages = await asyncio.to_thread(self.desk.my_notices, text, tracker.sender_id)
        for message in messages:
            dispatcher.utter_message(text=message)
        return []
