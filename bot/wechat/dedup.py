"""De-duplication of WeChat's retries, and the nonce guard against replayed pushes.

WeChat waits 5 s and then delivers the same push again, up to 3 deliveries in about 15 s.
Every delivery of one message shares a record (keyed FromUserName+MsgId, events
FromUserName+CreateTime: :func:`bot.wechat.protocol.message_key`): the first delivery runs
the dialogue turn, later ones only read its outcome. Who delivers the answer is *claimed*
once: ``passive`` (in an HTTP reply, possibly repeated to a retry of the same push) or ``cs``
(through the customer-service API), never both.

Records live in Redis when REDIS_URL is set, so retries landing on another process see them;
otherwise in this process's memory. A retry waiting for the first delivery's answer blocks on
a list the turn's end pushes to (``BLMOVE`` from the list onto itself: every waiter wakes, the
signal stays for later ones) instead of reading the record every 50 ms.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Protocol

from redis.asyncio import Redis

RUNNING = "running"
READY = "ready"
PASSIVE = "passive"
CS = "cs"

RECORD_TTL = 600.0  # seconds; far beyond WeChat's ~15 s of retries
MAX_WAIT = 1.0  # a waiting retry reads the record at least this often (seconds)


@dataclass
class Record:
    state: str = RUNNING
    parts: list[str] = field(default_factory=list)
    delivery: str = ""  # "", PASSIVE or CS


class DedupStore(Protocol):
    async def begin(self, key: str) -> bool:
        """True for the first delivery of ``key`` (which then runs the turn)."""

    async def finish(self, key: str, parts: list[str], claim: str | None = None) -> str | None:
        """The turn is done: these are the parts of the answer. With ``claim``, the delivery
        is claimed in the same step (see :meth:`claim`) and whoever holds it returned."""

    async def get(self, key: str) -> Record | None: ...

    async def wait_ready(self, key: str, timeout: float) -> Record | None:
        """The record once its turn is done, or None if it is not done within ``timeout``."""

    async def claim(self, key: str, how: str) -> str:
        """Claim the delivery of the answer; returns whoever holds the claim."""

    async def remember_nonce(self, nonce: str, key: str, ttl: float) -> bool:
        """False when ``nonce`` was already used for a *different* message."""

    async def forget_citizen(self, openid: str) -> int:
        """Delete every record of ``openid`` (they hold answers: personal data)."""


class MemoryDedupStore:
    """One process's records (REDIS_URL unset)."""

    def __init__(self, ttl: float = RECORD_TTL) -> None:
        self.ttl = ttl
        self._records: dict[str, tuple[Record, float, asyncio.Event]] = {}
        self._nonces: dict[str, tuple[str, float]] = {}

    def _purge(self) -> None:
        now = time.monotonic()
        if len(self._records) > 1000:
            for k in [k for k, (_, exp, _) in self._records.items() if exp < now]:
                del self._records[k]
        if len(self._nonces) > 1000:
            for k in [k for k, (_, exp) in self._nonces.items() if exp < now]:
                del self._nonces[k]

    def _entry(self, key: str) -> tuple[Record, float, asyncio.Event] | None:
        entry = self._records.get(key)
        if entry and entry[1] < time.monotonic():
            del self._records[key]
            return None
        return entry

    async def begin(self, key: str) -> bool:
        self._purge()
        if self._entry(key):
            return False
        self._records[key] = (Record(), time.monotonic() + self.ttl, asyncio.Event())
        return True

    async def finish(self, key: str, parts: list[str], claim: str | None = None) -> str | None:
        entry = self._entry(key)
        if entry:
            entry[0].state = READY
            entry[0].parts = list(parts)
            entry[2].set()
        return None if claim is None else await self.claim(key, claim)

    async def get(self, key: str) -> Record | None:
        entry = self._entry(key)
        return entry[0] if entry else None

    async def wait_ready(self, key: str, timeout: float) -> Record | None:
        entry = self._entry(key)
        if entry is None:
            return None
        try:
            await asyncio.wait_for(entry[2].wait(), max(timeout, 0.0))
        except asyncio.TimeoutError:
            return None
        return entry[0]

    async def claim(self, key: str, how: str) -> str:
        entry = self._entry(key)
        if entry is None:
            return how
        if not entry[0].delivery:
            entry[0].delivery = how
        return entry[0].delivery

    async def remember_nonce(self, nonce: str, key: str, ttl: float) -> bool:
        self._purge()
        now = time.monotonic()
        seen = self._nonces.get(nonce)
        if seen and seen[1] >= now:
            return seen[0] == key
        self._nonces[nonce] = (key, now + ttl)
        return True

    async def forget_citizen(self, openid: str) -> int:
        keys = [k for k in self._records if k.startswith(f"{openid}:")]
        for k in keys:
            del self._records[k]
        return len(keys)


