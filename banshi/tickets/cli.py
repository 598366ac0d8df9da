"""What the ``banshi tickets`` commands do (the integrator wires argparse to these).

``banshi tickets list [--state S] --json`` → :func:`tickets_json`;
``banshi tickets show NUMBER --json`` → :func:`ticket_json`;
``banshi tickets reply NUMBER "TEXT"`` → :func:`reply`;
``banshi tickets close NUMBER`` → :func:`close` (which invites the citizen to rate).
Each runs in the caller's transaction; a :class:`~banshi.tickets.errors.TicketError`'s
message is what the command prints before exiting with status 1.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from banshi.ratings.invitations import invite
from banshi.ratings.services import Service, ServiceKind
from banshi.tickets import lifecycle
from banshi.tickets.kinds import TicketKind, TicketState
from banshi.tickets.replies import record_reply
from banshi.tickets.views import queue, summary_dict, ticket_view, view_dict

LIST_LIMIT = 200


def _now(now: datetime | None) -> datetime:
    return now or datetime.now().replace(microsecond=0)


def tickets_json(session: Session, state: str | None = None, limit: int = LIST_LIMIT) -> str:
    """Open tickets (or those in ``state``, a code or a label such as 答复), the earliest due
    first, as a JSON array."""
    wanted = TicketState.parse(state) if state else None
    rows = queue(session, wanted, limit=limit)
    return json.dumps([summary_dict(t) for t in rows], ensure_ascii=False, indent=2)


def ticket_json(session: Session, number: str) -> str:
    """One ticket with its replies and history, as a JSON object (masked)."""
    ticket = lifecycle.get_ticket(session, number)
    return json.dumps(view_dict(ticket_view(session, ticket)), ensure_ascii=False, indent=2)


def reply(session: Session, number: str, text: str, staff: str, now: datetime | None = None) -> str:
    """Record a staff reply; it is queued for the citizen. Returns a line for the terminal."""
    ticket = lifecycle.get_ticket(session, number)
    record_reply(session, ticket, text, staff, _now(now))
    return f"已答复工单 {ticket.number}，答复将发送给群众。"


def close(session: Session, number: str, staff: str, now: datetime | None = None) -> str:
    """办结 an answered ticket and invite the citizen, once, to rate it."""
    when = _now(now)
    ticket = lifecycle.get_ticket(session, number)
    lifecycle.close(session, ticket, staff, when)
    kind = TicketKind(ticket.kind)
    invite(
        session,
        Service(ServiceKind.TICKET, ticket.number),
        ticket.openid,
        f"您的{kind.label}工单 {ticket.number} 已办结",
        when,
    )
    return f"工单 {ticket.number} 已办结。"
