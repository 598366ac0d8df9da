"""Filing a ticket and moving it through the closed loop, each move recorded with who, when, why.

Every function works inside the caller's transaction (``banshi.db.session_scope``) and
raises a :class:`~banshi.tickets.errors.TicketError` whose message tells the staff member
what to do. Replies are in :mod:`banshi.tickets.replies`; deadlines in
:mod:`banshi.tickets.deadlines`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.models import Hall, Item
from banshi.privacy.crypto import FieldCipher
from banshi.privacy.masking import mask_text
from banshi.tickets.config import TicketConfig
from banshi.tickets.deadlines import WorkingDays, due_date, set_due
from banshi.tickets.errors import ReasonRequired, TicketNotFound, TransitionRefused
from banshi.tickets.kinds import Source, TicketAction, TicketKind, TicketState, can_move
from banshi.tickets.models import Ticket, TicketEvent
from banshi.tickets.numbering import next_number, normalize_number

SYSTEM = "system"
CITIZEN = "citizen"


def protect(cipher: FieldCipher, text: str) -> tuple[str, str | None]:
    """Free text as stored: the masked copy, and the encrypted original only when masking
    hid something (see :mod:`banshi.tickets.models`)."""
    masked = mask_text(text)
    return masked, (cipher.encrypt(text) if masked != text else None)


@dataclass(frozen=True)
class NewTicket:
    """A ticket ready to file, its personal fields already protected (:func:`protect`)."""

    openid: str | None
    kind: TicketKind
    content_masked: str
    content_encrypted: str | None = None
    source: Source = Source.CHAT
    item_code: str | None = None
    hall_code: str | None = None
    anonymous: bool = False
    attachment_ids: tuple[int, ...] = ()
    phone_encrypted: str | None = None
    phone_masked: str = ""


def find_ticket(session: Session, number: str) -> Ticket | None:
    return session.execute(
        select(Ticket).where(Ticket.number == normalize_number(number))
    ).scalar_one_or_none()


def get_ticket(session: Session, number: str) -> Ticket:
    ticket = find_ticket(session, number)
    if ticket is None:
        raise TicketNotFound(f"没有编号为 {normalize_number(number)} 的工单，请核对编号。")
    return ticket


def record(
    session: Session,
    ticket: Ticket,
    action: TicketAction,
    actor: str,
    now: datetime,
    *,
    to_state: TicketState | None = None,
    reason: str = "",
) -> TicketEvent:
    """Add one history line; moves the ticket to ``to_state`` when given."""
    before = ticket.state
    if to_state is not None:
        ticket.state = to_state.value
    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor=actor,
        action=action.value,
        from_state=before,
        to_state=ticket.state,
        dept_name=ticket.dept_name or "",
        reason=reason,
    )
    session.add(event)
    return event


def move(
    session: Session,
    ticket: Ticket,
    target: TicketState,
    action: TicketAction,
    actor: str,
    now: datetime,
    reason: str = "",
) -> TicketEvent:
    """Move along an allowed transition, or refuse saying where the ticket stands."""
    current = TicketState(ticket.state)
    if not can_move(current, target):
        raise TransitionRefused(
            f"工单 {ticket.number} 当前为“{current.label}”，不能{action.label}。"
        )
    return record(session, ticket, action, actor, now, to_state=target, reason=reason)


def _required(reason: str, what: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise ReasonRequired(f"{what}需要填写原因。")
    return text


def file_ticket(
    session: Session,
    new: NewTicket,
    calendar: WorkingDays,
    config: TicketConfig,
    now: datetime,
) -> Ticket:
    """受理: number the ticket, set its due date, and route it when the item names a department.

    An item's department (``item.dept_name``) takes the ticket at once; a ticket about a hall
    only, or about nothing named, waits for the dispatcher.
    """
    item = (
        session.execute(select(Item).where(Item.task_code == new.item_code)).scalar_one_or_none()
        if new.item_code
        else None
    )
    hall = (
        session.execute(select(Hall).where(Hall.code == new.hall_code)).scalar_one_or_none()
        if new.hall_code
        else None
    )
    today = now.date()
    ticket = Ticket(
        number=next_number(session, today, config.prefix),
        kind=new.kind.value,
        state=TicketState.ACCEPTED.value,
        source=new.source.value,
        openid=new.openid,
        anonymous=new.anonymous,
        item_code=item.task_code if item else None,
        item_name=item.name if item else "",
        hall_code=hall.code if hall else None,
        hall_name=hall.name if hall else "",
        dept_name="",
        content_masked=new.content_masked,
        content_encrypted=new.content_encrypted,
        attachment_ids=list(new.attachment_ids),
        callback=new.phone_encrypted is not None,
        phone_encrypted=new.phone_encrypted,
        phone_masked=new.phone_masked,
        created_at=now,
        accepted_on=today,
        extension_days=0,
    )
    set_due(ticket, calendar, config.deadlines)
    session.add(ticket)
    session.flush()
    record(session, ticket, TicketAction.FILE, CITIZEN, now, reason=new.source.value)
    if item is not None and item.dept_name:
        dispatch(session, ticket, item.dept_name, SYSTEM, now, "按事项所属部门派单")
    session.flush()
    return ticket


def dispatch(
    session: Session, ticket: Ticket, dept: str, actor: str, now: datetime, reason: str = ""
) -> TicketEvent:
    """派单 to a department (the item's, or the dispatcher's choice)."""
    name = " ".join(dept.split())
    if not name:
        raise TransitionRefused("请填写承办部门。")
    current = TicketState(ticket.state)
    if not can_move(current, TicketState.DISPATCHED):
        raise TransitionRefused(f"工单 {ticket.number} 当前为“{current.label}”，不能派单。")
    ticket.dept_name = name
    return record(
        session,
        ticket,
        TicketAction.DISPATCH,
        actor,
        now,
        to_state=TicketState.DISPATCHED,
        reason=reason,
    )


def take(session: Session, ticket: Ticket, actor: str, now: datetime) -> TicketEvent:
    """The department signs for the ticket and starts handling it."""
    return move(session, ticket, TicketState.HANDLING, TicketAction.TAKE, actor, now)


def send_back(
    session: Session, ticket: Ticket, actor: str, reason: str, now: datetime
) -> TicketEvent:
    """退单: the department says the ticket is not theirs; back to the dispatcher."""
    why = _required(reason, "退单")
    event = move(session, ticket, TicketState.ACCEPTED, TicketAction.RETURN, actor, now, why)
    ticket.dept_name = ""
    return event


def reroute(
    session: Session, ticket: Ticket, dept: str, actor: str, reason: str, now: datetime
) -> TicketEvent:
    """改派: back from the current department and on to another, with the reason recorded."""
    why = _required(reason, "改派")
    if TicketState(ticket.state) in (TicketState.DISPATCHED, TicketState.HANDLING):
        send_back(session, ticket, actor, why, now)
    return dispatch(session, ticket, dept, actor, now, why)


def visit(session: Session, ticket: Ticket, actor: str, note: str, now: datetime) -> TicketEvent:
    """回访: staff called the citizen back after the reply."""
    return move(session, ticket, TicketState.VISITED, TicketAction.VISIT, actor, now, note)


def evaluate(
    session: Session, ticket: Ticket, actor: str, verdict: str, now: datetime
) -> TicketEvent:
    """评价: the citizen's satisfaction, heard at the call-back or rated after closing.

    After 办结 the rating is recorded in the history without reopening the ticket.
    """
    if TicketState(ticket.state) is TicketState.CLOSED:
        return record(session, ticket, TicketAction.EVALUATE, actor, now, reason=verdict)
    return move(session, ticket, TicketState.EVALUATED, TicketAction.EVALUATE, actor, now, verdict)


def close(
    session: Session, ticket: Ticket, actor: str, now: datetime, note: str = ""
) -> TicketEvent:
    """办结: only after a reply (the closed loop answers before it closes)."""
    if TicketState(ticket.state) in (
        TicketState.ACCEPTED,
        TicketState.DISPATCHED,
        TicketState.HANDLING,
    ):
        raise TransitionRefused(f"工单 {ticket.number} 尚未答复，请先答复再办结。")
    event = move(session, ticket, TicketState.CLOSED, TicketAction.CLOSE, actor, now, note)
    ticket.closed_at = now
    return event


def merge(
    session: Session,
    duplicate: Ticket,
    into: Ticket,
    actor: str,
    reason: str,
    now: datetime,
) -> TicketEvent:
    """合并: a repeat of the same matter by the same citizen follows the ticket it repeats."""
    why = _required(reason, "合并")
    if duplicate.id == into.id:
        raise TransitionRefused("不能把工单合并到它自己。")
    if duplicate.openid != into.openid or duplicate.openid is None:
        raise TransitionRefused("只能合并同一位群众就同一事项提交的工单。")
    if not TicketState(into.state).is_open:
        raise TransitionRefused(f"工单 {into.number} 已{TicketState(into.state).label}，不能并入。")
    event = move(
        session,
        duplicate,
        TicketState.MERGED,
        TicketAction.MERGE,
        actor,
        now,
        f"并入 {into.number}：{why}",
    )
    duplicate.merged_into_id = into.id
    duplicate.closed_at = now
    record(session, into, TicketAction.MERGE, actor, now, reason=f"合并 {duplicate.number}：{why}")
    return event


def extend(
    session: Session,
    ticket: Ticket,
    days: int,
    actor: str,
    reason: str,
    calendar: WorkingDays,
    now: datetime,
) -> date | None:
    """延期 by ``days`` working days, with a reason; the new due date (None: still unknown)."""
    why = _required(reason, "延期")
    if days < 1:
        raise TransitionRefused("延期天数至少为 1 个工作日。")
    if not TicketState(ticket.state).awaits_answer:
        raise TransitionRefused(f"工单 {ticket.number} 已答复或已结束，无需延期。")
    ticket.extension_days = int(ticket.extension_days or 0) + days
    if ticket.due_on is not None:
        ticket.due_on = due_date(calendar, ticket.due_on, days)
        ticket.due_unknown = ticket.due_on is None
    ticket.urgency = None
    due = ticket.due_on.isoformat() if ticket.due_on else "待定"
    record(
        session, ticket, TicketAction.EXTEND, actor, now, reason=f"延期{days}个工作日至{due}：{why}"
    )
    return ticket.due_on