_BEGIN = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'running')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""

# KEYS: record, its done list; ARGV: state, parts, ttl ms, the delivery to claim ('': none).
# Returns who holds the claim (as _CLAIM does), or '' when none was asked for.
_FINISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return ARGV[4] end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'parts', ARGV[2])
redis.call('RPUSH', KEYS[2], '1')
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[4] == '' then return '' end
redis.call('HSETNX', KEYS[1], 'delivery', ARGV[4])
return redis.call('HGET', KEYS[1], 'delivery')
"""

_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return ARGV[1] end
redis.call('HSETNX', KEYS[1], 'delivery', ARGV[1])
return redis.call('HGET', KEYS[1], 'delivery')
"""

_NONCE = """
local seen = redis.call('GET', KEYS[1])
if seen then return seen == ARGV[1] and 1 or 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisDedupStore:
    """Records shared by every process (and every retry) through Redis."""

    def __init__(self, redis: Redis, prefix: str = "wechat", ttl: float = RECORD_TTL) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._begin = redis.register_script(_BEGIN)
        self._finish = redis.register_script(_FINISH)
        self._claim = redis.register_script(_CLAIM)
        self._nonce = redis.register_script(_NONCE)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:msg:{key}"

    def record_key(self, key: str) -> str:
        """The Redis key of ``key``'s record (the arrival script begins it too)."""
        return self._key(key)

    def nonce_key(self, nonce: str) -> str:
        return f"{self.prefix}:nonce:{nonce}"

    def _done(self, key: str) -> str:
        return f"{self.prefix}:msg:{key}:done"  # under the citizen's prefix: forgotten with it

    async def begin(self, key: str) -> bool:
        return bool(await self._begin(keys=[self._key(key)], args=[int(self.ttl * 1000)]))

    async def finish(self, key: str, parts: list[str], claim: str | None = None) -> str | None:
        # Only an existing record: an unsubscribe deletes its own on the way (and nothing
        # may then linger without an expiry).
        winner = await self._finish(
            keys=[self._key(key), self._done(key)],
            args=[
                READY,
                json.dumps(parts, ensure_ascii=False),
                int(self.ttl * 1000),
                claim or "",
            ],
        )
        return None if claim is None else str(winner)

    async def get(self, key: str) -> Record | None:
        data = await self.redis.hgetall(self._key(key))
        if not data:
            return None
        return Record(
            state=data.get("state", RUNNING),
            parts=json.loads(data.get("parts") or "[]"),
            delivery=data.get("delivery", ""),
        )

    async def wait_ready(self, key: str, timeout: float) -> Record | None:
        deadline = time.monotonic() + timeout
        done = self._done(key)
        while True:
            record = await self.get(key)
            if record is None:
                return None
            if record.state == READY:
                return record
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            # the list rotates onto itself: the signal wakes us and stays for other waiters
            await self.redis.blmove(done, done, max(min(left, MAX_WAIT), 0.01), "LEFT", "RIGHT")

    async def claim(self, key: str, how: str) -> str:
        return str(await self._claim(keys=[self._key(key)], args=[how]))

    async def remember_nonce(self, nonce: str, key: str, ttl: float) -> bool:
        return bool(await self._nonce(keys=[self.nonce_key(nonce)], args=[key, int(ttl * 1000)]))

    async def forget_citizen(self, openid: str) -> int:
        pattern = self._key(f"{_glob_escape(openid)}:*")
        keys = [k async for k in self.redis.scan_iter(match=pattern, count=500)]
        if keys:
            await self.redis.delete(*keys)
        return sum(1 for k in keys if not k.endswith(":done"))  # records, not their signals
