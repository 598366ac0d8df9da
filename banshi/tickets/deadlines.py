"""How long each type of ticket may take, counted in working days, and which ones are late.

Time limits of 12345 tickets are set by each province. The defaults are 广东's published
rule, as recorded in the team's field notes (NOTES.md, checked 2026-12): 咨询 2 working days,
求助 and 建议 10, 投诉 and 举报 15. 表扬 has no rule of its own; it is forwarded to the
department like a 建议 (10). Days are counted on the working calendar (行政许可法 第八十二条:
期限以工作日计算，不含法定节假日) from the day the ticket was accepted. A year the calendar
does not cover gives no due date: the ticket is flagged ``due_unknown`` and shown to the
dispatcher, never given a guessed date; :func:`settle_unknown_dues` fills it in once the
year's State Council notice is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from types import MappingProxyType
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banshi.calendar.workdays import UnknownYear
from banshi.tickets.kinds import AWAITING_ANSWER, TicketAction, TicketKind, TicketState
from banshi.tickets.models import Ticket, TicketEvent

GUANGDONG_DAYS: Mapping[TicketKind, int] = MappingProxyType(
    {
        TicketKind.CONSULT: 2,
        TicketKind.HELP: 10,
        TicketKind.SUGGESTION: 10,
        TicketKind.PRAISE: 10,
        TicketKind.COMPLAINT: 15,
        TicketKind.REPORT: 15,
    }
)


class WorkingDays(Protocol):
    """What deadlines need of :class:`banshi.calendar.workdays.WorkCalendar`."""

    def is_working_day(self, d: date) -> bool: ...

    def add_working_days(self, start: date, n: int) -> date: ...


@dataclass(frozen=True)
class DeadlinePolicy:
    """Working days allowed per type, and how early a ticket counts as near its due date.

    ``days``: defaults from 广东 (see the module docstring). ``near_due``: a ticket still
    unanswered this many working days before its due date (or on it) is escalated.
    """

    days: Mapping[TicketKind, int] = field(default_factory=lambda: GUANGDONG_DAYS)
    near_due: int = 1

    def days_for(self, kind: TicketKind) -> int:
        return int(self.days[kind])


def due_date(calendar: WorkingDays, accepted_on: date, days: int) -> date | None:
    """The date ``days`` working days after ``accepted_on``; None when the calendar does
    not cover a year on the way (UnknownYear): never guessed."""
    try:
        return calendar.add_working_days(accepted_on, days)
    except UnknownYear:
        return None


def set_due(ticket: Ticket, calendar: WorkingDays, policy: DeadlinePolicy) -> None:
    """Give a new ticket its due date, or flag it when the calendar cannot tell."""
    due = due_date(calendar, ticket.accepted_on, policy.days_for(TicketKind(ticket.kind)))
    ticket.due_on = due
    ticket.due_unknown = due is None


class Urgency(str, Enum):
    """Why the dispatcher should look at a ticket now."""

    DUE_UNKNOWN = "due_unknown"  # no due date: the calendar lacks the year
    OVERDUE = "overdue"  # 超期
    NEAR_DUE = "near_due"  # 临期

    @property
    def label(self) -> str:
        return _URGENCY_LABELS[self]


_URGENCY_LABELS = {
    Urgency.DUE_UNKNOWN: "期限未定（节假日安排未录入）",
    Urgency.OVERDUE: "已超期",
    Urgency.NEAR_DUE: "临近期限",
}


def urgency_of(ticket: Ticket, calendar: WorkingDays, today: date, near_due: int) -> Urgency | None:
    """The ticket's urgency today, or None when it has time (or is already answered)."""
    if TicketState(ticket.state) not in AWAITING_ANSWER:
        return None
    if ticket.due_on is None:
        return Urgency.DUE_UNKNOWN
    if today > ticket.due_on:
        return Urgency.OVERDUE
    warn_from = due_date(calendar, today, near_due)
    # An unknown year between today and the due date: warn rather than stay silent.
    if warn_from is None or warn_from >= ticket.due_on:
        return Urgency.NEAR_DUE
    return None


