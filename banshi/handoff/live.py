"""Live staff pages without polling every second: a page asks "anything newer than what I
have?" and the answer is held back until something changes or about 25 seconds pass.

What a page has is a *version*, a short string read cheaply from the database
(:func:`banshi.handoff.inbox.log_version`, :func:`~banshi.handoff.inbox.inbox_version`).
:func:`watch` re-reads it whenever a :class:`LineNotifier` says a topic may have changed, and
returns as soon as it differs. A notice is only a wake-up, never the news itself: a lost one
costs a re-read later, a spurious one a re-read now.

:class:`~banshi.handoff.service.HandoffService` publishes after each change commits. Across
processes (the WeChat channel writes, the console waits) that needs Redis pub/sub, an
adapter's (``bot.handoff_notify``), wired in ``app.services``; without Redis (the embedded
default) :class:`Polling` re-reads the version every 150 ms instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

INBOX = "handoff:inbox"  # who waits, who is held by whom
POLL_SECONDS = 0.15  # re-reading a version is one indexed query: cheap enough at this rate


def topic_of(handoff_id: int) -> str:
    """The topic of one conversation (its log and its state)."""
    return f"handoff:{handoff_id}"


class Listener(Protocol):
    async def wait(self, timeout: float) -> None:
        """Return when a listened topic may have changed, or after ``timeout`` seconds at most
        (earlier is allowed: the caller re-reads the version anyway)."""


class LineNotifier(Protocol):
    """Tells waiting staff pages that a topic changed (:data:`INBOX`, :func:`topic_of`)."""

    def publish(self, topics: Iterable[str]) -> None:
        """Called after the change committed; must not raise (a page re-reads later anyway)."""

    def listen(self, topics: Sequence[str]) -> AbstractAsyncContextManager[Listener]:
        """Subscribe before the first read, so that nothing published after it is missed."""


class _Sleeper:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def wait(self, timeout: float) -> None:
        await asyncio.sleep(max(0.0, min(timeout, self.seconds)))


class Polling:
    """No wake-ups: a waiting page re-reads its version every ``seconds``. Right for one
    machine without Redis (the channel and the console are separate processes)."""

    def __init__(self, seconds: float = POLL_SECONDS) -> None:
        self.seconds = seconds

    def publish(self, topics: Iterable[str]) -> None:
        return None

    @asynccontextmanager
    async def listen(self, topics: Sequence[str]) -> AsyncIterator[Listener]:
        yield _Sleeper(self.seconds)


async def watch(
    notifier: LineNotifier,
    topics: Sequence[str],
    probe: Callable[[], Awaitable[str]],
    seen: str,
    timeout: float,
    gone: Callable[[], Awaitable[bool]] | None = None,
) -> str:
    """Wait until ``probe()`` (the current version) differs from ``seen``, ``timeout`` seconds
    pass, or ``gone()`` says nobody waits any more; returns the last version read.

    ``probe`` must not hold a database session between calls (it runs one short read).
    """
    deadline = time.monotonic() + timeout
    async with notifier.listen(topics) as listener:
        while True:
            current = await probe()
            left = deadline - time.monotonic()
            if current != seen or left <= 0 or (gone is not None and await gone()):
                return current
            await listener.wait(left)
