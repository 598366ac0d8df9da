"""The ticket settings a deployment may change; the integrator builds one from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from banshi.tickets.deadlines import DeadlinePolicy
from banshi.tickets.numbering import DEFAULT_PREFIX


@dataclass(frozen=True)
class TicketConfig:
    """``prefix``: ticket numbers (GD202612070001). ``deadlines``: working days per type
    (广东's defaults). ``max_photos``: photos kept per ticket (a WeChat album sends 9)."""

    prefix: str = DEFAULT_PREFIX
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    max_photos: int = 9
