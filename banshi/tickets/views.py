"""Reading tickets for staff and pages: the queue, one ticket with its replies and history.

Views carry masked text only; the original of a masked content is read one ticket at a
time through :func:`original_content` (the console should allow it to the handling
department and audit it). An anonymous 举报's citizen is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from banshi.models import Item
from banshi.privacy.crypto import FieldCipher
from banshi.tickets.kinds import AWAITING_ANSWER, Source, TicketAction, TicketKind, TicketState
from banshi.tickets.models import OPEN_PREDICATE, Ticket, TicketEvent, TicketReply

QUEUE_PAGE = 20


@dataclass(frozen=True)
class ReplyView:
    at: datetime
    staff: str
    dept_name: str
    text: str


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    action: TicketAction
    from_state: TicketState | None
    to_state: TicketState | None
    dept_name: str
    reason: str


@dataclass(frozen=True)
class TicketView:
    """One ticket as staff and the reply page see it (masked)."""

    number: str
    kind: TicketKind
    state: TicketState
    source: Source
    anonymous: bool
    item_name: str
    hall_name: str
    dept_name: str
    content: str
    photos: tuple[int, ...]
    callback: bool
    phone: str
    created_at: datetime
    due_on: date | None
    due_unknown: bool
    extension_days: int
    merged_into: str | None
    replies: tuple[ReplyView, ...]
    history: tuple[EventView, ...]

    @property
    def concerned(self) -> str:
        """What the ticket is about: the item and/or the hall named."""
        return "，".join(x for x in (self.item_name, self.hall_name) if x)


def _state(value: str | None) -> TicketState | None:
    return TicketState(value) if value else None


def history_of(session: Session, ticket_id: int) -> list[EventView]:
    rows = session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).scalars()
    return [
        EventView(
            e.at,
            e.actor,
            TicketAction(e.action),
            _state(e.from_state),
            _state(e.to_state),
            e.dept_name,
            e.reason,
        )
        for e in rows
    ]


def replies_view(session: Session, ticket_id: int) -> list[ReplyView]:
    rows = session.execute(
        select(TicketReply).where(TicketReply.ticket_id == ticket_id).order_by(TicketReply.id)
    ).scalars()
    return [ReplyView(r.created_at, r.staff, r.dept_name, r.text) for r in rows]


def ticket_view(session: Session, ticket: Ticket, with_history: bool = True) -> TicketView:
    merged = (
        session.execute(select(Ticket.number).where(Ticket.id == ticket.merged_into_id)).scalar()
        if ticket.merged_into_id
        else None
    )
    return TicketView(
        number=ticket.number,
        kind=TicketKind(ticket.kind),
        state=TicketState(ticket.state),
        source=Source(ticket.source),
        anonymous=bool(ticket.anonymous),
        item_name=ticket.item_name or "",
        hall_name=ticket.hall_name or "",
        dept_name=ticket.dept_name or "",
        content=ticket.content_masked,
        photos=tuple(int(i) for i in ticket.attachment_ids or []),
        callback=bool(ticket.callback),
        phone="" if ticket.anonymous else (ticket.phone_masked or ""),
        created_at=ticket.created_at,
        due_on=ticket.due_on,
        due_unknown=bool(ticket.due_unknown),
        extension_days=int(ticket.extension_days or 0),
        merged_into=merged,
        replies=tuple(replies_view(session, ticket.id)),
        history=tuple(history_of(session, ticket.id)) if with_history else (),
    )


def original_content(ticket: Ticket, cipher: FieldCipher) -> str:
    """The content as the citizen typed it (decrypted only when masking changed it)."""
    if ticket.content_encrypted:
        return cipher.decrypt(ticket.content_encrypted)
    return str(ticket.content_masked)


def queue(
    session: Session,
    state: TicketState | None = None,
    dept: str | None = None,
    limit: int = QUEUE_PAGE,
    offset: int = 0,
    *,
    kind: TicketKind | None = None,
    awaiting: bool = False,
    due_by: date | None = None,
    undated: bool | None = None,
) -> list[Ticket]:
    """The dispatcher's queue: open tickets (or one state), the earliest due first; tickets
    without a due date come first, since nobody can tell how late they are.

    ``kind`` and ``dept`` narrow it; ``awaiting``: only tickets still waiting for a reply (the
    deadline runs); ``due_by``: due on that day or earlier (then undated ones are left out);
    ``undated``: True only those without a due date, False only those with one.

    Two ordered reads (undated, then dated) rather than ``NULLS FIRST``, so each walks an
    index in order on SQLite and PostgreSQL alike (``ix_ticket_open_due``).
    """
    base = select(Ticket)
    if state is not None:
        base = base.where(Ticket.state == state.value)
    else:
        base = base.where(text(OPEN_PREDICATE))
    if awaiting:
        base = base.where(Ticket.state.in_([s.value for s in AWAITING_ANSWER]))
    if kind is not None:
        base = base.where(Ticket.kind == kind.value)
    if dept:
        base = base.where(Ticket.dept_name == dept)
    if due_by is not None:
        base = base.where(Ticket.due_on <= due_by)
        undated = False
    wanted = offset + limit
    undated_rows: list[Ticket] = []
    if undated is not False:
        undated_rows = list(
            session.execute(
                base.where(Ticket.due_on.is_(None)).order_by(Ticket.id).limit(wanted)
            ).scalars()
        )
    dated: list[Ticket] = []
    if undated is not True and len(undated_rows) < wanted:
        dated = list(
            session.execute(
                base.where(Ticket.due_on.is_not(None))
                .order_by(Ticket.due_on, Ticket.id)
                .limit(wanted - len(undated_rows))
            ).scalars()
        )
    return [*undated_rows, *dated][offset:wanted]


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def summary_dict(ticket: Ticket) -> dict[str, Any]:
    """One line of a list, JSON-safe."""
    kind, state = TicketKind(ticket.kind), TicketState(ticket.state)
    return {
        "number": ticket.number,
        "kind": kind.value,
        "kind_label": kind.label,
        "state": state.value,
        "state_label": state.label,
        "dept": ticket.dept_name or "",
        "item": ticket.item_name or "",
        "hall": ticket.hall_name or "",
        "created_at": _iso(ticket.created_at),
        "due_on": _iso(ticket.due_on),
        "due_unknown": bool(ticket.due_unknown),
        "anonymous": bool(ticket.anonymous),
    }


def view_dict(view: TicketView) -> dict[str, Any]:
    """A whole ticket, JSON-safe, masked."""
    return {
        "number": view.number,
        "kind": view.kind.value,
        "kind_label": view.kind.label,
        "state": view.state.value,
        "state_label": view.state.label,
        "source": view.source.value,
        "anonymous": view.anonymous,
        "item": view.item_name,
        "hall": view.hall_name,
        "dept": view.dept_name,
        "content": view.content,
        "photos": list(view.photos),
        "callback": view.callback,
        "phone": view.phone,
        "created_at": _iso(view.created_at),
        "due_on": _iso(view.due_on),
        "due_unknown": view.due_unknown,
        "extension_days": view.extension_days,
        "merged_into": view.merged_into,
        "replies": [
            {"at": _iso(r.at), "staff": r.staff, "dept": r.dept_name, "text": r.text}
            for r in view.replies
        ],
        "history": [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "action": e.action.value,
                "action_label": e.action.label,
                "from": e.from_state.value if e.from_state else None,
                "to": e.to_state.value if e.to_state else None,
                "dept": e.dept_name,
                "reason": e.reason,
            }
            for e in view.history
        ],
    }


def known_departments(session: Session, limit: int = 500) -> list[str]:
    """Departments a dispatcher may route to: those of the catalog's items and those
    tickets already went to (a dispatcher may still type another)."""
    names = set(
        session.execute(select(Item.dept_name).where(Item.dept_name != "").distinct()).scalars()
    )
    names |= set(
        session.execute(select(Ticket.dept_name).where(Ticket.dept_name != "").distinct()).scalars()
    )
    return sorted(str(n) for n in names if n)[:limit]
