"""Reading handoffs for the staff inbox: who waits, who is held by whom, and the log.

Staff see a citizen pseudonymously (the OpenID's last characters, enough to tell two apart
on one screen) and their words masked; the original of a masked line stays encrypted
(:mod:`banshi.handoff.models`). The service (:mod:`banshi.handoff.service`) changes
handoffs; this module only reads them, inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banshi.handoff.models import Handoff, HandoffMessage
from banshi.handoff.states import Closure, HandoffState, Sender
from banshi.tickets.models import Ticket


@dataclass(frozen=True)
class WaitingLine:
    """A waiting citizen as the staff list shows them (pseudonymous, masked)."""

    id: int
    who: str  # the OpenID's last characters: enough to tell two citizens apart
    requested_at: datetime
    waited_minutes: int
    messages: int
    last_text: str


@dataclass(frozen=True)
class HandoffLine:
    """One handoff as a staff page shows it (pseudonymous: never the whole OpenID)."""

    id: int
    who: str
    state: HandoffState
    staff: str | None
    requested_at: datetime
    taken_at: datetime | None
    closed_at: datetime | None
    closure: Closure | None
    ticket_number: str | None  # the 咨询 it became, if any


@dataclass(frozen=True)
class LogLine:
    at: datetime
    sender: Sender
    staff: str | None
    text: str


def who(openid: str) -> str:
    return "…" + openid[-4:]


def waiting_count(session: Session) -> int:
    """How many citizens wait for a person now (the dashboard's card)."""
    return int(
        session.execute(
            select(func.count())
            .select_from(Handoff)
            .where(Handoff.state == HandoffState.WAITING.value)
        ).scalar_one()
    )


def log_version(session: Session, handoff_id: int) -> str:
    """What a page showing the conversation has seen: its state and its newest line (one
    indexed query; "gone" once the handoff was deleted)."""
    newest = (
        select(func.max(HandoffMessage.id))
        .where(HandoffMessage.handoff_id == handoff_id)
        .scalar_subquery()
    )
    row = session.execute(select(Handoff.state, newest).where(Handoff.id == handoff_id)).first()
    if row is None:
        return "gone"
    return f"{row[0]}.{row[1] or 0}"


def inbox_version(session: Session) -> str:
    """What the inbox has seen: the open handoffs, who holds each, and the newest line of a
    waiting citizen (the inbox shows it). Lines of held conversations do not count: their
    pages follow them."""
    rows = session.execute(
        select(Handoff.id, Handoff.state, Handoff.staff)
        .where(Handoff.state != HandoffState.CLOSED.value)
        .order_by(Handoff.id)
    ).all()
    newest = session.execute(
        select(func.max(HandoffMessage.id))
        .join(Handoff, Handoff.id == HandoffMessage.handoff_id)
        .where(Handoff.state == HandoffState.WAITING.value)
    ).scalar()
    seen = ";".join(f"{i}.{state}.{staff or ''}" for i, state, staff in rows) + f"|{newest or 0}"
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def log_of(session: Session, handoff_id: int) -> list[LogLine]:
    """The conversation as staff read it (masked), oldest first."""
    rows = session.execute(
        select(HandoffMessage)
        .where(HandoffMessage.handoff_id == handoff_id)
        .order_by(HandoffMessage.id)
    ).scalars()
    return [LogLine(m.at, Sender(m.sender), m.staff, m.text_masked) for m in rows]


def waiting(session: Session, now: datetime) -> list[WaitingLine]:
    """Citizens waiting for a person, the longest wait first."""
    rows = session.execute(
        select(Handoff)
        .where(Handoff.state == HandoffState.WAITING.value)
        .order_by(Handoff.requested_at, Handoff.id)
    ).scalars()
    lines = []
    for h in rows:
        log = log_of(session, h.id)
        lines.append(
            WaitingLine(
                h.id,
                who(h.openid),
                h.requested_at,
                int((now - h.requested_at).total_seconds() // 60),
                len(log),
                log[-1].text if log else "",
            )
        )
    return lines


def line_of(session: Session, handoff: Handoff) -> HandoffLine:
    number = (
        session.execute(select(Ticket.number).where(Ticket.id == handoff.ticket_id)).scalar()
        if handoff.ticket_id
        else None
    )
    return HandoffLine(
        handoff.id,
        who(handoff.openid),
        HandoffState(handoff.state),
        handoff.staff,
        handoff.requested_at,
        handoff.taken_at,
        handoff.closed_at,
        Closure(handoff.closure) if handoff.closure else None,
        number,
    )


def held(session: Session) -> list[HandoffLine]:
    """Conversations a person holds now, the earliest taken first."""
    rows = session.execute(
        select(Handoff)
        .where(Handoff.state == HandoffState.HELD.value)
        .order_by(Handoff.taken_at, Handoff.id)
    ).scalars()
    return [line_of(session, h) for h in rows]
