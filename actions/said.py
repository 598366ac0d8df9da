"""The citizen's latest message in the domain's words: the NLU's intents mapped once, here.

Nothing below the actions knows an intent name: a question becomes an :class:`Ask`, a task
asked for a :class:`Request`, the rest a :class:`Gist`. The whole intent ranking becomes
:class:`~banshi.understanding.Reading` s (:func:`heard_of`), which the decision step weighs
against the resolver; the :class:`Message` desks see carries what it decided
(:func:`message_of`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Tracker

from banshi.asks import Ask
from banshi.conversation import Gist, Message, Request
from banshi.understanding import Heard, Reading, Understood, Verdict

ITEM_ENTITY = "item"

ASKS = {
    "ask_materials": Ask.MATERIALS,
    "ask_conditions": Ask.CONDITIONS,
    "ask_process": Ask.PROCESS,
    "ask_time_limit": Ask.TIME_LIMIT,
    "ask_fees": Ask.FEES,
    "ask_place_hours": Ask.PLACE_HOURS,
    "ask_legal_basis": Ask.LEGAL_BASIS,
    "ask_online": Ask.ONLINE,
    "ask_trips": Ask.TRIPS,
    "ask_contact": Ask.CONTACT,
    "ask_overview": Ask.OVERVIEW,
}
REQUESTS = {
    "request_notice": Request.NOTICE,
    "list_notices": Request.MY_NOTICES,
    "book_appointment": Request.BOOK,
    "cancel_appointment": Request.CANCEL_BOOKING,
    "reschedule_appointment": Request.RESCHEDULE_BOOKING,
    "list_appointments": Request.MY_BOOKINGS,
    "take_survey": Request.SURVEY,
    "complain": Request.COMPLAIN,
    "suggest": Request.SUGGEST,
    "request_human": Request.HUMAN,
    "rate": Request.RATE,
}
FALLBACK = "nlu_fallback"
GISTS = {
    "affirm": Gist.YES,
    "deny": Gist.NO,
    "choose_option": Gist.PICK,
    "greet": Gist.CHAT,
    "goodbye": Gist.CHAT,
    "thank": Gist.CHAT,
    "ask_capabilities": Gist.CHAT,
    "out_of_scope": Gist.OUT_OF_SCOPE,
    FALLBACK: Gist.UNCLEAR,
}
# The fixed answer of a task that has no desk yet, and of small talk: ``utter_<intent>``.
INTENT_OF_REQUEST = {request: intent for intent, request in REQUESTS.items()}


def intent_of(tracker: Tracker) -> str:
    return str(((tracker.latest_message or {}).get("intent") or {}).get("name") or "")


def first_item(latest_message: dict[str, Any]) -> str | None:
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") == ITEM_ENTITY and entity.get("value"):
            return str(entity["value"])
    return None


def reading_of(intent: str, confidence: float) -> Reading | None:
    """One entry of the NLU's ranking in the domain's words (None: the fallback marker)."""
    ask = ASKS.get(intent)
    if ask is not None:
        return Reading(Gist.QUESTION, confidence, ask=ask)
    request = REQUESTS.get(intent)
    if request is not None:
        return Reading(Gist.TASK, confidence, request=request)
    gist = GISTS.get(intent)
    if gist is None or gist is Gist.UNCLEAR:
        return None
    return Reading(gist, confidence)


def heard_of(tracker: Tracker) -> Heard:
    """The latest message with every reading of the NLU's ranking, most likely first.

    The FallbackClassifier puts ``nlu_fallback`` in front of the ranking it overrules: that
    marks the message unsure and the readings behind it stay (what it would have been).
    """
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    ranking = list(latest.get("intent_ranking") or [])
    if not ranking and intent.get("name"):
        ranking = [intent]
    readings: list[Reading] = []
    seen: set[str] = set()
    for entry in ranking:
        name = str(entry.get("name") or "")
        if name in seen:
            continue
        seen.add(name)
        # No confidence at all: an intent given for sure ("/greet" payloads, tests).
        confidence = entry.get("confidence")
        reading = reading_of(name, 1.0 if confidence is None else float(confidence))
        if reading is not None:
            readings.append(reading)
    return Heard(
        text=str(latest.get("text") or ""),
        readings=tuple(readings),
        flagged=intent.get("name") == FALLBACK,
        item=first_item(latest),
    )


_GIST_OF = {
    Verdict.QUESTION: Gist.QUESTION,
    Verdict.PICK: Gist.PICK,
    Verdict.TASK: Gist.TASK,
    Verdict.OUT_OF_SCOPE: Gist.OUT_OF_SCOPE,
    Verdict.NOT_UNDERSTOOD: Gist.UNCLEAR,
}


def message_of(
    tracker: Tracker, now: datetime | None = None, understood: Understood | None = None
) -> Message:
    """The latest message as the domain sees it: what the decision step made of it when
    ``understood`` is given, else the NLU's top intent as it is."""
    latest = tracker.latest_message or {}
    intent = intent_of(tracker)
    ask = ASKS.get(intent)
    request = REQUESTS.get(intent)
    if understood is not None:
        gist = understood.gist or _GIST_OF.get(understood.verdict, Gist.UNCLEAR)
        ask, request = understood.ask, understood.request
    elif ask is not None:
        gist = Gist.QUESTION
    elif request is not None:
        gist = Gist.TASK
    else:
        gist = GISTS.get(intent, Gist.UNCLEAR)
    return Message(
        text=str(latest.get("text") or ""),
        openid=tracker.sender_id,
        gist=gist,
        now=now or datetime.now(),
        request=request if gist is Gist.TASK else None,
        ask=ask if gist is Gist.QUESTION else None,
        item=first_item(latest),
    )


def fixed_response(message: Message, tracker: Tracker) -> str:
    """The domain file's response for a message no desk and no guide answers: small talk's
    own, a task not open yet, out of scope, or not understood."""
    if message.gist is Gist.TASK and message.request in INTENT_OF_REQUEST:
        return f"utter_{INTENT_OF_REQUEST[message.request]}"
    if message.gist is Gist.OUT_OF_SCOPE:
        return "utter_out_of_scope"
    if message.gist in (Gist.CHAT, Gist.YES, Gist.NO):
        intent = intent_of(tracker)
        if GISTS.get(intent) is message.gist:
            return f"utter_{intent}"
        return "utter_affirm" if message.gist is Gist.YES else "utter_deny"
    return "utter_nlu_fallback"
