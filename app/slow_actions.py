"""The project's actions, made slower than WeChat's 5 seconds for chosen citizens.

``banshi run --actions app.slow_actions`` serves the real actions but delays them by ``BANSHI_SLOW_ACTION_SECONDS`` (default 6) for senders whose OpenID contains
``slow``: tests and the bench use it to prove that slow answers arrive as 客服消息 and that
none is lost. Never used in production.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

import app.action_entry  # noqa: F401  (the services and the real actions)
from actions.guide import ActionGuide
from actions.task import ActionTask

MARK = "slow"


async def _delay(tracker: Tracker) -> None:
    if MARK in (tracker.sender_id or "").lower():
        await asyncio.sleep(float(os.environ.get("BANSHI_SLOW_ACTION_SECONDS") or 6))


class SlowActionGuide(ActionGuide):
    """Registered after ``ActionGuide`` (a subclass), so it replaces it under the same name."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await _delay(tracker)
        return await super().run(dispatcher, tracker, domain)


class SlowActionTask(ActionTask):
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await _delay(tracker)
        return await super().run(dispatcher, tracker, domain)
