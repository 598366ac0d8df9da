"""Per-OpenID rate limit: in memory, and in the real Redis shared by two processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis

from bot.wechat.ratelimit import (
    MemoryRateLimiter,
    RateLimitConfig,
    RedisRateLimiter,
    Verdict,
)
from tests.conftest import REDIS_URL

PROJECT_ROOT = Path(__file__).resolve().parents[2]

ALLOW, NOTIFY, SLOW = Verdict.ALLOW, Verdict.NOTIFY, Verdict.SLOW


@pytest.fixture
def rate_prefix() -> Iterator[str]:
    value = f"ratetest-{uuid.uuid4().hex[:10]}"
    yield value
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{value}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_config_verdicts() -> None:
    config = RateLimitConfig(limit=3, window_seconds=60)
    assert [config.verdict(n) for n in range(1, 7)] == [ALLOW, ALLOW, ALLOW, NOTIFY, SLOW, SLOW]
    assert RateLimitConfig().limit == 20 and RateLimitConfig().window_seconds == 60
    with pytest.raises(ValueError, match="limit"):
        RateLimitConfig(limit=0)


def test_memory_limiter_windows_per_openid() -> None:
    now = [1000.0]
    limiter = MemoryRateLimiter(RateLimitConfig(limit=2, window_seconds=60), clock=lambda: now[0])

    async def go() -> list[Verdict]:
        return [await limiter.check("oA") for _ in range(5)] + [await limiter.check("oB")]

    assert asyncio.run(go()) == [ALLOW, ALLOW, NOTIFY, SLOW, SLOW, ALLOW]
    now[0] += 59.9
    assert asyncio.run(limiter.check("oA")) is SLOW
    now[0] += 0.2  # the window is over: a fresh one, and a fresh notice when needed
    assert asyncio.run(limiter.check("oA")) is ALLOW


@pytest.mark.redis
def test_redis_limiter_counts_across_instances(rate_prefix: str) -> None:
    config = RateLimitConfig(limit=20, window_seconds=60)

    async def go() -> tuple[list[Verdict], int, int]:
        first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
        try:
            a = RedisRateLimiter(first, config, prefix=rate_prefix)
            b = RedisRateLimiter(second, config, prefix=rate_prefix)
            checks = [(a if i % 2 else b).check("oSHARED") for i in range(50)]
            verdicts = list(await asyncio.gather(*checks))
            verdicts.append(await a.check("oOTHER"))
            ttl = await first.pttl(a.key("oSHARED"))
            count = int(await first.get(a.key("oSHARED")) or 0)
            return verdicts, ttl, count
        finally:
            await first.close()
            await second.close()

    verdicts, ttl, count = asyncio.run(go())
    assert Counter(verdicts[:50]) == {ALLOW: 20, NOTIFY: 1, SLOW: 29}
    assert verdicts[50] is ALLOW  # another citizen has a count of their own
    assert 0 < ttl <= 60_000
    assert count == 50


_CHILD = """
import asyncio, sys
from redis.asyncio import Redis
from bot.wechat.ratelimit import RateLimitConfig, RedisRateLimiter

async def main():
    client = Redis.from_url(sys.argv[1])
    limiter = RedisRateLimiter(client, RateLimitConfig(limit=20, window_seconds=60), prefix=sys.argv[2])
    print(" ".join([(await limiter.check("oPROC")).value for _ in range(15)]))
    await client.close()

asyncio.run(main())
"""


@pytest.mark.redis
def test_redis_limiter_shared_by_two_processes(rate_prefix: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, REDIS_URL, rate_prefix],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )

    async def mine() -> list[Verdict]:
        client = Redis.from_url(REDIS_URL)
        try:
            limiter = RedisRateLimiter(client, RateLimitConfig(limit=20), prefix=rate_prefix)
            return [await limiter.check("oPROC") for _ in range(15)]
        finally:
            await client.close()

    here = asyncio.run(mine())
    out, _ = child.communicate(timeout=30)
    assert child.returncode == 0
    there = [Verdict(v) for v in out.split()]
    assert len(there) == 15
    assert Counter(here + there) == {ALLOW: 20, NOTIFY: 1, SLOW: 9}


def test_redis_failure_allows() -> None:
    async def go() -> Verdict:
        client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
        try:
            return await RedisRateLimiter(client).check("oX")
        finally:
            await client.close()

    assert asyncio.run(go()) is ALLOW
