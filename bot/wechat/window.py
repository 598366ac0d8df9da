"""The 48-hour window for 客服消息: which pushes open it, and remembering when each citizen did.

WeChat accepts customer-service messages to a citizen for 48 hours after they sent a message,
followed the account, scanned a QR code or clicked a menu button of the click or scan-code
kinds (客服消息接口); a VIEW click, the periodic LOCATION report and unsubscribing do not
count. The time is kept in ``wechat_contact`` so that a process without a channel (the
catalog sync) can push to citizens whose window is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from wechatpy.messages import BaseMessage

from banshi.db import session_scope
from bot.wechat.protocol import field
from bot.wechat.storage import record_contact

log = logging.getLogger(__name__)

OPENS_WINDOW_MESSAGES = frozenset(
    {"text", "voice", "image", "video", "shortvideo", "location", "link", "file"}
)
# subscribe_scan is what wechatpy calls a subscribe through a QR code; WeChat sends subscribe.
OPENS_WINDOW_EVENTS = frozenset(
    {"subscribe", "subscribe_scan", "scan", "click", "scancode_push", "scancode_waitmsg"}
)
RECORD_EVERY = 300.0  # seconds: a citizen's row is written at most this often per process


def opens_window(msg_type: str, event: str = "") -> bool:
    """Whether a push of this MsgType (and Event) opens the citizen's 48-hour window."""
    msg_type = msg_type.lower()
    if msg_type == "event":
        return event.lower() in OPENS_WINDOW_EVENTS
    return msg_type in OPENS_WINDOW_MESSAGES


class WindowTracker:
    """Records when citizens open their window, off the event loop and never in a turn's way.

    Each process writes a citizen's row at most every ``every`` seconds: a busy conversation
    costs one write per few minutes, and a time a few minutes old only shortens the window
    we believe in, which is the safe side. A failed write is logged and tried again on the
    citizen's next push.
    """

    def __init__(
        self,
        engine: Engine,
        every: float = RECORD_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.every = every
        self.clock = clock
        self._written: dict[str, float] = {}  # openid -> clock() of the last write
        self._writing: dict[str, asyncio.Task[None]] = {}

    def seen(self, message: BaseMessage) -> None:
        """Note an authenticated push; returns at once (the write runs in the background)."""
        try:
            if not opens_window(field(message, "MsgType"), field(message, "Event")):
                return
            openid = field(message, "FromUserName")
            now = self.clock()
            last = self._written.get(openid)
            if not openid or (last is not None and now - last < self.every):
                return
            writing = self._writing.get(openid)
            if writing is not None and not writing.done():
                return
            self._written[openid] = now
            self._prune(now)
            when = datetime.utcnow().replace(microsecond=0)
            task = asyncio.get_running_loop().create_task(self._record(openid, when))
            self._writing[openid] = task
            task.add_done_callback(lambda done: self._written_out(openid, done))
        except Exception:  # the window is a convenience: the turn must go on
            log.exception("could not note the 客服消息 window of a push")

    async def _record(self, openid: str, when: datetime) -> None:
        try:
            await asyncio.to_thread(self._write, openid, when)
        except Exception as exc:
            self._written.pop(openid, None)  # try again on the next push
            log.warning("could not record %s's 客服消息 window: %r", openid, exc)

    def _written_out(self, openid: str, task: asyncio.Task[None]) -> None:
        if self._writing.get(openid) is task:
            del self._writing[openid]

    def _write(self, openid: str, when: datetime) -> None:
        with session_scope(self.engine) as session:
            record_contact(session, openid, when)

    def _prune(self, now: float) -> None:
        """Forget cache entries old enough to be written again anyway (bounded memory)."""
        if len(self._written) < 10_000:
            return
        for openid, at in list(self._written.items()):
            if now - at >= self.every:
                del self._written[openid]

    async def forget(self, openid: str) -> None:
        """On unsubscribe, before the row is deleted: let a write in flight land first."""
        self._written.pop(openid, None)
        task = self._writing.get(openid)
        if task is not None and not task.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(task)

    async def drain(self) -> None:
        """Let writes in flight finish (server shutdown, tests)."""
        writing = [task for task in self._writing.values() if not task.done()]
        if writing:
            await asyncio.wait(writing, timeout=10)
