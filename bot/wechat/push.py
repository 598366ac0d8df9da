"""Pushing notice changes as 客服消息 to citizens whose 48-hour window is open.

After a catalog sync queued changes for the holders of recent notices
(:func:`banshi.notices.changes_for_notices`), ``banshi catalog sync`` pushes them at once to
every holder who opened the window (:mod:`bot.wechat.window`) recently enough;
``banshi wechat push-changes`` does the same later. The rest, and whatever WeChat refuses,
go out with the citizen's next message (:class:`bot.wechat.routing.Router`). Both paths
claim a change before sending it (:func:`banshi.notices.claim_changes`), so a citizen is
told each change once; a push gives back what it could not send.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from banshi import notices
from banshi.db import session_scope
from banshi.models import NoticeUpdate
from bot.wechat.api import SYSTEM_BUSY, TOKEN_INVALID, WeChatAPI, WeChatAPIError, standalone_api
from bot.wechat.config import WeChatSettings
from bot.wechat.delivery import KEEP_FOR_LATER, NOT_FOLLOWING
from bot.wechat.models import Contact

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)  # 客服消息接口: 48 hours after the citizen's last interaction
# The time is taken on receipt, after the citizen acted, by the server's clock, not the
# sync's: stop pushing a little before the window closes.
MARGIN = timedelta(minutes=10)
TOKEN_PATHS = ("token", "stable_token")


@dataclass
class PushResult:
    sent: int = 0
    waiting: int = 0  # changes still pending (everyone's): told on the citizen's next message
    unreachable: str | None = None  # why WeChat could not be reached; None when it could


def _open_holders(engine: Engine, since: datetime) -> list[str]:
    """Citizens with pending changes who opened their window at ``since`` or later."""
    query = (
        select(NoticeUpdate.openid)
        .join(Contact, Contact.openid == NoticeUpdate.openid)
        .where(NoticeUpdate.delivered_at.is_(None), Contact.last_seen_at >= since)
        .distinct()
        .order_by(NoticeUpdate.openid)
    )
    with session_scope(engine) as session:
        return [str(openid) for openid in session.execute(query).scalars()]


def _claim(engine: Engine, openid: str) -> list[notices.NoticeChange]:
    with session_scope(engine) as session:
        return notices.claim_changes(session, openid)


def _release(engine: Engine, ids: list[int]) -> None:
    with session_scope(engine) as session:
        notices.release_changes(session, ids)


def _waiting(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(notices.pending_changes(session))


def _unreachable(exc: WeChatAPIError) -> bool:
    """Whether the error is the API's (no answer, busy, no token), not this citizen's."""
    return (
        exc.errcode is None
        or exc.errcode == SYSTEM_BUSY
        or exc.errcode in TOKEN_INVALID  # still refused after one renewal
        or exc.path in TOKEN_PATHS  # the token cannot be had (wrong app id or secret)
    )


async def _push_to(engine: Engine, api: WeChatAPI, openid: str) -> tuple[int, str | None]:
    """Send the citizen's pending changes; (how many went, why WeChat is unreachable)."""
    changes = await asyncio.to_thread(_claim, engine, openid)
    sent = 0
    try:
        for change in changes:
            await api.send_text(openid, change.text)
            sent += 1
    except WeChatAPIError as exc:
        if _unreachable(exc):
            return sent, str(exc)
        if exc.errcode in KEEP_FOR_LATER:  # 45015 window closed, 45047 quota used up
            log.info("%s cannot take 客服消息 now (%s): changes kept", openid, exc.errcode)
        elif exc.errcode in NOT_FOLLOWING:
            log.info("%s no longer follows the account: changes kept", openid)
        else:
            log.warning("notice changes to %s failed (%s): kept for the next message", openid, exc)
    finally:
        if sent < len(changes):  # refused, or this push was interrupted: nothing is lost
            await asyncio.to_thread(_release, engine, [c.id for c in changes[sent:]])
    return sent, None


async def push_notice_changes(
    engine: Engine,
    api: WeChatAPI,
    now: datetime | None = None,
    window: timedelta = WINDOW,
    margin: timedelta = MARGIN,
) -> PushResult:
    """Push pending notice changes to the citizens whose window is open (``now``: UTC).

    WeChat unreachable (no answer, no access token): nothing more is sent, and what was not
    sent stays pending for the next message.
    """
    now = now or datetime.utcnow()
    result = PushResult()
    openids = await asyncio.to_thread(_open_holders, engine, now - window + margin)
    if openids:
        try:
            await api.access_token()  # before anything is claimed
        except WeChatAPIError as exc:
            result.unreachable = str(exc)
            openids = []
    for openid in openids:
        sent, unreachable = await _push_to(engine, api, openid)
        result.sent += sent
        if unreachable:
            result.unreachable = unreachable
            break
    result.waiting = await asyncio.to_thread(_waiting, engine)
    if result.unreachable:
        log.warning("WeChat unreachable, notice changes wait: %s", result.unreachable)
    return result


def push_now(engine: Engine, settings: WeChatSettings) -> PushResult:
    """:func:`push_notice_changes` for a command, with a client of its own for the one run.

    Never raises for WeChat's, Redis's or the settings' sake: the command that queued the
    changes (a catalog sync) has succeeded whatever happens here, and unsent changes wait for
    the next message.
    """

    async def go() -> PushResult:
        async with standalone_api(settings) as api:
            return await push_notice_changes(engine, api)

    try:
        return asyncio.run(go())
    except Exception as exc:  # e.g. Redis (the shared token) is down
        log.warning("pushing notice changes failed", exc_info=True)
        return PushResult(waiting=_waiting(engine), unreachable=f"{type(exc).__name__}: {exc}")
