"""Booking reminders and disruption notices, pushed through WeChat's API (issue 14).

The domain claims what citizens are owed (:mod:`banshi.bookings.notify`): tomorrow's
reminders (``reminded_at``) and the bookings a catalog sync or a hall change disrupts
(``change_told``). This module only speaks WeChat, as :mod:`bot.wechat.push` does for
notice changes:

- the citizen's 48-hour window is open (less a margin): a 客服消息 with the whole text;
- it is closed, or WeChat refuses the 客服消息 for the window or the quota (45015, 45047), and
  a template is configured for the kind: a template message (item, time, place, number and a
  short note; WeChat dropped ``first`` and ``remark`` in 2023-05);
- otherwise, or when WeChat refuses that too, the message is kept for the citizen's next
  message, which :func:`banshi.bookings.notify.claim_owed` (the channel's ``owed`` hook)
  claims;
- WeChat unreachable (no answer, busy, no token): the claims are given back whole and the
  next round tries again.

Every send follows a claim only one sender can win, so nobody is told twice. A message is
kept for the next message on the bookings' own columns (no table of its own): a reminder is
released (``reminded_at`` NULL again) and is owed to a citizen who writes between the
reminder hour and midnight before the booking's day (its text says 明天); a disruption keeps
``change_told`` — so no round claims it again — with ``change_told_at`` NULL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.bookings.models import Booking
from banshi.bookings.notify import (
    REMIND_AT,
    Disruption,
    affected_bookings,
    claim_owed,
    due_reminders,
    release_reminder,
)
from banshi.db import session_scope
from banshi.models import Hall
from bot.wechat.api import SYSTEM_BUSY, TOKEN_INVALID, WeChatAPI, WeChatAPIError, standalone_api
from bot.wechat.config import WeChatSettings
from bot.wechat.delivery import KEEP_FOR_LATER
from bot.wechat.models import Contact
from bot.wechat.push import MARGIN, TOKEN_PATHS, WINDOW

log = logging.getLogger(__name__)

TEMPLATE_SEND = "message/template/send"
THING_CHARS = 20  # a template's "thing" value holds at most 20 characters (模板消息 rules)

# The note field of a template message (≤ 20 characters); the 客服消息 carries the whole text.
REMINDER_NOTE = "请携带身份证件按时到场"
DISRUPTION_NOTES = {
    Disruption.ITEM_CANCELLED: "该事项已取消，本次预约无法办理",
    Disruption.ITEM_SUSPENDED: "事项暂停办理，可回复“取消预约”",
    Disruption.HALL_CLOSED: "大厅当天不开放，请回复“改约”",
    Disruption.HOURS_CHANGED: "办公时间调整，请回复“改约”",
}


class Kind(str, Enum):
    REMINDER = "reminder"  # 预约前一天的提醒
    DISRUPTION = "disruption"  # 事项或大厅变化影响了预约


class Route(str, Enum):
    CUSTOM = "custom"  # 客服消息, inside the 48-hour window
    TEMPLATE = "template"  # a template message, outside it


@dataclass(frozen=True)
class BookingTemplate:
    """A template chosen in the 公众号 console (e.g. 预约提醒, 预约变更通知): its id and the
    keys of its fields, which differ between templates, so they are settings too."""

    template_id: str
    item_key: str = "thing1"  # 预约事项
    time_key: str = "time2"  # 预约时间
    place_key: str = "thing3"  # 办理地点
    number_key: str = "character_string4"  # 预约编号
    note_key: str = "thing5"  # 温馨提示


@dataclass(frozen=True)
class BookingPushConfig:
    """How booking messages are pushed. Without a template for a kind, a citizen whose window
    is closed is told with their next message (templates need a verified service account and
    an approved template each).

    remind_at: from when tomorrow's reminders are sent (``banshi run`` once a day) and owed.
    """

    reminder_template: BookingTemplate | None = None
    disruption_template: BookingTemplate | None = None
    remind_at: time = REMIND_AT
    window: timedelta = WINDOW
    margin: timedelta = MARGIN


@dataclass
class BookingPushResult:
    custom: int = 0  # sent as 客服消息
    template: int = 0  # sent as template messages
    kept: int = 0  # kept for the citizen's next message (no route, or WeChat refused)
    unreachable: str | None = None  # why WeChat could not be reached; the rest waits

    @property
    def sent(self) -> int:
        return self.custom + self.template


@dataclass(frozen=True)
class Message:
    """One claimed reminder or disruption notice, with what a template needs."""

    kind: Kind
    booking_id: int
    openid: str
    text: str
    item: str
    starts: datetime
    place: str
    number: str
    note: str
    seen: datetime | None  # when the citizen last opened the 48-hour window (UTC)


def _unreachable(exc: WeChatAPIError) -> bool:
    """Whether the error is the API's (no answer, busy, no token), not this citizen's."""
    return (
        exc.errcode is None
        or exc.errcode == SYSTEM_BUSY
        or exc.errcode in TOKEN_INVALID
        or exc.path in TOKEN_PATHS
    )


def _cut(text: str, limit: int = THING_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------- the database side


def _messages(
    session: Session, kind: Kind, claimed: Sequence[tuple[int, str, str, str]]
) -> list[Message]:
    """(booking id, openid, text, note) of claimed messages → messages with their details."""
    if not claimed:
        return []
    ids = [c[0] for c in claimed]
    bookings = {
        b.id: b for b in session.execute(select(Booking).where(Booking.id.in_(ids))).scalars()
    }
    halls = {h.code: h.name for h in session.execute(select(Hall)).scalars()}
    openids = sorted({c[1] for c in claimed})
    seen = dict(
        session.execute(
            select(Contact.openid, Contact.last_seen_at).where(Contact.openid.in_(openids))
        ).all()
    )
    found = []
    for booking_id, openid, text, note in claimed:
        b = bookings[booking_id]
        window = f" {b.window_no}窗口" if b.window_no else ""
        hour, minute = (int(p) for p in b.start.split(":"))
        found.append(
            Message(
                kind,
                booking_id,
                openid,
                text,
                b.item_name,
                datetime.combine(b.day, time(hour, minute)),
                halls.get(b.hall_code, "") + window,
                b.number,
                note,
                seen.get(openid),
            )
        )
    return found


def claim_reminders(engine: Engine, today: date, now: datetime) -> list[Message]:
    """Claim tomorrow's reminders not sent yet (committed before anything is sent)."""
    with session_scope(engine) as session:
        reminders = due_reminders(session, today, now)
        return _messages(
            session,
            Kind.REMINDER,
            [(r.booking_id, r.openid, r.text, REMINDER_NOTE) for r in reminders],
        )


