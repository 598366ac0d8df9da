"""Sending the tickets' outbox through WeChat: staff replies to tickets, staff lines of a
转人工 conversation, rating invitations, what was done about a 差评.

The domain decides the route of each message (:mod:`banshi.tickets.outbox`); this module only
speaks WeChat, like :mod:`bot.wechat.push` does for notice changes:

- 客服消息 (``message/custom/send``) while the citizen's 48-hour window is open, the reply's
  page linked at the end;
- a template message (``message/template/send``, 模板消息) outside the window, for a reply
  with a page: it can carry only a heading, the ticket number, a time and the link, so the
  reply itself is on the page (``/tickets/{number}?t=…``, :class:`banshi.links.Links`). A
  客服消息 WeChat refuses for the window or the quota (45015, 45047) falls back to it;
- whatever WeChat refuses is released for the citizen's next message (the channel's ``owed``
  hook claims it, :func:`banshi.tickets.outbox.claim_for_citizen`); whatever could not be
  sent because WeChat was unreachable is given back to be pushed again.

A message is claimed before it is sent (an UPDATE that only matches it while undelivered),
so the push and the citizen's next message never both deliver it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.links import Links, PageKind
from banshi.text import WECHAT_TEXT_LIMIT, split_message
from banshi.tickets import outbox
from banshi.tickets.outbox import Delivery, Route
from bot.wechat.api import SYSTEM_BUSY, TOKEN_INVALID, WeChatAPI, WeChatAPIError, standalone_api
from bot.wechat.config import WeChatSettings
from bot.wechat.delivery import KEEP_FOR_LATER, NOT_FOLLOWING

log = logging.getLogger(__name__)

TEMPLATE_PATH = "message/template/send"
TOKEN_PATHS = ("token", "stable_token")
THING_CHARS = 20  # a template's "thing" value holds at most 20 characters (模板消息 rules)


@dataclass(frozen=True)
class ReplyTemplate:
    """The template message announcing a staff reply outside the 48-hour window.

    ``template_id``: the one chosen in the 公众号 console (e.g. 工单处理结果通知); None means
    none is configured, and such replies wait for the citizen's next message. The keys name
    the template's fields for the heading (``thing``), the ticket number
    (``character_string``) and the time (``time``): they differ between templates, so they
    are settings too. Since 2023-05 WeChat drops ``first`` and ``remark``: nothing else goes.
    """

    template_id: str | None = None
    title_key: str = "thing1"
    number_key: str = "character_string2"
    time_key: str = "time3"

    def payload(self, delivery: Delivery, url: str, at: datetime) -> dict[str, Any]:
        assert self.template_id is not None and delivery.page is not None
        return {
            "touser": delivery.openid,
            "template_id": self.template_id,
            "url": url,
            "data": {
                self.title_key: {"value": (delivery.title or "工单答复通知")[:THING_CHARS]},
                self.number_key: {"value": delivery.page},
                self.time_key: {"value": f"{at:%Y年%m月%d日 %H:%M}"},
            },
        }


@dataclass
class OutboxResult:
    custom: int = 0  # sent as 客服消息
    template: int = 0  # announced by a template message
    refused: int = 0  # WeChat said no: they wait for the citizen's next message
    unreachable: str | None = None  # why WeChat could not be reached (the rest is pushed later)

    @property
    def sent(self) -> int:
        return self.custom + self.template


def _unreachable(exc: WeChatAPIError) -> bool:
    """Whether the error is the API's (no answer, busy, no token), not this citizen's."""
    return (
        exc.errcode is None
        or exc.errcode == SYSTEM_BUSY
        or exc.errcode in TOKEN_INVALID  # still refused after one renewal
        or exc.path in TOKEN_PATHS  # the token cannot be had (wrong app id or secret)
    )


def claim(engine: Engine, now_utc: datetime, limit: int = 200) -> list[Delivery]:
    """Take what can be pushed now (committed before anything is sent)."""
    with session_scope(engine) as session:
        return outbox.claim_pushes(session, now_utc, limit)


def _release(engine: Engine, ids: list[int], refused: bool) -> None:
    if ids:
        with session_scope(engine) as session:
            outbox.release(session, ids, refused=refused)


def _record_route(engine: Engine, message_id: int) -> None:
    with session_scope(engine) as session:
        outbox.record_route(session, message_id, Route.TEMPLATE)


def _requeue(engine: Engine, delivery: Delivery, rest: str, now: datetime) -> None:
    """The parts of a long message WeChat did not take: owed again, as one message."""
    with session_scope(engine) as session:
        message = outbox.post(
            session,
            delivery.openid,
            delivery.kind,
            rest,
            now,
            title=delivery.title,
            page=delivery.page,
        )
        outbox.release(session, [message.id], refused=True)


class Sender:
    """Sends claimed deliveries by their route (one instance per push run)."""

    def __init__(
        self,
        engine: Engine,
        api: WeChatAPI,
        links: Links,
        template: ReplyTemplate,
        now: datetime,
    ) -> None:
        self.engine = engine
        self.api = api
        self.links = links
        self.template = template
        self.now = now  # local time, shown in template messages

    def _url(self, delivery: Delivery) -> str | None:
        return self.links.url(PageKind.TICKET, delivery.page) if delivery.page else None

    async def custom(self, delivery: Delivery) -> None:
        """One 客服消息 (more when a long 差评 feedback needs them)."""
        parts = split_message(outbox.compose(delivery, self._url(delivery)), WECHAT_TEXT_LIMIT)
        for n, part in enumerate(parts):
            try:
                await self.api.send_text(delivery.openid, part)
            except WeChatAPIError:
                if n == 0:
                    raise
                rest = "\n".join(parts[n:])
                await asyncio.to_thread(_requeue, self.engine, delivery, rest, self.now)
                return

    async def by_template(self, delivery: Delivery) -> bool:
        """A template message linking the reply's page; False when none is configured."""
        url = self._url(delivery)
        if self.template.template_id is None or url is None:
            return False
        await self.api.call(TEMPLATE_PATH, self.template.payload(delivery, url, self.now))
        return True

    async def send(self, delivery: Delivery, result: OutboxResult) -> bool:
        """Send one delivery; False when WeChat refused it (it then waits for the citizen).
        Raises WeChatAPIError when WeChat is unreachable."""
        try:
            if delivery.route is Route.CUSTOM:
                try:
                    await self.custom(delivery)
                    result.custom += 1
                    return True
                except WeChatAPIError as exc:
                    if _unreachable(exc) or exc.errcode not in KEEP_FOR_LATER:
                        raise
                    log.info("客服消息 refused (%s): trying a template message", exc.errcode)
            if await self.by_template(delivery):
                result.template += 1
                if delivery.route is not Route.TEMPLATE:
                    await asyncio.to_thread(_record_route, self.engine, delivery.id)
                return True
            return False
        except WeChatAPIError as exc:
            if _unreachable(exc):
                raise
            if exc.errcode in NOT_FOLLOWING:
                log.info("%s no longer follows the account: message kept", delivery.openid)
            else:
                log.info("%s message to %s refused (%s)", delivery.kind.value, delivery.openid, exc)
            return False


