"""``action_guide``: every message outside a task — questions, picks, small talk, the rest.

Rasa in, domain call, Rasa out. :func:`take_turn` is one turn for both actions (``action_task``
runs it too): the guide decides what the message is (:meth:`banshi.guide.Guide.understand`:
the NLU's whole ranking weighed against the resolver), the conversation hands it to a task's
desk or back, and the guide answers questions; small talk, tasks not open yet, "out of
scope" and "not understood" get their fixed responses from the domain file — only when the
decision says so.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.said import fixed_response, heard_of, message_of
from actions.slots import dialogue_events, dialogue_state, task_events, task_state
from banshi.bookings.service import upcoming
from banshi.conversation import Gist, Message, TurnKind
from banshi.db import session_scope
from banshi.guide import Guide, GuideReply
from banshi.resolution import Resolution
from banshi.unanswered import UnansweredReason
from banshi.understanding import BOOKING_REQUESTS, NO_CONTEXT, Context, Heard, Understood


def context_of(guide: Guide, tracker: Tracker, heard: Heard) -> Context:
    """What the decision knows besides the words: whether the citizen holds an appointment,
    asked only when the NLU reads a change to one ("改到周五" said of a held booking)."""
    top = heard.top
    if top is None or top.request not in BOOKING_REQUESTS:
        return NO_CONTEXT
    with session_scope(guide.engine) as session:
        holds = bool(upcoming(session, tracker.sender_id, date.today()))
    return Context(has_booking=holds)


def understood_of(guide: Guide, tracker: Tracker) -> Understood:
    heard = heard_of(tracker)
    return guide.understand(heard, dialogue_state(tracker), context_of(guide, tracker, heard))


def ask_guide(
    guide: Guide, message: Message, tracker: Tracker, found: Resolution | None = None
) -> GuideReply:
    """The guide's answer to ``message`` (a question, or a pick from the list it offered);
    ``found``: the resolution the decision already made of the same text."""
    return guide.handle(
        message.text,
        message.ask,
        dialogue_state(tracker),
        message.item,
        message.now.date(),
        pick=message.gist is Gist.PICK,
        found=found,
    )


# Fixed responses that mean the assistant could not help: staff see these questions.
UNANSWERED = {
    "utter_nlu_fallback": UnansweredReason.NOT_UNDERSTOOD,
    "utter_out_of_scope": UnansweredReason.OUT_OF_SCOPE,
}


async def take_turn(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[EventType]:
    """One message: decided, then the task's desk, a task asked for, the guide, or a fixed
    response. Desks and the guide query the database: off the event loop."""
    found = services.get()
    understood = await asyncio.to_thread(understood_of, found.guide, tracker)
    message = message_of(tracker, understood=understood)
    picking = bool(dialogue_state(tracker).candidates)
    turn = await asyncio.to_thread(found.conversation.handle, message, task_state(tracker), picking)
    events: list[EventType] = []
    for text in turn.messages:
        dispatcher.utter_message(text=text)
    if turn.kind is TurnKind.GUIDE:
        reply = await asyncio.to_thread(ask_guide, found.guide, message, tracker, understood.found)
        for text in reply.messages:
            dispatcher.utter_message(text=text)
        events += dialogue_events(reply.state)
    elif turn.kind is TurnKind.CHAT:
        response = fixed_response(message, tracker)
        if response in (domain.get("responses") or {}):
            dispatcher.utter_message(response=response)
        if response == "utter_out_of_scope" and understood.referral is not None:
            dispatcher.utter_message(text=understood.referral.text)  # 12315 / 12345
        if response in UNANSWERED:
            await asyncio.to_thread(found.guide.note_unanswered, message.text, UNANSWERED[response])
    for text in turn.after:
        dispatcher.utter_message(text=text)
    return events + task_events(turn.task)


class ActionGuide(Action):
    """Questions, picks, small talk, out of scope and the NLU's fallback while no task is
    active (bot/data/rules.yml): what each is, the decision says."""

    def name(self) -> str:
        return "action_guide"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        return await take_turn(dispatcher, tracker, domain)
