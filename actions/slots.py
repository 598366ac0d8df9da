"""What the conversation remembers between turns, as Rasa slots.

The guide's item and numbered list (``item_code``, ``candidates``, ``pending_ask``), the
district the citizen chose for a 事项 several districts implement (``region``), and the
task in progress (``task``: a :class:`TaskState`; ``task_active``, the only slot that steers
the rules). None of them ever holds personal data: desks keep that in their own rows.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from banshi.asks import Ask
from banshi.conversation import TaskState
from banshi.guide import DialogueState


def dialogue_state(tracker: Tracker) -> DialogueState:
    pending = tracker.get_slot("pending_ask")
    try:
        ask = Ask(pending) if pending else None
    except ValueError:  # a value from an older version of the assistant
        ask = None
    return DialogueState(
        item_code=tracker.get_slot("item_code") or None,
        candidates=[str(code) for code in tracker.get_slot("candidates") or []],
        pending=ask,
        region=tracker.get_slot("region") or None,
    )


def dialogue_events(state: DialogueState) -> list[EventType]:
    return [
        SlotSet("item_code", state.item_code),
        SlotSet("candidates", list(state.candidates)),
        SlotSet("pending_ask", state.pending.value if state.pending else None),
        SlotSet("region", state.region),
    ]


def task_state(tracker: Tracker) -> TaskState | None:
    return TaskState.from_slot(tracker.get_slot("task"))


def task_events(state: TaskState | None) -> list[EventType]:
    return [
        SlotSet("task", state.to_slot() if state else None),
        SlotSet("task_active", state is not None),
    ]