def claim_disruptions(engine: Engine, today: date, now: datetime) -> list[Message]:
    """Claim the upcoming bookings a change disrupts that nobody has been told of yet."""
    with session_scope(engine) as session:
        affected = affected_bookings(session, today, now)
        return _messages(
            session,
            Kind.DISRUPTION,
            [(a.booking_id, a.openid, a.text, DISRUPTION_NOTES[a.disruption]) for a in affected],
        )


def release(engine: Engine, messages: Sequence[Message], *, for_next_message: bool) -> None:
    """Undo the claims of messages not sent. ``for_next_message``: no push can reach the
    citizen now, :func:`owed_messages` gives them with their next message (see the module
    docstring); otherwise WeChat could not be reached and the next round claims them again."""
    with session_scope(engine) as session:
        for m in messages:
            if m.kind is Kind.REMINDER:
                release_reminder(session, m.booking_id)
        disrupted = [m.booking_id for m in messages if m.kind is Kind.DISRUPTION]
        if disrupted:
            kept = {"change_told_at": None}
            session.execute(
                update(Booking)
                .where(Booking.id.in_(disrupted))
                .values(kept if for_next_message else {**kept, "change_told": None})
                .execution_options(synchronize_session=False)
            )


def owed_messages(
    engine: Engine, openid: str, now: datetime | None = None, remind_at: time = REMIND_AT
) -> list[str]:
    """What no push delivered, to send before the answer to the citizen's next message (the
    channel's ``owed`` hook claims them with :func:`claim_owed`): kept disruption notices,
    then tomorrow's reminder once the reminder hour has passed — of bookings as they stood
    then, not one just made or moved."""
    with session_scope(engine) as session:
        return claim_owed(session, openid, now or datetime.now(), remind_at)


# ---------------------------------------------------------------------- the WeChat side


