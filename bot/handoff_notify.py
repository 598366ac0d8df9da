"""Redis pub/sub behind :class:`banshi.handoff.live.LineNotifier`: the WeChat channel (and the
action server, the chores, the console itself) publish that a 转人工 conversation changed; a
staff page waiting in the console wakes at once instead of re-reading every 150 ms.

Publishing is synchronous (the domain calls it after a commit, in a worker thread); waiting
is asynchronous, on the console's event loop, with a connection of its own per waiting page
(a pub/sub connection cannot be shared, and an asyncio client belongs to one event loop).
Redis being down never fails a staff action or a citizen's message: publishing logs it, and
a waiting page falls back to re-reading its version every half second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

import redis
import redis.asyncio

from banshi.handoff.live import Listener

log = logging.getLogger(__name__)

PREFIX = "banshi:live:"
RECHECK_SECONDS = 5.0  # a re-read even without a notice: a publish lost in a Redis restart
DEGRADED_SECONDS = 0.5  # re-reads while Redis cannot be reached


class RedisLineNotifier:
    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        self.url = url
        self.prefix = prefix
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def publish(self, topics: Iterable[str]) -> None:
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for topic in topics:
                    pipe.publish(self.prefix + topic, b"1")
                pipe.execute()
        except redis.RedisError as exc:
            log.warning("live staff pages not told of a change (%s)", type(exc).__name__)

    @asynccontextmanager
    async def listen(self, topics: Sequence[str]) -> AsyncIterator[Listener]:
        client = redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=2)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            try:
                await pubsub.subscribe(*(self.prefix + t for t in topics))
                listener: Listener = _Subscribed(pubsub)
            except (redis.RedisError, OSError) as exc:
                log.warning("live staff pages re-read without Redis (%s)", type(exc).__name__)
                listener = _Degraded()
            yield listener
        finally:
            try:
                await pubsub.reset()
                await client.close()
            except (redis.RedisError, OSError):
                pass


class _Subscribed:
    def __init__(self, pubsub: redis.asyncio.client.PubSub) -> None:
        self.pubsub = pubsub
        self.broken = False

    async def wait(self, timeout: float) -> None:
        if self.broken:
            await asyncio.sleep(max(0.0, min(timeout, DEGRADED_SECONDS)))
            return
        deadline = time.monotonic() + min(timeout, RECHECK_SECONDS)
        try:
            while (left := deadline - time.monotonic()) > 0:
                # None for a subscription confirmation or when the time is up
                if await self.pubsub.get_message(timeout=left) is not None:
                    return
        except (redis.RedisError, OSError) as exc:
            log.warning("live staff pages re-read without Redis (%s)", type(exc).__name__)
            self.broken = True


class _Degraded:
    async def wait(self, timeout: float) -> None:
        await asyncio.sleep(max(0.0, min(timeout, DEGRADED_SECONDS)))
