"""One citizen's messages are handled one at a time, in the order they arrived.

Rasa 3.6's RedisLockStore is not atomic across processes (NOTES.md: 2 workers, one citizen,
60 messages, 6 lost), so the channel serialises per OpenID itself, around the whole turn and
its delivery. Different citizens never wait for each other.

With Redis, a citizen's waiters form a queue (a sorted set ordered by an arrival counter);
the head of the queue takes the lock with ``SET NX PX`` and a random token, keeps it alive
while the turn runs and releases it with a compare-and-delete, so a lock that outlived its
expiry is never released by the wrong holder. A waiter that died (its heartbeat stopped) is
skipped, and a holder that died frees the lock when its expiry passes. Without Redis, an
``asyncio.Lock`` per citizen (first come, first served) does the same within the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Protocol

from redis.asyncio import Redis


class Serializer(Protocol):
    def hold(self, openid: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Wait for ``openid``'s turn, hold it for the block."""


class MemorySerializer:
    """Per-citizen asyncio locks, dropped when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, openid: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(openid) or (asyncio.Lock(), 0)
        self._locks[openid] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[openid]
            if users <= 1:
                del self._locks[openid]
            else:
                self._locks[openid] = (lock, users - 1)


# KEYS: queue (zset token -> ticket), alive (hash token -> heartbeat deadline ms), lock
# ARGV: token, lock ttl ms
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #head == 0 or head[1] == ARGV[1] then break end
  local alive = tonumber(redis.call('HGET', KEYS[2], head[1]) or '0')
  if alive > now then return 0 end
  redis.call('ZREM', KEYS[1], head[1])
  redis.call('HDEL', KEYS[2], head[1])
end
if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0
"""

# KEYS: queue, alive, seq; ARGV: token, heartbeat ttl ms (one step, so tickets and queue
# positions can never disagree)
_ENQUEUE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ticket = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], 86400)
redis.call('ZADD', KEYS[1], ticket, ARGV[1])
redis.call('EXPIRE', KEYS[1], 86400)
redis.call('HSET', KEYS[2], ARGV[1], now + tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[2], 86400)
return ticket
"""

# KEYS: alive hash; ARGV: token, heartbeat ttl ms
_HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[1], 86400)
return 1
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisSerializer:
    """A fair per-citizen lock shared by every process through Redis."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = "wechat",
        lock_ttl: float = 30.0,
        heartbeat_ttl: float = 10.0,
        poll: float = 0.01,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lock_ttl_ms = int(lock_ttl * 1000)
        self.heartbeat_ttl_ms = int(heartbeat_ttl * 1000)
        self.poll = poll
        self._enqueue_script = redis.register_script(_ENQUEUE)
        self._acquire = redis.register_script(_ACQUIRE)
        self._heartbeat = redis.register_script(_HEARTBEAT)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def _keys(self, openid: str) -> tuple[str, str, str, str]:
        base = f"{self.prefix}:serial:{openid}"
        return f"{base}:queue", f"{base}:alive", f"{base}:lock", f"{base}:seq"

    async def _enqueue(self, openid: str, token: str) -> None:
        queue, alive, _, seq = self._keys(openid)
        await self._enqueue_script(keys=[queue, alive, seq], args=[token, self.heartbeat_ttl_ms])

    async def _wait_turn(self, openid: str, token: str) -> None:
        queue, alive, lock, _ = self._keys(openid)
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + self.heartbeat_ttl_ms / 3000
        while not await self._acquire(keys=[queue, alive, lock], args=[token, self.lock_ttl_ms]):
            if loop.time() >= next_beat:
                await self._heartbeat(keys=[alive], args=[token, self.heartbeat_ttl_ms])
                next_beat = loop.time() + self.heartbeat_ttl_ms / 3000
            await asyncio.sleep(self.poll)

    async def _keep_alive(self, lock: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.lock_ttl_ms / 3000)
            if not await self._renew(keys=[lock], args=[token, self.lock_ttl_ms]):
                return

    @contextlib.asynccontextmanager
    async def hold(self, openid: str) -> AsyncIterator[None]:
        queue, alive, lock, _ = self._keys(openid)
        token = secrets.token_hex(16)
        try:
            await self._enqueue(openid, token)
            await self._wait_turn(openid, token)
        except BaseException:
            # Cancelled or failed while waiting: leave the queue so nobody waits for us.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._leave(queue, alive, lock, token))
            raise
        keeper = asyncio.ensure_future(self._keep_alive(lock, token))
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(Exception):
                await asyncio.shield(self._release(keys=[lock], args=[token]))

    async def _leave(self, queue: str, alive: str, lock: str, token: str) -> None:
        await self.redis.zrem(queue, token)
        await self.redis.hdel(alive, token)
        await self._release(keys=[lock], args=[token])
