"""Tracker stores that mask personal numbers before saving, against the real Redis (db 15)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from banshi.privacy.crypto import FieldCipher
from bot.tracker_store import (
    MaskingInMemoryTrackerStore,
    MaskingRedisTrackerStore,
    MaskingSQLTrackerStore,
    masked_copy,
    merge_events,
    redis_params,
)
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.redis

# Unusual values, so that another suite sharing db 15 cannot hold them by chance.
ID_NUMBER = "370283198709234616"
MOBILE = "13977046182"
RAW = (ID_NUMBER, MOBILE)
CIPHER = FieldCipher(b"a-test-secret-that-is-long-enough-0123456789")


def _domain() -> Any:
    from rasa.shared.core.domain import Domain

    def slot(kind: str) -> dict[str, Any]:  # a fresh dict each: Domain.from_dict pops keys
        return {"type": kind, "influence_conversation": False, "mappings": [{"type": "custom"}]}

    slots = {"phone": slot("text"), "id_token": slot("text"), "contact": slot("any")}
    return Domain.from_dict({"intents": ["book"], "entities": ["phone"], "slots": slots})


def _tracker(sender: str, token: str) -> Any:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    text = f"我要预约，身份证{ID_NUMBER}，手机{MOBILE}"
    events = [
        ActionExecuted("action_listen"),
        UserUttered(
            text,
            intent={"name": "book", "confidence": 0.98},
            entities=[{"entity": "phone", "value": MOBILE, "start": 25, "end": 36}],
            metadata={"wechat": {"content": text, "msg_id": "24412345678901"}},
            message_id="24412345678901",
        ),
        SlotSet("phone", MOBILE),
        SlotSet("contact", {"mobiles": [MOBILE], "note": f"身份证{ID_NUMBER}"}),
        SlotSet("id_token", token),
        BotUttered(f"已为您登记手机{MOBILE}。", data={"buttons": [{"title": MOBILE}]}),
        ActionExecuted("action_listen"),
    ]
    return DialogueStateTracker.from_events(sender, events, _domain().slots)


def _all_values(client: redis.Redis) -> dict[str, str]:
    """Every key of the database with its value as text, whatever its type."""
    out: dict[str, str] = {}
    for raw_key in client.scan_iter(count=1000):
        key = raw_key.decode("utf-8", "replace")
        kind = client.type(raw_key).decode()
        value: Any
        if kind == "string":
            value = client.get(raw_key)
        elif kind == "hash":
            value = client.hgetall(raw_key)
        elif kind == "list":
            value = client.lrange(raw_key, 0, -1)
        elif kind == "set":
            value = client.smembers(raw_key)
        elif kind == "zset":
            value = client.zrange(raw_key, 0, -1, withscores=True)
        elif kind == "stream":
            value = client.xrange(raw_key)
        else:
            value = None
        out[key] = key + " " + repr(value)
    return out


def _bytes_text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    c = redis.Redis.from_url(REDIS_URL)
    yield c
    c.close()


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    value = "banshitest" + uuid.uuid4().hex[:10]  # RedisTrackerStore wants an alphanumeric prefix
    yield value
    keys = list(client.scan_iter(match=f"{value}:*"))
    if keys:
        client.delete(*keys)


def test_redis_store_masks_expires_and_retrieves(client: redis.Redis, prefix: str) -> None:
    store = MaskingRedisTrackerStore(_domain(), host=REDIS_URL, key_prefix=prefix)
    token = CIPHER.encrypt(ID_NUMBER)
    tracker = _tracker("oTEST" + prefix, token)
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # a second save merges masked with masked: no duplicates

    values = _all_values(client)
    leaks = [key for key, text in values.items() if any(raw in _bytes_text(text) for raw in RAW)]
    assert leaks == []
    key = f"{prefix}:tracker:oTEST{prefix}"
    stored = json.loads(client.get(key) or b"null")
    text = json.dumps(stored, ensure_ascii=False)
    assert "370***********4616" in text and "139****6182" in text
    assert token in text  # an encrypted field is kept as it is, to be decrypted later
    assert 180 * 86400 - 60 < client.ttl(key) <= 180 * 86400

    again = asyncio.run(store.retrieve("oTEST" + prefix))
    assert again is not None
    assert len(again.events) == len(tracker.events)
    assert again.latest_message.text == "我要预约，身份证370***********4616，手机139****6182"
    assert again.latest_message.intent["name"] == "book"
    assert again.get_slot("phone") == "139****6182"
    assert again.get_slot("contact") == {
        "mobiles": ["139****6182"],
        "note": "身份证370***********4616",
    }
    assert CIPHER.decrypt(again.get_slot("id_token")) == ID_NUMBER
    assert again.events[-2].text == "已为您登记手机139****6182。"
    # the tracker of the running turn is not touched
    assert tracker.latest_message.text.endswith(MOBILE)
    assert tracker.get_slot("phone") == MOBILE


def test_redis_store_settings(prefix: str) -> None:
    store = MaskingRedisTrackerStore(
        _domain(), host=REDIS_URL, key_prefix=prefix, retention_days=30
    )
    assert store.record_exp == 30 * 86400
    assert isinstance(store.record_exp, int)
    explicit = MaskingRedisTrackerStore(
        _domain(), host="127.0.0.1", port=6379, db=15, record_exp=60.0
    )
    assert explicit.record_exp == 60
    assert (
        MaskingRedisTrackerStore(_domain(), host=None).red.connection_pool.connection_kwargs["host"]
        == "localhost"
    )
    assert redis_params("rediss://u:p%40ss@redis.example:6380/3") == {
        "host": "redis.example",
        "port": 6380,
        "db": 3,
        "username": "u",
        "password": "p@ss",
        "use_ssl": True,
    }


def test_endpoint_config_creates_the_store(prefix: str, tmp_path: Path) -> None:
    """The exact endpoints.yml entry the integrator is told to use."""
    from rasa.core.tracker_store import create_tracker_store
    from rasa.utils.endpoints import read_endpoint_config

    path = tmp_path / "endpoints.yml"
    path.write_text(
        "tracker_store:\n"
        "  type: bot.tracker_store.MaskingRedisTrackerStore\n"
        "  url: ${TEST_TRACKER_REDIS_URL}\n"
        f"  key_prefix: {prefix}\n"
        "  retention_days: 180\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEST_TRACKER_REDIS_URL", REDIS_URL)
        config = read_endpoint_config(str(path), "tracker_store")
    store = create_tracker_store(config, _domain())
    assert isinstance(store, MaskingRedisTrackerStore)
    assert store.record_exp == 180 * 86400
    assert store.key_prefix == f"{prefix}:tracker:"
    assert store.red.connection_pool.connection_kwargs["db"] == int(REDIS_URL.rsplit("/", 1)[-1])


def test_in_memory_store_masks() -> None:
    store = MaskingInMemoryTrackerStore(_domain())
    tracker = _tracker("oMEM", CIPHER.encrypt(ID_NUMBER))
    asyncio.run(store.save(tracker))
    stored = store.store["oMEM"]
    assert not any(raw in stored for raw in RAW)
    assert "370***********4616" in json.loads(stored)["events"][1]["text"]
    again = asyncio.run(store.retrieve("oMEM"))
    assert again is not None and again.get_slot("phone") == "139****6182"


def test_sql_store_masks(tmp_path: Path) -> None:
    import sqlalchemy as sa

    db = tmp_path / "rasa.db"
    store = MaskingSQLTrackerStore(_domain(), dialect="sqlite", db=str(db))
    tracker = _tracker("oSQL", CIPHER.encrypt(ID_NUMBER))
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT data FROM events")).scalars().all()
    engine.dispose()
    store.engine.dispose()
    assert len(rows) == len(tracker.events)
    assert not any(raw in row for row in rows for raw in RAW)
    assert any("139****6182" in row for row in rows)


def _more_turns(tracker: Any, turns: int, new_session: bool = False) -> None:
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )

    events: list[Any] = []
    if new_session:
        events += [ActionExecuted("action_session_start"), SessionStarted()]
        events += [ActionExecuted("action_listen")]
    for n in range(turns):
        text = f"第{n}次，手机{MOBILE}"
        parse = {"text": text, "intent": {"name": "book", "confidence": 0.9}, "entities": []}
        events += [
            UserUttered(text, intent=parse["intent"], parse_data=parse),  # type: ignore[arg-type]
            ActionExecuted("action_task", policy="RulePolicy", confidence=1.0),
            BotUttered(f"好的，{MOBILE}", data={"buttons": None}, metadata={"n": n}),
            SlotSet("phone", MOBILE),
            ActiveLoop("booking" if n % 2 else None),
            ActionExecuted("action_listen"),
        ]
    for event in events:
        tracker.update(event)


def test_redis_store_keeps_what_rasas_own_save_and_retrieve_would(prefix: str) -> None:
    """The store merges and splits serialised events instead of replayed trackers: turn by
    turn, across sessions and with a stale tracker saved late (another process), it stores
    and returns exactly what Rasa's RedisTrackerStore does with a masked copy."""
    from rasa.core.tracker_store import RedisTrackerStore

    class RasasWay(MaskingRedisTrackerStore):
        async def save(self, tracker: Any, timeout: float | None = None) -> None:
            await RedisTrackerStore.save(self, masked_copy(self, tracker))

        async def retrieve(self, sender_id: str) -> Any:
            return await RedisTrackerStore.retrieve(self, sender_id)

    token = CIPHER.encrypt(ID_NUMBER)

    async def conversation(store: MaskingRedisTrackerStore) -> list[list[dict[str, Any]]]:
        sender = "oSAME" + prefix
        await store.save(_tracker(sender, token))
        seen = []
        for turns, new_session in [(3, False), (2, True), (2, False)]:
            tracker = await store.retrieve(sender)
            assert tracker is not None
            _more_turns(tracker, turns, new_session)
            await store.save(tracker)
            seen.append(tracker)
        _more_turns(seen[1], 1)  # read before the last save, saved after it
        await store.save(seen[1])
        last = await store.retrieve(sender)
        full = await store.retrieve_full_tracker(sender)
        assert last is not None and full is not None
        stored = json.loads(store.red.get(store.key_prefix + sender))["events"]
        return [stored, [e.as_dict() for e in last.events], [e.as_dict() for e in full.events]]

    def untimed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "timestamp"} for e in events]

    ours = asyncio.run(
        conversation(MaskingRedisTrackerStore(_domain(), host=REDIS_URL, key_prefix=prefix))
    )
    rasas = asyncio.run(conversation(RasasWay(_domain(), host=REDIS_URL, key_prefix=prefix + "r")))
    for mine, theirs in zip(ours, rasas, strict=True):
        assert untimed(mine) == untimed(theirs)
    stored, last, full = ours
    assert len(stored) == len(full) > len(last)  # the last session alone is retrieved
    assert len({json.dumps(e, sort_keys=True) for e in stored}) == len(stored)  # no duplicate
    assert not any(raw in json.dumps(stored, ensure_ascii=False) for raw in RAW)


def test_merge_events_follows_rasas_rule() -> None:
    def ev(n: int, t: float) -> dict[str, Any]:
        return {"event": "action", "name": f"a{n}", "timestamp": t, "data": (n,)}

    stored = json.loads(json.dumps([ev(1, 1.0), ev(2, 2.0)]))  # read back: tuples are lists
    assert merge_events(stored, [ev(1, 1.0), ev(2, 2.0), ev(3, 3.0)])[-1] == ev(3, 3.0)
    assert merge_events([], [ev(1, 1.0)]) == [ev(1, 1.0)]
    # the tracker in memory lacks a stored event: kept, and the new ones appended once
    merged = merge_events(stored, [ev(1, 1.0), ev(3, 3.0), ev(3, 3.0)])
    assert [e["name"] for e in merged] == ["a1", "a2", "a3"]
