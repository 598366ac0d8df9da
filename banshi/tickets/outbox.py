"""Messages owed to citizens outside their turn, and by which route each one goes.

A staff reply, a line typed by staff during a handoff, a rating invitation: each is one
:class:`~banshi.tickets.models.OutboxMessage`. WeChat accepts 客服消息 only within 48 hours
of the citizen's last message (客服消息接口); later, a reply can still be announced by a
template message that links to its page. Whatever WeChat refuses waits for the citizen's
next message, which opens the window again.

How the WeChat channel uses it (the domain never calls WeChat):

- a periodic push: :func:`claim_pushes` (commit), send each :class:`Delivery` by its
  ``route`` (CUSTOM: 客服消息 of :func:`compose`; TEMPLATE: a template message linking to
  the ticket's page, ``Links.url(PageKind.TICKET, page)``), then :func:`release` what WeChat
  refused (``refused=True``: it then waits for the citizen's next message) —
  :mod:`bot.wechat.outbox` does this;
- the citizen's next message: :func:`claim_for_citizen` (commit) and send the texts before
  the answer.

Claiming is an UPDATE that only matches a row still undelivered, so of two senders racing
for a message exactly one gets it: each message is delivered once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import Column, DateTime, MetaData, String, Table, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from banshi.tickets.models import OutboxMessage

WINDOW = timedelta(hours=48)  # 客服消息接口: 48 hours after the citizen's last message
# The window's start is taken on receipt by the channel: stop a little before it closes.
MARGIN = timedelta(minutes=10)

# The WeChat channel's table, read by name: the domain does not import the channel.
_contact = Table(
    "wechat_contact",
    MetaData(),
    Column("openid", String(64), primary_key=True),
    Column("last_seen_at", DateTime, nullable=False),
)


class OutboxKind(str, Enum):
    TICKET_REPLY = "ticket_reply"  # a staff reply to a ticket
    TICKET_NEWS = "ticket_news"  # a ticket filed for the citizen (handoff out of hours …)
    HANDOFF = "handoff"  # a staff line, or the end of a handoff
    RATING_INVITE = "rating_invite"  # 好差评 invitation
    RATING_FEEDBACK = "rating_feedback"  # what was done about a 差评


class Route(str, Enum):
    """How a message reached (or will reach) the citizen."""

    CUSTOM = "custom"  # 客服消息, inside the 48-hour window
    TEMPLATE = "template"  # a template message linking to the reply's page
    NEXT_MESSAGE = "next_message"  # with the answer to the citizen's next message


@dataclass(frozen=True)
class Delivery:
    """One claimed message: send it by ``route``; ``page`` is the ticket number to link."""

    id: int
    openid: str
    kind: OutboxKind
    route: Route
    title: str
    text: str
    page: str | None


def post(
    session: Session,
    openid: str,
    kind: OutboxKind,
    text: str,
    now: datetime,
    *,
    ref: str = "",
    title: str = "",
    page: str | None = None,
) -> OutboxMessage:
    """Queue a message for a citizen (inside the caller's transaction)."""
    message = OutboxMessage(
        openid=openid,
        kind=kind.value,
        ref=ref,
        title=title,
        text=text,
        page=page,
        created_at=now,
        next_message_only=False,
    )
    session.add(message)
    session.flush()
    return message


def window_open(
    session: Session,
    openid: str,
    now_utc: datetime,
    window: timedelta = WINDOW,
    margin: timedelta = MARGIN,
) -> bool:
    """Whether 客服消息 may reach the citizen now (``wechat_contact`` keeps UTC times)."""
    seen = session.execute(
        select(_contact.c.last_seen_at).where(_contact.c.openid == openid)
    ).scalar_one_or_none()
    return seen is not None and seen >= now_utc - window + margin


def route_for(message: OutboxMessage, is_open: bool) -> Route:
    """The push route: 客服消息 while the window is open; otherwise a template message for
    a message with a page to link to; otherwise the citizen's next message."""
    if message.next_message_only:
        return Route.NEXT_MESSAGE
    if is_open:
        return Route.CUSTOM
    return Route.TEMPLATE if message.page else Route.NEXT_MESSAGE


def _claim(session: Session, message: OutboxMessage, route: Route, now: datetime) -> bool:
    table = OutboxMessage.__table__
    result = session.execute(
        update(table)
        .where(table.c.id == message.id, table.c.delivered_at.is_(None))
        .values(delivered_at=now, route=route.value)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def _delivery(message: OutboxMessage, route: Route) -> Delivery:
    return Delivery(
        message.id,
        message.openid,
        OutboxKind(message.kind),
        route,
        message.title,
        message.text,
        message.page,
    )


def pending_query(openid: str | None = None) -> Select:
    """Messages not yet delivered (one citizen's or everyone's), oldest first: what
    :func:`claim_for_citizen` takes, and what :func:`banshi.owed.check` asks about."""
    query = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
    if openid is not None:
        query = query.where(OutboxMessage.openid == openid)
    return query.order_by(OutboxMessage.id)


def pending(session: Session, openid: str | None = None) -> list[OutboxMessage]:
    """Messages not yet delivered (one citizen's or everyone's), oldest first."""
    return list(session.execute(pending_query(openid)).scalars())


def claim_pushes(
    session: Session,
    now_utc: datetime,
    limit: int = 200,
    window: timedelta = WINDOW,
    margin: timedelta = MARGIN,
) -> list[Delivery]:
    """Take the messages that can be pushed now, each with its route; commit, then send.

    Messages that can only wait for the citizen (window closed and nothing to link to, or
    refused before) stay pending, and are not even read: however many there are, they never
    crowd out within ``limit`` the messages that can go.
    """
    open_now = select(_contact.c.openid).where(_contact.c.last_seen_at >= now_utc - window + margin)
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.delivered_at.is_(None),
            OutboxMessage.next_message_only.is_(False),
            or_(OutboxMessage.page.is_not(None), OutboxMessage.openid.in_(open_now)),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    opened: dict[str, bool] = {}
    claimed: list[Delivery] = []
    for message in list(session.execute(query).scalars()):
        if message.openid not in opened:
            opened[message.openid] = window_open(session, message.openid, now_utc, window, margin)
        route = route_for(message, opened[message.openid])
        if route is Route.NEXT_MESSAGE:
            continue
        if _claim(session, message, route, now_utc):
            claimed.append(_delivery(message, route))
    return claimed


def claim_for_citizen(session: Session, openid: str, now_utc: datetime) -> list[Delivery]:
    """Everything owed to the citizen, to send with the answer to their message."""
    claimed = []
    for message in pending(session, openid):
        if _claim(session, message, Route.NEXT_MESSAGE, now_utc):
            claimed.append(_delivery(message, Route.NEXT_MESSAGE))
    return claimed


def release(session: Session, ids: Iterable[int], *, refused: bool = True) -> None:
    """Give back claimed messages that were not sent.

    ``refused``: WeChat said no (45015 window closed, 43004 not following, no template):
    the message then waits for the citizen's next message instead of being pushed again.
    """
    wanted = list(ids)
    if not wanted:
        return
    table = OutboxMessage.__table__
    values: dict[str, object] = {"delivered_at": None, "route": None}
    if refused:
        values["next_message_only"] = True
    session.execute(
        update(table)
        .where(table.c.id.in_(wanted))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def record_route(session: Session, message_id: int, route: Route) -> None:
    """The route a claimed message really took (a 客服消息 WeChat refused, announced by a
    template message instead)."""
    table = OutboxMessage.__table__
    session.execute(
        update(table)
        .where(table.c.id == message_id, table.c.delivered_at.is_not(None))
        .values(route=route.value)
        .execution_options(synchronize_session=False)
    )


def compose(delivery: Delivery, link: str | None) -> str:
    """The text to send, with the page's link appended when there is one."""
    if delivery.page and link:
        return f"{delivery.text}\n查看详情：{link}"
    return delivery.text
