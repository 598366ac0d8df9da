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
FLUSH_AFTER = 0.5  # seconds: the pushes noted meanwhile are written in one transaction


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
    we believe in, which is the safe side. The citizens noted within ``flush_after`` seconds
    are written together, in one transaction: at a start or a rush, fifty citizens cost one
    commit rather than fifty, and the turns' own database calls do not queue behind them. A
    failed write is logged and tried again on the citizen's next push.
    """

    def __init__(
        self,
        engine: Engine,
        every: float = RECORD_EVERY,
        clock: Callable[[], float] = time.monotonic,
        flush_after: float = FLUSH_AFTER,
    ) -> None:
        self.engine = engine
        self.every = every
        self.clock = clock
        self.flush_after = flush_after
        self._written: dict[str, float] = {}  # openid -> clock() of the last write
        self._due: dict[str, datetime] = {}  # noted, not written yet
        self._writing: set[str] = set()  # in the transaction under way
        self._flusher: asyncio.Task[None] | None = None
        self._sleeping = False

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
            if openid in self._due or openid in self._writing:
                return
            self._written[openid] = now
            self._prune(now)
            self._due[openid] = datetime.utcnow().replace(microsecond=0)
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.get_running_loop().create_task(self._flush_later())
        except Exception:  # the window is a convenience: the turn must go on
            log.exception("could not note the 客服消息 window of a push")

    async def _flush_later(self) -> None:
        self._sleeping = True
        try:
            await asyncio.sleep(self.flush_after)
        finally:
            self._sleeping = False
        await self._flush()

    async def _flush(self) -> None:
        while self._due:
            due, self._due = self._due, {}
            self._writing = set(due)
            try:
                await asyncio.to_thread(self._write, due)
            except Exception as exc:
                for openid in due:
                    self._written.pop(openid, None)  # try again on their next push
                log.warning("could not record %d citizens' 客服消息 window: %r", len(due), exc)
            finally:
                self._writing = set()

    def _write(self, due: dict[str, datetime]) -> None:
        with session_scope(self.engine) as session:
            for openid, when in due.items():
                record_contact(session, openid, when)

    def _prune(self, now: float) -> None:
        """Forget cache entries old enough to be written again anyway (bounded memory)."""
        if len(self._written) < 10_000:
            return
        for openid, at in list(self._written.items()):
            if now - at >= self.every:
                del self._written[openid]

    async def forget(self, openid: str) -> None:
        """On unsubscribe, before the row is deleted: a write not begun is dropped, one under
        way lands first."""
        self._written.pop(openid, None)
        self._due.pop(openid, None)
        flusher = self._flusher
        if openid in self._writing and flusher is not None and not flusher.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(flusher)

    async def drain(self) -> None:
        """Write what is noted now and let writes in flight finish (server shutdown, tests)."""
        flusher = self._flusher
        if flusher is not None and not flusher.done():
            if self._sleeping:
                flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(flusher), 10)
        await self._flush()
