"""What can be rated: a service that ended, named by its kind and its own reference."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ServiceKind(str, Enum):
    BOOKING = "booking"  # a booking checked in at the hall (ref: the booking's id or number)
    TICKET = "ticket"  # a ticket answered and closed (ref: the ticket number)
    HANDOFF = "handoff"  # a conversation with staff, closed (ref: the handoff's id)

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ServiceKind.BOOKING: "预约办事",
    ServiceKind.TICKET: "工单办理",
    ServiceKind.HANDOFF: "人工服务",
}


@dataclass(frozen=True)
class Service:
    """One service that ended: ``Service(ServiceKind.TICKET, "GD202612070001")``."""

    kind: ServiceKind
    ref: str

    def __post_init__(self) -> None:
        if not self.ref:
            raise ValueError("a service needs its reference (booking id, ticket number …)")


class InvitationState(str, Enum):
    INVITED = "invited"
    RATED = "rated"
    DECLINED = "declined"  # not asked again