async def send_claimed(
    engine: Engine,
    api: WeChatAPI,
    links: Links,
    template: ReplyTemplate,
    claimed: list[Delivery],
    now: datetime | None = None,
) -> OutboxResult:
    """Send what :func:`claim` took; give back what did not go (never lost, never twice):
    refused messages wait for the citizen's next message, unsent ones are pushed again."""
    result = OutboxResult()
    sender = Sender(engine, api, links, template, now or datetime.now().replace(microsecond=0))
    sent: set[int] = set()
    refused: list[int] = []
    try:
        for delivery in claimed:
            try:
                went = await sender.send(delivery, result)
            except WeChatAPIError as exc:
                result.unreachable = str(exc)
                break
            if went:
                sent.add(delivery.id)
            else:
                refused.append(delivery.id)
    finally:  # also when interrupted: what was not sent is given back
        unsent = [d.id for d in claimed if d.id not in sent and d.id not in refused]
        result.refused = len(refused)
        await asyncio.to_thread(_release, engine, refused, True)
        await asyncio.to_thread(_release, engine, unsent, False)
    if result.unreachable:
        log.warning(
            "WeChat unreachable, %d outbox messages wait: %s", len(unsent), result.unreachable
        )
    return result


async def deliver_outbox(
    engine: Engine,
    api: WeChatAPI,
    links: Links,
    template: ReplyTemplate,
    now_utc: datetime | None = None,
) -> OutboxResult:
    """Claim and send everything that can be pushed now (``now_utc``: UTC, like the window)."""
    claimed = await asyncio.to_thread(claim, engine, now_utc or datetime.utcnow())
    if not claimed:
        return OutboxResult()
    return await send_claimed(engine, api, links, template, claimed)


def deliver_now(
    engine: Engine, settings: WeChatSettings, links: Links, template: ReplyTemplate
) -> OutboxResult:
    """:func:`deliver_outbox` for a command or a chore, with a client of its own for the run.

    Nothing to push costs one query and no WeChat client. Never raises for WeChat's, Redis's
    or the settings' sake: what was claimed and not sent is given back.
    """
    claimed = claim(engine, datetime.utcnow())
    if not claimed:
        return OutboxResult()

    started = False

    async def go() -> OutboxResult:
        nonlocal started
        async with standalone_api(settings) as api:
            started = True
            return await send_claimed(engine, api, links, template, claimed)

    try:
        return asyncio.run(go())
    except Exception as exc:  # e.g. Redis (the shared token) is down
        log.warning("delivering the outbox failed", exc_info=True)
        if not started:  # send_claimed gives back what it took itself
            _release(engine, [d.id for d in claimed], refused=False)
        return OutboxResult(unreachable=f"{type(exc).__name__}: {exc}")
