"""A push's arrival (nonce, first delivery, rate limit) in one step: the Redis script decides
exactly as the stores asked one after another, on the stores' own keys, in one round trip."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import redis as sync_redis
from redis.asyncio import Redis

from bot.wechat.arrival import Arrival, Gate, RedisGate, StoresGate
from bot.wechat.dedup import CS, PASSIVE, MemoryDedupStore, RedisDedupStore
from bot.wechat.ratelimit import (
    MemoryRateLimiter,
    RateLimitConfig,
    RedisRateLimiter,
    Verdict,
)
from tests.wechat.conftest import run

OPENID = "oGate0000000000000000000000a"
LIMITS = RateLimitConfig(limit=2, window_seconds=60)
ALLOW, NOTIFY, SLOW = Verdict.ALLOW, Verdict.NOTIFY, Verdict.SLOW


def key(n: int, openid: str = OPENID) -> str:
    return f"{openid}:m:{n}"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def kind(request: pytest.FixtureRequest, redis_url: str) -> str:
    return str(request.param)


Build = Callable[[], tuple[Gate, MemoryDedupStore | RedisDedupStore, Redis | None]]


def builder(kind: str, redis_url: str, prefix: str) -> Build:
    def build() -> tuple[Gate, MemoryDedupStore | RedisDedupStore, Redis | None]:
        if kind == "memory":
            memory = MemoryDedupStore()
            return StoresGate(memory, MemoryRateLimiter(LIMITS)), memory, None
        client = Redis.from_url(redis_url, decode_responses=True)
        dedup = RedisDedupStore(client, prefix=prefix)
        limiter = RedisRateLimiter(client, LIMITS, prefix=prefix)
        return RedisGate(dedup, limiter), dedup, client

    return build


def test_the_gate_decides_as_the_three_stores(kind: str, redis_url: str, prefix: str) -> None:
    async def scenario() -> list[Arrival]:
        gate, _, client = builder(kind, redis_url, prefix)()
        seen = [
            await gate.arrive(key(1), OPENID, nonce="n1"),  # first: counted (1)
            await gate.arrive(key(1), OPENID, nonce="n1"),  # WeChat's retry, same nonce
            await gate.arrive(key(1), OPENID, nonce="n1b"),  # a retry with a new nonce
            await gate.arrive(key(2), OPENID, nonce="n1"),  # the nonce of another message
            await gate.arrive(key(2), OPENID, nonce="n2"),  # … which did not begin key 2
            await gate.arrive(key(3), OPENID, nonce="n3", limited=False),  # not counted
            await gate.arrive(key(4), OPENID, nonce="n4", turn=False),  # no turn: nothing begun
            await gate.arrive(key(4), OPENID, nonce="n4b"),  # so this is its first delivery
            await gate.arrive(key(5), OPENID, nonce="n5"),  # the fourth counted: slowed
            await gate.arrive(key(6), "oOther", nonce="n6"),  # another citizen's own window
            await gate.arrive(key(7), OPENID),  # no nonce given: not checked
        ]
        if client:
            await client.close()
        return seen

    assert run(scenario()) == [
        Arrival(first=True, verdict=ALLOW),
        Arrival(),
        Arrival(),
        Arrival(replayed=True),
        Arrival(first=True, verdict=ALLOW),
        Arrival(first=True, verdict=ALLOW),
        Arrival(),
        Arrival(first=True, verdict=NOTIFY),
        Arrival(first=True, verdict=SLOW),
        Arrival(first=True, verdict=ALLOW),
        Arrival(first=True, verdict=SLOW),
    ]


def test_what_the_gate_began_is_the_stores_record(kind: str, redis_url: str, prefix: str) -> None:
    """The record the gate begins is the one the store finishes and claims; the count it
    keeps is the one the limiter continues."""

    async def scenario() -> None:
        gate, dedup, client = builder(kind, redis_url, prefix)()
        assert (await gate.arrive(key(1), OPENID, nonce="n1")).first
        assert not await dedup.begin(key(1))
        assert await dedup.finish(key(1), ["答复"], claim=PASSIVE) == PASSIVE
        assert await dedup.claim(key(1), CS) == PASSIVE
        record = await dedup.get(key(1))
        assert record is not None and record.parts == ["答复"]
        assert not await dedup.remember_nonce("n1", key(2), 600)
        await gate.arrive(key(2), OPENID, nonce="n2")  # counted: 2
        if client:
            limiter = RedisRateLimiter(client, LIMITS, prefix=prefix)
            assert await limiter.check(OPENID) is NOTIFY  # 3
            await client.close()

    run(scenario())


@pytest.mark.redis
def test_an_arrival_is_one_round_trip(redis_url: str, prefix: str) -> None:
    """MONITOR sees one command from the client per arrival (the script); the nonce, the
    record and the count are written inside it."""
    sent: list[str] = []
    inside: list[str] = []
    listening = threading.Event()
    done = threading.Event()

    def watch() -> None:
        client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
        with client.monitor() as monitor:
            listening.set()
            for command in monitor.listen():
                text = str(command.get("command", ""))
                if "gate-test-done" in text:
                    break
                if prefix not in text:
                    continue
                (inside if command.get("client_type") == "lua" else sent).append(text)
        done.set()

    threading.Thread(target=watch, daemon=True).start()
    assert listening.wait(5)

    async def scenario() -> None:
        gate, _, client = builder("redis", redis_url, prefix)()
        assert client is not None
        await gate.arrive(key(1), OPENID, nonce="n1")  # warm: the script is loaded once
        for n in range(2, 6):
            await gate.arrive(key(n), OPENID, nonce=f"n{n}")
        await client.get(f"{prefix}:gate-test-done")
        await client.close()

    run(scenario())
    assert done.wait(5)
    # the warm-up's own lines may come in after the clear: only keys 2 to 5 are counted
    sent = [s for s in sent if any(f":m:{n}" in s for n in range(2, 6))]
    assert len(sent) == 4 and all(s.startswith("EVALSHA") for s in sent)
    assert any("SET" in s and ":nonce:" in s for s in inside)
    assert any("HSET" in s and ":msg:" in s for s in inside)
    assert any("INCR" in s and ":rate:" in s for s in inside)


def test_finishing_can_claim_the_passive_reply(kind: str, redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        gate, dedup, client = builder(kind, redis_url, prefix)()
        await gate.arrive(key(1), OPENID)
        await gate.arrive(key(2), OPENID)
        assert await dedup.finish(key(1), ["一"]) is None  # nothing claimed, none asked
        assert await dedup.claim(key(1), CS) == CS
        assert await dedup.claim(key(2), CS) == CS  # the request gave up first …
        assert await dedup.finish(key(2), ["二"], claim=PASSIVE) == CS  # … and keeps it
        record = await dedup.get(key(2))
        assert record is not None and record.parts == ["二"] and record.delivery == CS
        if client:
            await client.close()

    run(scenario())
