"""The handoff settings a deployment may change."""

from __future__ import annotations

from dataclasses import dataclass, field

from banshi.handoff.hours import ServiceHours


@dataclass(frozen=True)
class HandoffConfig:
    """``hours``: when staff answer (default 工作日 09:00-12:00、13:30-17:30).
    ``wait_minutes``: how long a citizen waits for someone to take the conversation before
    it becomes a 咨询 ticket (default 10)."""

    hours: ServiceHours = field(default_factory=ServiceHours)
    wait_minutes: int = 10