class BookingPusher:
    """Sends claimed reminders and disruption notices by the route each citizen can take."""

    def __init__(self, engine: Engine, config: BookingPushConfig | None = None) -> None:
        self.engine = engine
        self.config = config or BookingPushConfig()

    def template(self, kind: Kind) -> BookingTemplate | None:
        if kind is Kind.REMINDER:
            return self.config.reminder_template
        return self.config.disruption_template

    def route(self, message: Message, now_utc: datetime) -> Route | None:
        """客服消息 while the window is open, else a template message if there is one."""
        opened = now_utc - self.config.window + self.config.margin
        if message.seen is not None and message.seen >= opened:
            return Route.CUSTOM
        return Route.TEMPLATE if self.template(message.kind) is not None else None

    def payload(self, message: Message, template: BookingTemplate) -> dict[str, Any]:
        return {
            "touser": message.openid,
            "template_id": template.template_id,
            "data": {
                template.item_key: {"value": _cut(message.item)},
                template.time_key: {"value": f"{message.starts:%Y年%m月%d日 %H:%M}"},
                template.place_key: {"value": _cut(message.place)},
                template.number_key: {"value": message.number},
                template.note_key: {"value": _cut(message.note)},
            },
        }

    async def send(self, api: WeChatAPI, message: Message, route: Route) -> Route | None:
        """Send one message; None when WeChat refused it for this citizen (keep it for their
        next message). A 客服消息 refused for the window or the quota falls back to the
        template. Raises :class:`WeChatAPIError` when WeChat cannot be reached."""
        template = self.template(message.kind)
        if route is Route.CUSTOM:
            try:
                await api.send_text(message.openid, message.text)
                return Route.CUSTOM
            except WeChatAPIError as exc:
                if _unreachable(exc):
                    raise
                if exc.errcode not in KEEP_FOR_LATER or template is None:
                    log.info("booking %s: 客服消息 refused (%s), kept", message.kind.value, exc)
                    return None
        if template is None:
            return None
        try:
            await api.call(TEMPLATE_SEND, self.payload(message, template))
            return Route.TEMPLATE
        except WeChatAPIError as exc:
            if _unreachable(exc):
                raise
            log.info("booking %s: template refused (%s), kept", message.kind.value, exc)
            return None

    async def push(
        self,
        api: WeChatAPI,
        kind: Kind,
        now: datetime | None = None,
        now_utc: datetime | None = None,
    ) -> BookingPushResult:
        """One round of ``kind``: claim, send, keep what was refused, give back the rest
        when WeChat cannot be reached. ``now`` is local time (the bookings'), ``now_utc`` the
        window's clock."""
        now = (now or datetime.now()).replace(microsecond=0)
        now_utc = now_utc or datetime.utcnow()
        claim = claim_reminders if kind is Kind.REMINDER else claim_disruptions
        messages = await asyncio.to_thread(claim, self.engine, now.date(), now)
        result = BookingPushResult()
        planned = [(m, self.route(m, now_utc)) for m in messages]
        unroutable = [m for m, route in planned if route is None]
        if unroutable:  # no token needed to tell these later
            await asyncio.to_thread(release, self.engine, unroutable, for_next_message=True)
            result.kept += len(unroutable)
        reachable = [(m, route) for m, route in planned if route is not None]
        handled = 0
        try:
            if reachable:
                await api.access_token()  # before anything is sent
            for message, route in reachable:
                sent = await self.send(api, message, route)
                if sent is None:
                    await asyncio.to_thread(release, self.engine, [message], for_next_message=True)
                    result.kept += 1
                elif sent is Route.CUSTOM:
                    result.custom += 1
                else:
                    result.template += 1
                handled += 1
        except Exception as exc:  # WeChat, its token (Redis) or the network: nothing is lost
            result.unreachable = f"{exc}" if isinstance(exc, WeChatAPIError) else repr(exc)
            log.warning("WeChat unreachable, booking %ss wait: %s", kind.value, exc)
        finally:
            rest = [m for m, _ in reachable[handled:]]
            if rest:
                await asyncio.to_thread(release, self.engine, rest, for_next_message=False)
        return result

    def push_now(
        self, settings: WeChatSettings, kind: Kind, now: datetime | None = None
    ) -> BookingPushResult:
        """One round for a command, a chore or the console, with a client of its own. Never
        raises: what is not sent waits for the next round or the citizen's next message."""

        async def go() -> BookingPushResult:
            async with standalone_api(settings) as api:
                return await self.push(api, kind, now)

        try:
            return asyncio.run(go())
        except Exception as exc:  # e.g. the database is down: nothing was claimed
            log.warning("pushing booking %ss failed", kind.value, exc_info=True)
            return BookingPushResult(unreachable=f"{type(exc).__name__}: {exc}")
