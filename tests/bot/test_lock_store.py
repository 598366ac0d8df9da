"""Rasa's lock store with atomic steps: the same tickets as Rasa's, two round trips a message."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from app.run import LOCK_STORE
from bot.lock_store import ScriptedRedisLockStore

pytestmark = pytest.mark.redis

CONVERSATION = "oLockStore000000000000000000"


@pytest.fixture
def store(redis_url: str) -> Iterator[ScriptedRedisLockStore]:
    """Built by Rasa from an endpoint entry as ``banshi run`` writes it."""
    db = int(redis_url.rsplit("/", 1)[-1])
    prefix = "t" + uuid.uuid4().hex[:10]
    config = EndpointConfig(url="127.0.0.1", port=6379, db=db, key_prefix=prefix, type=LOCK_STORE)
    built = LockStore.create(config)
    assert isinstance(built, ScriptedRedisLockStore)
    yield built
    for key in built.red.scan_iter(match=f"{prefix}:*"):
        built.red.delete(key)


def commands(store: ScriptedRedisLockStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The commands the store sends to Redis from here on."""
    sent: list[str] = []
    original = store.red.execute_command

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(str(args[0]))
        return original(*args, **kwargs)

    monkeypatch.setattr(store.red, "execute_command", counted)
    return sent


def test_a_message_takes_and_gives_back_the_lock_in_two_round_trips(
    store: ScriptedRedisLockStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def turn() -> None:
        async with store.lock(CONVERSATION):
            held = store.get_lock(CONVERSATION)  # Rasa's own reading of the key
            assert held is not None and held.now_serving == 0 and held.last_issued == 0

    asyncio.run(turn())  # the scripts are loaded
    sent = commands(store, monkeypatch)
    asyncio.run(turn())
    assert [c for c in sent if c != "GET"] == ["EVALSHA", "EVALSHA"]  # GET: the test's own
    assert store.get_lock(CONVERSATION) is None  # nobody waits: the lock is gone


def test_messages_of_one_conversation_are_served_in_ticket_order(
    store: ScriptedRedisLockStore,
) -> None:
    order: list[int] = []

    async def turn(i: int) -> None:
        await asyncio.sleep(0.001 * i)
        async with store.lock(CONVERSATION, wait_time_in_seconds=0.01):
            order.append(i)
            await asyncio.sleep(0.02)
            order.append(i)

    async def main() -> None:
        await asyncio.gather(*(turn(i) for i in range(4)))

    asyncio.run(main())
    assert order == [0, 0, 1, 1, 2, 2, 3, 3]  # one at a time, first come first served
    assert store.get_lock(CONVERSATION) is None


def test_tickets_are_rasas_and_expired_ones_do_not_block(store: ScriptedRedisLockStore) -> None:
    rasa = RedisLockStore(host="127.0.0.1", db=store.red.connection_pool.connection_kwargs["db"])
    rasa.key_prefix = store.key_prefix
    dead = store.issue_ticket(CONVERSATION, lock_lifetime=-1)  # its holder died long ago
    assert dead == 0
    assert rasa.issue_ticket(CONVERSATION) == 0  # Rasa's store reads ours: the dead one is gone
    assert store.issue_ticket(CONVERSATION) == 1  # and ours reads Rasa's
    lock = store.get_lock(CONVERSATION)
    assert lock is not None and [t.number for t in lock.tickets] == [0, 1]
    store.cleanup(CONVERSATION, 0)
    store.cleanup(CONVERSATION, 1)
    assert store.get_lock(CONVERSATION) is None
