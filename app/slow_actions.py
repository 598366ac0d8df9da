"""The project's actions, made slower than WeChat's 5 seconds for chosen citizens.

``banshi run --actions wechat_standin.slow_actions`` serves the real ``action_guide`` but
delays it by ``BANSHI_SLOW_ACTION_SECONDS`` (default 6) for senders whose OpenID contains
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

from actions.actions import ActionGuide

MARK = "slow"


class SlowActionGuide(ActionGuide):
    """Registered after ``ActionGuide`` (a subclass), so it replaces it under the same name."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if MARK in (tracker.sender_id or "").lower():
            await asyncio.sleep(float(os.environ.get("BANSHI_SLOW_ACTION_SECONDS") or 6))
        return await super().run(dispatcher, tracker, domain)
