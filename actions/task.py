"""``action_task``: every multi-turn task (notices now; bookings, surveys, tickets next).

A task asked for, and every message while one is active, come here; the domain's
:class:`~banshi.conversation.Conversation` decides whether the task's desk takes it, or the
guide answers it (the task waits), or it is small talk (its fixed response from the domain
file, the task waits).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.guide import take_turn


class ActionTask(Action):
    def name(self) -> str:
        return "action_task"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        # The same turn as action_guide's: decided first (a task the words do not support is
        # a question about the item they name), then the desk, the guide or a fixed response.
        return await take_turn(dispatcher, tracker, domain)
