"""Building the rasa_sdk side of a turn for action tests."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


def tracker_for(sender_id: str, slots: dict[str, Any], latest_message: dict[str, Any]) -> Tracker:
    """A tracker just after the citizen's message, as the action server would build it."""
    return Tracker(
        sender_id=sender_id,
        slots=dict(slots),
        latest_message=latest_message,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_action(
    action: Action, tracker: Tracker, domain: dict[str, Any] | None = None
) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    """Run ``action`` for one turn; the dispatcher holds what it said."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return dispatcher, events
