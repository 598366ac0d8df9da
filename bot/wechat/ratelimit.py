"""Per-OpenID rate limit: a citizen (or a script behind an OpenID) cannot flood the bot.

A fixed window per OpenID that starts with their first message: up to ``limit`` messages
are answered; the next one gets one polite notice (``NOTIFY``); everything after that until
the window ends is dropped quietly (``SLOW``: reply ``success``, so WeChat does not retry
and the citizen sees nothing). One notice per window, never one per message: a notice
per dropped message would be the flood we are preventing.

The count lives in Redis when REDIS_URL is set, so every process shares it: INCR and the
first EXPIRE run in one Lua script, so no key is left without expiry and exactly one caller
sees ``limit + 1``. Without Redis, :class:`MemoryRateLimiter` counts in this process.

If Redis fails, messages are allowed: a broken limiter must not silence citizens.

Channel use::

    verdict = await limiter.check(openid)
    if verdict is Verdict.SLOW:   reply "success"
    if verdict is Verdict.NOTIFY: reply texts.RATE_LIMITED
    else:                         run the turn
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class Verdict(enum.Enum):
    """What to do with one message."""

    ALLOW = "allow"  # answer it
    NOTIFY = "notify"  # the first one over the limit: tell the citizen to slow down
    SLOW = "slow"  # over the limit and already told: reply ``success`` and drop it


@dataclass(frozen=True)
class RateLimitConfig:
    """``limit`` messages per ``window_seconds`` per OpenID (default 20 a minute: far above
    anyone typing, below a script)."""

    limit: int = 20
    window_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_seconds <= 0:
            raise ValueError(
                f"rate limit needs limit >= 1 and window_seconds > 0, "
                f"not {self.limit} per {self.window_seconds} s"
            )

    def verdict(self, count: int) -> Verdict:
        """The verdict for the ``count``-th message of a window."""
        if count <= self.limit:
            return Verdict.ALLOW
        return Verdict.NOTIFY if count == self.limit + 1 else Verdict.SLOW


class RateLimiter(Protocol):
    async def check(self, openid: str) -> Verdict:
        """Count this message of ``openid`` and say what to do with it."""


class MemoryRateLimiter:
    """One process's counts (REDIS_URL unset); ``clock`` is injectable for tests."""

    def __init__(
        self,
        config: RateLimitConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or RateLimitConfig()
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # openid -> (window end, count)

    async def check(self, openid: str) -> Verdict:
        now = self._clock()
        if len(self._windows) > 10000:
            self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        end, count = self._windows.get(openid, (0.0, 0))
        if end <= now:
            end, count = now + self.config.window_seconds, 0
        count += 1
        self._windows[openid] = (end, count)
        return self.config.verdict(count)


# KEYS[1] the counter, ARGV[1] the window in milliseconds; returns the new count.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
"""


class RedisRateLimiter:
    """Counts shared by every process through Redis."""

    def __init__(
        self, redis: Redis, config: RateLimitConfig | None = None, prefix: str = "wechat"
    ) -> None:
        self.redis = redis
        self.config = config or RateLimitConfig()
        self.prefix = prefix
        self._script = redis.register_script(_COUNT)

    def key(self, openid: str) -> str:
        return f"{self.prefix}:rate:{openid}"

    @property
    def window_ms(self) -> int:
        return max(1, int(self.config.window_seconds * 1000))

    async def check(self, openid: str) -> Verdict:
        try:
            count = int(await self._script(keys=[self.key(openid)], args=[self.window_ms]))
        except RedisError as exc:
            log.warning("rate limit unavailable, message allowed: %s", type(exc).__name__)
            return Verdict.ALLOW
        return self.config.verdict(count)
