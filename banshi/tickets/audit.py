"""Staff actions on tickets, 转人工 conversations and ratings, as the audit log records them.

The console and the ``banshi tickets`` commands record every such action in the staff audit
log (:mod:`banshi.staff.audit`'s table), in the action's own transaction. The codes of a
reply and a dispatch are :class:`~banshi.staff.audit.AuditAction`'s own; the others are
this feature's, and the log shows their code until ``AuditAction`` learns their labels.
An entry names the ticket, handoff or rating, never the citizen's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from banshi.staff.models import AuditEntry


class StaffAction(str, Enum):
    REPLY = "reply"  # AuditAction.REPLY
    DISPATCH = "dispatch"  # AuditAction.DISPATCH
    TAKE = "ticket_take"
    RETURN = "ticket_return"
    REROUTE = "ticket_reroute"
    EXTEND = "ticket_extend"
    MERGE = "ticket_merge"
    VISIT = "ticket_visit"
    CLOSE = "ticket_close"
    HANDOFF_TAKE = "handoff_take"
    HANDOFF_SEND = "handoff_send"
    HANDOFF_CLOSE = "handoff_close"
    FOLLOW_UP = "rating_follow_up"
    SET_ASIDE = "rating_set_aside"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    StaffAction.REPLY: "答复",
    StaffAction.DISPATCH: "派单",
    StaffAction.TAKE: "签收工单",
    StaffAction.RETURN: "退单",
    StaffAction.REROUTE: "改派",
    StaffAction.EXTEND: "工单延期",
    StaffAction.MERGE: "合并工单",
    StaffAction.VISIT: "回访",
    StaffAction.CLOSE: "办结工单",
    StaffAction.HANDOFF_TAKE: "接入人工服务",
    StaffAction.HANDOFF_SEND: "人工服务回复",
    StaffAction.HANDOFF_CLOSE: "结束人工服务",
    StaffAction.FOLLOW_UP: "差评核实整改",
    StaffAction.SET_ASIDE: "甄别评价",
}


def record_action(
    session: Session,
    actor: str,
    action: StaffAction,
    target: str,
    *,
    summary: str,
    at: datetime,
    detail: Mapping[str, Any] | None = None,
    address: str = "",
) -> AuditEntry:
    """Add an entry in the caller's transaction, as :func:`banshi.staff.audit.record` does.
    ``target``: ``ticket:GD202612070001``, ``handoff:12``, ``rating:3``; ``detail`` must not
    hold personal data."""
    entry = AuditEntry(
        at=at.replace(microsecond=0),
        actor=actor[:40],
        action=action.value,
        target=target[:200],
        summary=summary,
        detail=dict(detail or {}),
        address=address[:64],
    )
    session.add(entry)
    session.flush()
    return entry
