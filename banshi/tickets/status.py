"""“我的工单”: a citizen's tickets and one ticket's progress, in their own chat.

Only the citizen's own tickets are shown; a number that is someone else's reads the same as
an unknown one, so numbers cannot be probed.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banshi.tickets import texts
from banshi.tickets.kinds import TicketKind, TicketState
from banshi.tickets.models import Ticket
from banshi.tickets.numbering import normalize_number
from banshi.tickets.views import ticket_view

LIST_LIMIT = 10
REPLIES_SHOWN = 3  # the latest replies in chat; the reply page has them all


def progress_of(ticket: Ticket) -> str:
    return texts.progress(TicketState(ticket.state).label, ticket.dept_name or "")


def my_tickets_text(session: Session, openid: str) -> str:
    """The citizen's newest tickets, each with its number, type, date and progress."""
    rows = list(
        session.execute(
            select(Ticket)
            .where(Ticket.openid == openid)
            .order_by(Ticket.id.desc())
            .limit(LIST_LIMIT)
        ).scalars()
    )
    if not rows:
        return texts.NO_TICKETS
    total = int(
        session.execute(
            select(func.count()).select_from(Ticket).where(Ticket.openid == openid)
        ).scalar_one()
    )
    lines = [texts.LIST_HEAD.format(count=total)]
    for n, ticket in enumerate(rows, 1):
        lines.append(
            texts.list_line(
                n, ticket.number, TicketKind(ticket.kind), progress_of(ticket), ticket.accepted_on
            )
        )
    if total > len(rows):
        lines.append(texts.LIST_MORE.format(count=total - len(rows)))
    return "\n".join(lines)


def ticket_text(session: Session, openid: str, number: str) -> str:
    """One ticket's progress, what it is about, and the replies so far."""
    wanted = normalize_number(number)
    ticket = session.execute(
        select(Ticket).where(Ticket.number == wanted, Ticket.openid == openid)
    ).scalar_one_or_none()
    if ticket is None:
        return texts.NOT_FOUND.format(number=wanted)
    view = ticket_view(session, ticket, with_history=False)
    return texts.detail(
        view.number,
        view.kind,
        progress_of(ticket),
        view.concerned,
        view.content,
        view.due_on,
        view.state.awaits_answer,
        [(r.at.date(), r.dept_name, r.text) for r in view.replies[-REPLIES_SHOWN:]],
        view.merged_into,
    )
