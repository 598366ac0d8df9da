"""De-duplication records, the nonce guard and the per-citizen serial lock, in memory and on
real Redis (several processes included)."""

from __future__ import annotations

import asyncio
import multiprocessing
import time

import pytest
from redis.asyncio import Redis

from bot.wechat.dedup import CS, PASSIVE, READY, MemoryDedupStore, RedisDedupStore
from bot.wechat.serial import MemorySerializer, RedisSerializer
from tests.wechat.conftest import run

OPENID = "oStore000000000000000000000a"


def stores(kind: str, redis_url: str, prefix: str):  # type: ignore[no-untyped-def]
    if kind == "memory":
        return MemoryDedupStore(), None
    redis = Redis.from_url(redis_url, decode_responses=True)
    return RedisDedupStore(redis, prefix=prefix), redis


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def kind(request: pytest.FixtureRequest, redis_url: str) -> str:
    return str(request.param)


def test_first_delivery_runs_retries_read(kind: str, redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        dedup, redis = stores(kind, redis_url, prefix)
        key = f"{OPENID}:m:1"
        assert await dedup.begin(key)
        assert not await dedup.begin(key)  # a retry
        assert await dedup.wait_ready(key, 0.05) is None  # still running
        await dedup.finish(key, ["答复一", "答复二"])
        record = await dedup.wait_ready(key, 0.05)
        assert record is not None and record.state == READY
        assert record.parts == ["答复一", "答复二"]
        # The delivery is claimed once; later claims learn who holds it.
        assert await dedup.claim(key, CS) == CS
        assert await dedup.claim(key, PASSIVE) == CS
        assert await dedup.begin(f"{OPENID}:m:2")  # another message is its own record
        if redis:
            await redis.close()

    run(scenario())


def test_a_waiting_retry_wakes_when_the_turn_ends(kind: str, redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        dedup, redis = stores(kind, redis_url, prefix)
        key = f"{OPENID}:m:3"
        await dedup.begin(key)

        async def finish_later() -> None:
            await asyncio.sleep(0.2)
            await dedup.finish(key, ["好了"])

        started = time.monotonic()
        task = asyncio.create_task(finish_later())
        record = await dedup.wait_ready(key, 2.0)
        await task
        assert record is not None and record.parts == ["好了"]
        assert time.monotonic() - started < 1.0
        if redis:
            await redis.close()

    run(scenario())


def test_nonce_reuse_for_another_message_is_refused(kind: str, redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        dedup, redis = stores(kind, redis_url, prefix)
        assert await dedup.remember_nonce("12345", f"{OPENID}:m:1", 600)
        assert await dedup.remember_nonce("12345", f"{OPENID}:m:1", 600)  # a retry: fine
        assert not await dedup.remember_nonce("12345", f"{OPENID}:m:2", 600)
        assert await dedup.remember_nonce("67890", f"{OPENID}:m:2", 600)
        if redis:
            await redis.close()

    run(scenario())


def test_forget_citizen_deletes_only_theirs(kind: str, redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        dedup, redis = stores(kind, redis_url, prefix)
        other = OPENID[:-1] + "b"
        for key in (f"{OPENID}:m:1", f"{OPENID}:e:1700000000:click", f"{other}:m:1"):
            await dedup.begin(key)
            await dedup.finish(key, ["个人的答复"])
        assert await dedup.forget_citizen(OPENID) == 2
        assert await dedup.get(f"{OPENID}:m:1") is None
        assert await dedup.get(f"{other}:m:1") is not None
        if redis:
            await redis.close()

    run(scenario())


# ---------------------------------------------------------------- serial


def serializer(kind: str, redis_url: str, prefix: str):  # type: ignore[no-untyped-def]
    if kind == "memory":
        return MemorySerializer(), None
    redis = Redis.from_url(redis_url, decode_responses=True)
    return RedisSerializer(redis, prefix=prefix), redis


def test_one_citizen_in_order_others_in_parallel(kind: str, redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        serial, redis = serializer(kind, redis_url, prefix)
        done: list[int] = []
        inside = 0

        async def turn(i: int) -> None:
            nonlocal inside
            async with serial.hold(OPENID):
                inside += 1
                assert inside == 1, "two turns of one citizen at once"
                await asyncio.sleep(0.01 if i % 3 else 0.03)
                done.append(i)
                inside -= 1

        async def arrived(count: int) -> None:
            # Through Redis a push has arrived once its ticket is issued; waiting a fixed
            # 2 ms let two enqueues on different pooled connections swap under load.
            if redis is None:
                await asyncio.sleep(0.002)
                return
            seq = serial._keys(OPENID)[3]  # type: ignore[attr-defined]
            while int(await redis.get(seq) or 0) < count:
                await asyncio.sleep(0.001)

        tasks = []
        for i in range(20):
            tasks.append(asyncio.create_task(turn(i)))
            await arrived(i + 1)  # arrivals in this order
        await asyncio.gather(*tasks)
        assert done == list(range(20))

        # Ten citizens holding their turn for 0.3 s each take 0.3 s, not 3 s.
        async def slow(openid: str) -> None:
            async with serial.hold(openid):
                await asyncio.sleep(0.3)

        started = time.monotonic()
        await asyncio.gather(*(slow(f"oCitizen{i:020d}") for i in range(10)))
        assert time.monotonic() - started < 1.0
        if redis:
            await redis.close()

    run(scenario())


@pytest.mark.redis
def test_a_dead_waiter_or_holder_does_not_block_the_queue(redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(redis_url, decode_responses=True)
        serial = RedisSerializer(redis, prefix=prefix, lock_ttl=0.5, heartbeat_ttl=0.3)
        queue, alive, lock, seq = serial._keys(OPENID)
        # A process that queued and died: its heartbeat stops.
        seconds, micros = await redis.time()
        await redis.zadd(queue, {"dead-waiter": await redis.incr(seq)})
        await redis.hset(alive, "dead-waiter", seconds * 1000 + micros // 1000 + 300)
        # A process that took the lock and died: the lock expires.
        await redis.set(lock, "dead-holder", px=500)
        started = time.monotonic()
        async with serial.hold(OPENID):
            waited = time.monotonic() - started
        assert 0.2 < waited < 2.0
        assert await redis.zcard(queue) == 0
        assert await redis.get(lock) is None  # released by compare-and-delete
        await redis.close()

    run(scenario())


@pytest.mark.redis
def test_a_lock_outliving_its_expiry_is_not_released_by_the_old_holder(
    redis_url: str, prefix: str
) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(redis_url, decode_responses=True)
        serial = RedisSerializer(redis, prefix=prefix)
        _, _, lock, _ = serial._keys(OPENID)
        async with serial.hold(OPENID):
            await redis.set(lock, "someone-else")  # as if ours expired and another took it
        assert await redis.get(lock) == "someone-else"
        await redis.close()

    run(scenario())


@pytest.mark.redis
def test_a_waiter_sleeps_until_the_release_wakes_it(redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(redis_url, decode_responses=True)
        serial = RedisSerializer(redis, prefix=prefix)
        attempts = 0
        arrive, acquire = serial._arrive, serial._acquire

        async def counted_arrival(*args: object, **kwargs: object) -> object:
            nonlocal attempts
            attempts += 1
            return await arrive(*args, **kwargs)

        async def counted(*args: object, **kwargs: object) -> object:
            nonlocal attempts
            attempts += 1
            return await acquire(*args, **kwargs)

        serial._arrive = counted_arrival  # type: ignore[method-assign]
        serial._acquire = counted  # type: ignore[method-assign]
        released_at = 0.0

        async def holder() -> None:
            nonlocal released_at
            async with serial.hold(OPENID):
                await asyncio.sleep(0.6)
            released_at = time.monotonic()

        first = asyncio.create_task(holder())
        await asyncio.sleep(0.05)
        async with serial.hold(OPENID):
            got_at = time.monotonic()
        await first
        # the holder's arrival (taken at once), the waiter's (queued) and the attempt it was
        # woken for; polling every 10 ms made about 60
        assert attempts == 3
        assert got_at - released_at < 0.1
        await redis.close()

    run(scenario())


@pytest.mark.redis
def test_a_waiter_that_leaves_wakes_the_one_behind_it(redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(redis_url, decode_responses=True)
        serial = RedisSerializer(redis, prefix=prefix, max_wait=5.0)
        _, _, lock, _ = serial._keys(OPENID)
        await redis.set(lock, "someone", px=10_000)

        async def wait_turn() -> float:
            async with serial.hold(OPENID):
                return time.monotonic()

        ahead = asyncio.create_task(wait_turn())
        await asyncio.sleep(0.1)
        behind = asyncio.create_task(wait_turn())
        await asyncio.sleep(0.1)
        await redis.delete(lock)  # the holder vanished without waking anyone
        ahead.cancel()  # ... and the head of the queue gives up
        left_at = time.monotonic()
        got_at = await asyncio.wait_for(behind, 3.0)
        assert got_at - left_at < 0.5  # woken by the one that left, not by its 3 s timeout
        await redis.close()

    run(scenario())


@pytest.mark.redis
def test_a_waiting_retry_reads_the_record_only_when_woken(redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(redis_url, decode_responses=True)
        dedup = RedisDedupStore(redis, prefix=prefix)
        key = f"{OPENID}:m:9"
        await dedup.begin(key)
        reads = 0
        get = dedup.get

        async def counted(k: str) -> object:
            nonlocal reads
            reads += 1
            return await get(k)

        dedup.get = counted  # type: ignore[method-assign]

        async def finish_later() -> None:
            await asyncio.sleep(0.5)
            await dedup.finish(key, ["好了"])

        task = asyncio.create_task(finish_later())
        first, second = await asyncio.gather(dedup.wait_ready(key, 3), dedup.wait_ready(key, 3))
        await task
        assert first and second and first.parts == second.parts == ["好了"]  # both woke
        assert reads == 4  # each: once before waiting, once woken (polling made 20)
        assert await dedup.forget_citizen(OPENID) == 1  # the signal goes with the record
        assert not [k async for k in redis.scan_iter(match=f"{prefix}:msg:*")]
        await redis.close()

    run(scenario())


def _worker(redis_url: str, prefix: str, openid: str, turns: int, result: object) -> None:
    """Unsafe read-modify-write of a counter, made safe only by the serial lock."""

    async def main() -> None:
        redis = Redis.from_url(redis_url, decode_responses=True)
        serial = RedisSerializer(redis, prefix=prefix)
        for _ in range(turns):
            async with serial.hold(openid):
                value = int(await redis.get(f"{prefix}:counter") or 0)
                await asyncio.sleep(0.002)
                await redis.set(f"{prefix}:counter", value + 1)
        await redis.close()

    asyncio.run(main())


@pytest.mark.redis
def test_serialised_across_processes(redis_url: str, prefix: str) -> None:
    """The failure Rasa's RedisLockStore shows (NOTES.md): 2 processes, one citizen."""
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(target=_worker, args=(redis_url, prefix, OPENID, 30, None)) for _ in range(3)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    import redis as sync_redis

    client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    assert client.get(f"{prefix}:counter") == "90"
    client.close()


# ---------------------------------------------------------------- the 客服消息 window


def test_citizens_seen_together_are_written_in_one_transaction(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event
    from wechatpy import parse_message

    from banshi.db import session_scope
    from bot.wechat.storage import last_seen
    from bot.wechat.window import WindowTracker
    from wechat_standin.driver import text_xml

    commits = 0

    def counted(*_: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(engine, "commit", counted)
    tracker = WindowTracker(engine, flush_after=0.2)
    who = [f"oWindow{i:021d}" for i in range(30)]

    async def rush() -> None:
        for openid in who:
            tracker.seen(parse_message(text_xml(openid, "你好")))
        await tracker.forget(who[0])  # unsubscribed before the write: never written
        await asyncio.sleep(0.5)  # the flush runs by itself
        await tracker.drain()

    run(rush())
    event.remove(engine, "commit", counted)
    assert commits == 1
    with session_scope(engine) as session:
        assert last_seen(session, who[0]) is None
        assert all(last_seen(session, openid) is not None for openid in who[1:])


@pytest.mark.redis
def test_an_arrival_with_nobody_ahead_takes_the_lock_in_one_round_trip(
    redis_url: str, prefix: str
) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(redis_url, decode_responses=True)
        serial = RedisSerializer(redis, prefix=prefix)
        sent: list[str] = []
        execute = redis.execute_command

        async def counted(*args: object, **kwargs: object) -> object:
            sent.append(str(args[0]))
            return await execute(*args, **kwargs)

        async with serial.hold(OPENID):  # the scripts are loaded
            pass
        redis.execute_command = counted  # type: ignore[method-assign]
        async with serial.hold(OPENID):
            pass
        assert sent == ["EVALSHA", "EVALSHA"]  # arrive (taken), release
        queue, alive, lock, _ = serial._keys(OPENID)
        assert await redis.zcard(queue) == 0 and await redis.get(lock) is None
        await redis.close()

    run(scenario())
