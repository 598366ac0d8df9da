"""Staff replies to tickets: recorded, moved to 答复, and queued for the citizen once.

The reply's text is what the citizen reads (staff write it for them); the outbox row links
the ticket's reply page, so a template message can announce it when the 48-hour window for
客服消息 has closed (:mod:`banshi.tickets.outbox`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.tickets import texts
from banshi.tickets.errors import TicketError, TransitionRefused
from banshi.tickets.kinds import TicketAction, TicketKind, TicketState
from banshi.tickets.lifecycle import move, record
from banshi.tickets.models import Ticket, TicketReply
from banshi.tickets.outbox import OutboxKind, post

MAX_REPLY_CHARS = 1500  # leaves room for the heading and link inside WeChat's ~2,000 bytes


def record_reply(
    session: Session, ticket: Ticket, text: str, staff: str, now: datetime
) -> TicketReply:
    """答复: keep the reply, move the ticket to ANSWERED, and queue it for the citizen."""
    body = text.strip()
    if not body:
        raise TicketError("答复内容不能为空。")
    if len(body) > MAX_REPLY_CHARS:
        raise TicketError(f"答复请控制在 {MAX_REPLY_CHARS} 字以内，详细材料可电话告知。")
    state = TicketState(ticket.state)
    if not state.is_open:
        raise TransitionRefused(f"工单 {ticket.number} 已{state.label}，不能再答复。")
    if state is TicketState.ANSWERED:
        record(session, ticket, TicketAction.REPLY, staff, now, reason="补充答复")
    else:
        move(session, ticket, TicketState.ANSWERED, TicketAction.REPLY, staff, now)
        ticket.answered_at = ticket.answered_at or now
    ticket.urgency = None
    reply = TicketReply(
        ticket_id=ticket.id,
        staff=staff,
        dept_name=ticket.dept_name or "",
        text=body,
        created_at=now,
    )
    session.add(reply)
    if ticket.openid:
        post(
            session,
            ticket.openid,
            OutboxKind.TICKET_REPLY,
            texts.reply_message(ticket.number, TicketKind(ticket.kind), ticket.dept_name, body),
            now,
            ref=ticket.number,
            title=texts.REPLY_TITLE,
            page=ticket.number,
        )
    session.flush()
    return reply


def replies_of(session: Session, ticket: Ticket) -> list[TicketReply]:
    return list(
        session.execute(
            select(TicketReply).where(TicketReply.ticket_id == ticket.id).order_by(TicketReply.id)
        ).scalars()
    )
