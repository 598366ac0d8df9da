"""A push's arrival: the nonce guard, the de-duplication record and the rate limit, in one step.

Every push is asked three things before anything runs: was its nonce used for another message
(a replay: refused), is this the first delivery of the message (retries never run the turn
again, :mod:`bot.wechat.dedup`), and, for the first delivery of a turn the limit counts, where
the citizen stands in their rate window (:mod:`bot.wechat.ratelimit`). With Redis the three
are one script over the very keys :class:`~bot.wechat.dedup.RedisDedupStore` and
:class:`~bot.wechat.ratelimit.RedisRateLimiter` keep: one round trip on every push instead of
three. Without Redis the stores are asked in turn (:class:`StoresGate`), which is also what
the script does, step for step.

The limiter alone lets a message through when Redis fails; in the script the nonce and the
record fail with it, as they did before the fold (the push is answered with an error and
WeChat delivers it again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.wechat.dedup import DedupStore, RedisDedupStore
from bot.wechat.ratelimit import RateLimiter, RedisRateLimiter, Verdict


@dataclass(frozen=True)
class Arrival:
    """What the gate found: ``replayed`` (the nonce came with another message: refuse it),
    ``first`` (this delivery runs the turn) and the rate limit's verdict (ALLOW when the
    message was not counted)."""

    replayed: bool = False
    first: bool = False
    verdict: Verdict = Verdict.ALLOW


class Gate(Protocol):
    async def arrive(
        self,
        key: str,
        openid: str,
        *,
        turn: bool = True,
        limited: bool = True,
        nonce: str | None = None,
        nonce_ttl: float = 600.0,
    ) -> Arrival:
        """Check ``nonce`` (None: not checked) for the push ``key``; when it makes a ``turn``,
        begin its record; when that is the first delivery and the turn is ``limited``, count it
        against ``openid``'s rate limit."""


class StoresGate:
    """The stores asked one after another (in memory, or any store the script does not know)."""

    def __init__(self, dedup: DedupStore, limiter: RateLimiter | None = None) -> None:
        self.dedup = dedup
        self.limiter = limiter

    async def arrive(
        self,
        key: str,
        openid: str,
        *,
        turn: bool = True,
        limited: bool = True,
        nonce: str | None = None,
        nonce_ttl: float = 600.0,
    ) -> Arrival:
        if nonce is not None and not await self.dedup.remember_nonce(nonce, key, nonce_ttl):
            return Arrival(replayed=True)
        if not turn or not await self.dedup.begin(key):
            return Arrival()
        if not limited or self.limiter is None:
            return Arrival(first=True)
        return Arrival(first=True, verdict=await self.limiter.check(openid))


# KEYS: nonce (may be ''), record, rate counter (may be ''); ARGV: key, nonce ttl ms, record
# ttl ms, rate window ms, whether the push makes a turn ('1'/'0'). The bodies of dedup's
# _NONCE and _BEGIN and ratelimit's _COUNT, in that order. Returns {replayed, first, count}
# (count 0: not counted).
_ARRIVE = """
if KEYS[1] ~= '' then
  local seen = redis.call('GET', KEYS[1])
  if seen then
    if seen ~= ARGV[1] then return {1, 0, 0} end
  else
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  end
end
if ARGV[5] ~= '1' or redis.call('EXISTS', KEYS[2]) == 1 then return {0, 0, 0} end
redis.call('HSET', KEYS[2], 'state', 'running')
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if KEYS[3] == '' then return {0, 1, 0} end
local n = redis.call('INCR', KEYS[3])
if n == 1 or redis.call('PTTL', KEYS[3]) < 0 then
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
end
return {0, 1, n}
"""


class RedisGate:
    """The three steps as one script on the Redis stores' own keys."""

    def __init__(self, dedup: RedisDedupStore, limiter: RedisRateLimiter | None = None) -> None:
        self.dedup = dedup
        self.limiter = limiter
        self._arrive = dedup.redis.register_script(_ARRIVE)

    async def arrive(
        self,
        key: str,
        openid: str,
        *,
        turn: bool = True,
        limited: bool = True,
        nonce: str | None = None,
        nonce_ttl: float = 600.0,
    ) -> Arrival:
        counted = limited and self.limiter is not None
        replayed, first, count = await self._arrive(
            keys=[
                self.dedup.nonce_key(nonce) if nonce is not None else "",
                self.dedup.record_key(key),
                self.limiter.key(openid) if counted and self.limiter else "",
            ],
            args=[
                key,
                int(nonce_ttl * 1000),
                int(self.dedup.ttl * 1000),
                self.limiter.window_ms if self.limiter else 0,
                "1" if turn else "0",
            ],
        )
        if int(replayed):
            return Arrival(replayed=True)
        if not int(first):
            return Arrival()
        if not int(count) or self.limiter is None:
            return Arrival(first=True)
        return Arrival(first=True, verdict=self.limiter.config.verdict(int(count)))