@dataclass(frozen=True)
class Escalation:
    """A ticket the dispatcher must look at, and why."""

    number: str
    kind: TicketKind
    state: TicketState
    dept_name: str
    due_on: date | None
    urgency: Urgency


def urgency_counts(
    session: Session, calendar: WorkingDays, policy: DeadlinePolicy, today: date
) -> dict[Urgency, int]:
    """How many unanswered tickets are overdue, near due, or without a due date today (the
    dashboard's card: counted in the database, not ticket by ticket)."""
    awaiting = [s.value for s in AWAITING_ANSWER]
    warn_from = due_date(calendar, today, policy.near_due)

    def count(*conditions: Any) -> int:
        query = select(func.count()).select_from(Ticket).where(Ticket.state.in_(awaiting))
        return int(session.execute(query.where(*conditions)).scalar_one())

    near = [Ticket.due_on >= today]
    if warn_from is not None:  # an unknown year on the way: every dated one is near
        near.append(Ticket.due_on <= warn_from)
    return {
        Urgency.DUE_UNKNOWN: count(Ticket.due_on.is_(None)),
        Urgency.OVERDUE: count(Ticket.due_on < today),
        Urgency.NEAR_DUE: count(*near),
    }


def escalate(
    session: Session,
    calendar: WorkingDays,
    policy: DeadlinePolicy,
    now: datetime,
) -> list[Escalation]:
    """Unanswered tickets that are overdue, near due or without a due date, most urgent first.

    Each urgency is recorded once in the ticket's history (督办提醒), so a dispatcher's
    periodic run does not repeat itself; every call still returns all of them.
    """
    today = now.date()
    found: list[Escalation] = []
    query = (
        select(Ticket)
        .where(Ticket.state.in_([s.value for s in AWAITING_ANSWER]))
        .order_by(Ticket.due_on, Ticket.id)
    )
    for ticket in session.execute(query).scalars():
        urgency = urgency_of(ticket, calendar, today, policy.near_due)
        if urgency is None:
            continue
        if ticket.urgency != urgency.value:
            ticket.urgency = urgency.value
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=now,
                    actor="system",
                    action=TicketAction.ESCALATE.value,
                    from_state=ticket.state,
                    to_state=ticket.state,
                    dept_name=ticket.dept_name,
                    reason=urgency.label,
                )
            )
        found.append(
            Escalation(
                ticket.number,
                TicketKind(ticket.kind),
                TicketState(ticket.state),
                ticket.dept_name,
                ticket.due_on,
                urgency,
            )
        )
    order = {Urgency.DUE_UNKNOWN: 0, Urgency.OVERDUE: 1, Urgency.NEAR_DUE: 2}
    found.sort(key=lambda e: (order[e.urgency], e.due_on or date.min))
    session.flush()
    return found


def settle_unknown_dues(
    session: Session, calendar: WorkingDays, policy: DeadlinePolicy, now: datetime
) -> int:
    """Compute the due dates the calendar could not give before; how many were settled.

    Run after a new year's holidays are loaded. Each settled ticket records when and to
    which date in its history.
    """
    settled = 0
    query = select(Ticket).where(Ticket.due_unknown.is_(True))
    for ticket in session.execute(query).scalars():
        days = policy.days_for(TicketKind(ticket.kind)) + int(ticket.extension_days or 0)
        due = due_date(calendar, ticket.accepted_on, days)
        if due is None:
            continue
        ticket.due_on = due
        ticket.due_unknown = False
        ticket.urgency = None
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor="system",
                action=TicketAction.DUE.value,
                from_state=ticket.state,
                to_state=ticket.state,
                dept_name=ticket.dept_name,
                reason=f"办理期限：{due.isoformat()}",
            )
        )
        settled += 1
    session.flush()
    return settled
