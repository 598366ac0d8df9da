"""Where a handoff stands, how it ended, and who said a line."""

from __future__ import annotations

from enum import Enum


class HandoffState(str, Enum):
    WAITING = "waiting"  # asked for; nobody has taken it yet (the bot is silent)
    HELD = "held"  # a staff member holds the conversation (the bot is silent)
    CLOSED = "closed"  # the bot answers again

    @property
    def label(self) -> str:
        return {"waiting": "等待接入", "held": "人工服务中", "closed": "已结束"}[self.value]


class Closure(str, Enum):
    """How a handoff ended."""

    DONE = "done"  # staff (or the citizen) ended the conversation
    CANCELLED = "cancelled"  # the citizen no longer wanted a person before anyone took it
    TIMEOUT = "timeout"  # nobody took it in time: it became a ticket
    AFTER_HOURS = "after_hours"  # asked outside service hours: it became a ticket


class Sender(str, Enum):
    CITIZEN = "citizen"
    STAFF = "staff"
