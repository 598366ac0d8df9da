"""Live staff pages (banshi.handoff.live): the versions a page has seen change exactly when the
page would show something new; every change is published once its transaction commits (never
before, never for a rollback's sake alone); ``watch`` returns at once on news, soon after a new
line, and empty-handed when time is up. Redis and the console's endpoint:
tests/console/test_handoff_live.py."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.handoff.live import INBOX, Polling, topic_of, watch
from banshi.handoff.service import HandoffService
from banshi.privacy.crypto import FieldCipher
from tests.banshi.tickets.support import NOW, new_openid


class Recorder(Polling):
    """Polling that also records what was published."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[list[str]] = []

    def publish(self, topics: Iterable[str]) -> None:
        self.published.append(list(topics))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def service(db: Engine, cipher: FieldCipher, recorder: Recorder) -> HandoffService:
    return HandoffService(db, cipher, notifier=recorder)


def _held(service: HandoffService) -> tuple[str, int]:
    """A citizen held by staff1; (openid, handoff id)."""
    openid = new_openid()
    assert service.request(openid, NOW, "社保卡丢了怎么补办")[1]
    [mine] = [w.id for w in service.list_waiting(NOW) if w.who == "…" + openid[-4:]]
    service.take(mine, "staff1", NOW)
    return openid, mine


def test_versions_change_when_a_page_would_show_something_new(service: HandoffService) -> None:
    openid = new_openid()
    inbox = service.inbox_version()
    assert service.request(openid, NOW, "护照加急怎么办")[1]
    [handoff_id] = [w.id for w in service.list_waiting(NOW) if w.who == "…" + openid[-4:]]
    assert service.inbox_version() != inbox  # a citizen waits
    inbox, log = service.inbox_version(), service.log_version(handoff_id)
    assert log.startswith("waiting.")
    service.record(openid, "我下周要出国", NOW + timedelta(minutes=1))
    assert service.inbox_version() != inbox  # the inbox shows a waiting citizen's last line
    assert service.log_version(handoff_id) != log
    inbox, log = service.inbox_version(), service.log_version(handoff_id)
    assert service.inbox_version() == inbox and service.log_version(handoff_id) == log
    service.take(handoff_id, "staff1", NOW + timedelta(minutes=2))
    assert service.inbox_version() != inbox
    assert service.log_version(handoff_id).startswith("held.")
    inbox, log = service.inbox_version(), service.log_version(handoff_id)
    service.record(openid, "能快点吗", NOW + timedelta(minutes=3))
    assert service.log_version(handoff_id) != log
    assert service.inbox_version() == inbox  # a held conversation's lines: its page follows
    service.close(handoff_id, "staff1", NOW + timedelta(minutes=4))
    assert service.log_version(handoff_id).startswith("closed.")
    assert service.inbox_version() != inbox
    assert service.log_version(987654321) == "gone"


def test_each_change_is_published_once_it_commits(
    service: HandoffService, recorder: Recorder, db: Engine
) -> None:
    openid, handoff_id = _held(service)
    both = sorted([INBOX, topic_of(handoff_id)])
    assert recorder.published == [both] * 3  # requested, its question logged, taken
    recorder.published.clear()
    service.record(openid, "我在等", NOW)
    assert recorder.published == [both]
    # a staff action in the page's transaction: told after that commits, not before
    with session_scope(db) as session:
        service.send(handoff_id, "staff1", "您好，请讲。", NOW, session=session)
        assert recorder.published == [both]
    assert recorder.published == [both, both]
    # refused, rolled back: nothing to tell
    with pytest.raises(Exception, match="接待"), session_scope(db) as session:
        service.send(handoff_id, "staff2", "我来", NOW, session=session)
    assert recorder.published == [both, both]
    service.close(handoff_id, "staff1", NOW)
    assert recorder.published == [both, both, both]


def _watch(service: HandoffService, handoff_id: int, seen: str, timeout: float) -> str:
    async def probe() -> str:
        return await asyncio.to_thread(service.log_version, handoff_id)

    return asyncio.run(watch(Polling(), [topic_of(handoff_id)], probe, seen, timeout))


def test_watch_returns_at_once_when_the_page_is_behind(service: HandoffService) -> None:
    openid, handoff_id = _held(service)
    stale = service.log_version(handoff_id)
    service.record(openid, "在吗", NOW)
    began = time.monotonic()
    assert _watch(service, handoff_id, stale, timeout=10) == service.log_version(handoff_id)
    assert _watch(service, handoff_id, "", timeout=10) != ""  # a page that has nothing
    assert time.monotonic() - began < 0.5


def test_watch_returns_soon_after_a_new_line(service: HandoffService) -> None:
    openid, handoff_id = _held(service)
    seen = service.log_version(handoff_id)
    typed = threading.Timer(0.3, lambda: service.record(openid, "我到窗口了", NOW))
    began = time.monotonic()
    typed.start()
    current = _watch(service, handoff_id, seen, timeout=10)
    took = time.monotonic() - began
    typed.join()
    assert current != seen and current == service.log_version(handoff_id)
    assert 0.3 <= took < 0.3 + 0.4, took  # Polling re-reads every 150 ms


def test_watch_times_out_empty_handed(service: HandoffService) -> None:
    _openid, handoff_id = _held(service)
    seen = service.log_version(handoff_id)
    began = time.monotonic()
    assert _watch(service, handoff_id, seen, timeout=0.6) == seen
    assert 0.6 <= time.monotonic() - began < 1.0


def test_watch_stops_when_nobody_waits_any_more(service: HandoffService) -> None:
    _openid, handoff_id = _held(service)
    seen = service.log_version(handoff_id)
    calls = 0

    async def probe() -> str:
        return await asyncio.to_thread(service.log_version, handoff_id)

    async def gone() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 3

    began = time.monotonic()
    assert asyncio.run(watch(Polling(), [topic_of(handoff_id)], probe, seen, 10, gone)) == seen
    assert calls == 3 and time.monotonic() - began < 1.0
