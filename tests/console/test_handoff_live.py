"""The 人工服务 pages' long poll, over HTTP: a page that is behind gets the news at once; a
waiting page gets a citizen's new line well under a second after it is written, and an answer
that re-arms it with the new version; with nothing new it is answered after the long poll's
time, showing the same; an ended conversation stops the asking. Each with the embedded
default (re-reading every 150 ms) and with Redis pub/sub between two processes' notifiers
(here: two services over one database, as the channel and the console are); and with Redis
gone, the page still follows, re-reading every half second."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from banshi.handoff.live import LineNotifier, Polling
from banshi.handoff.service import HandoffService
from bot.handoff_notify import RedisLineNotifier
from console.pages import handoff
from tests.conftest import REDIS_URL
from tests.console.conftest import NOW, STAFF, Site, signed_in
from tests.console.test_tickets_pages import CIPHER, with_calendar

HTMX = {"HX-Request": "true"}
LONG_POLL = 0.8  # seconds: the tests' own, the real one is 25
_SEEN = re.compile(r'hx-get="/handoff/(?:\d+/log|inbox)\?seen=([^"]+)"')


@pytest.fixture(params=["polling", pytest.param("redis", marks=pytest.mark.redis)])
def notifiers(request: pytest.FixtureRequest) -> Iterator[tuple[LineNotifier, LineNotifier]]:
    """(the writer's notifier, the console's): separate objects, as in two processes."""
    if request.param == "polling":
        yield Polling(), Polling()
        return
    request.getfixturevalue("redis_url")  # skips when Redis does not run
    prefix = f"test-live-{uuid.uuid4().hex[:8]}:"  # db 15 is shared with other suites
    yield RedisLineNotifier(REDIS_URL, prefix), RedisLineNotifier(REDIS_URL, prefix)


@pytest.fixture
def writer(site: Site, notifiers: tuple[LineNotifier, LineNotifier]) -> HandoffService:
    """The channel's side: records what citizens type."""
    return HandoffService(with_calendar(site), CIPHER, notifier=notifiers[0])


@pytest.fixture
def console(make_client: Any, site: Site, notifiers: tuple[LineNotifier, LineNotifier]) -> Any:
    """The console with the 人工服务 pages (long poll of LONG_POLL s), window staff signed in."""
    people = HandoffService(site.engine, CIPHER, notifier=notifiers[1])
    c = make_client(pages=[handoff.page(people, long_poll=LONG_POLL)])
    c.token = signed_in(c, STAFF["window"])
    return c


def held(writer: HandoffService, console: Any) -> tuple[str, int]:
    """A citizen in conversation with window staff (taken through the console)."""
    openid = "oL" + uuid.uuid4().hex[:26]
    assert writer.request(openid, NOW, "我想问一下护照加急")[1]
    [handoff_id] = [w.id for w in writer.list_waiting(NOW) if w.who == "…" + openid[-4:]]
    taken = console.post(f"/handoff/{handoff_id}/take", data={"csrf_token": console.token})
    assert taken.status_code == 303
    return openid, handoff_id


def seen_in(html: str) -> str:
    found = _SEEN.search(html)
    assert found, "the answer does not ask again"
    return found.group(1)


def later(seconds: float, work: Any) -> threading.Timer:
    timer = threading.Timer(seconds, work)
    timer.start()
    return timer


def test_a_page_that_is_behind_gets_the_news_at_once(writer: HandoffService, console: Any) -> None:
    openid, handoff_id = held(writer, console)
    page = console.get(f"/handoff/{handoff_id}")
    seen = seen_in(page.text)
    assert 'hx-trigger="load, every 5s" hx-sync="this:drop" hx-swap="outerHTML"' in page.text
    writer.record(openid, "请问需要带照片吗", NOW)
    began = time.monotonic()
    news = console.get(f"/handoff/{handoff_id}/log?seen={seen}", headers=HTMX)
    assert time.monotonic() - began < 0.5
    assert news.status_code == 200 and "请问需要带照片吗" in news.text
    assert seen_in(news.text) not in (seen, "")


def test_a_waiting_page_gets_a_new_line_well_under_a_second(
    writer: HandoffService, console: Any
) -> None:
    openid, handoff_id = held(writer, console)
    seen = seen_in(console.get(f"/handoff/{handoff_id}").text)
    typed = later(0.3, lambda: writer.record(openid, "我的电话是13812345678", NOW))
    began = time.monotonic()
    news = console.get(f"/handoff/{handoff_id}/log?seen={seen}", headers=HTMX)
    took = time.monotonic() - began
    typed.join()
    assert "138****5678" in news.text and "13812345678" not in news.text
    assert 0.3 <= took < 0.3 + 0.45, took
    again = seen_in(news.text)
    assert again != seen and f'hx-get="/handoff/{handoff_id}/log?seen={again}"' in news.text


def test_with_nothing_new_the_page_is_answered_after_the_long_poll(
    writer: HandoffService, console: Any
) -> None:
    _openid, handoff_id = held(writer, console)
    seen = seen_in(console.get(f"/handoff/{handoff_id}").text)
    began = time.monotonic()
    quiet = console.get(f"/handoff/{handoff_id}/log?seen={seen}", headers=HTMX)
    took = time.monotonic() - began
    assert quiet.status_code == 200 and seen_in(quiet.text) == seen
    assert LONG_POLL <= took < LONG_POLL + 0.5, took


def test_the_inbox_shows_a_new_citizen_while_it_waits(writer: HandoffService, console: Any) -> None:
    seen = seen_in(console.get("/handoff").text)
    openid = "oI" + uuid.uuid4().hex[:26]
    asks = later(0.2, lambda: writer.request(openid, NOW, "户口迁移要什么材料"))
    began = time.monotonic()
    news = console.get(f"/handoff/inbox?seen={seen}", headers=HTMX)
    took = time.monotonic() - began
    asks.join()
    assert "…" + openid[-4:] in news.text and "户口迁移要什么材料" in news.text
    assert took < 0.2 + 0.45, took
    assert seen_in(news.text) != seen and news.text.startswith('<div id="inbox"')


def test_an_ended_conversation_stops_the_asking(writer: HandoffService, console: Any) -> None:
    _openid, handoff_id = held(writer, console)
    seen = seen_in(console.get(f"/handoff/{handoff_id}").text)
    closed = later(0.2, lambda: writer.close(handoff_id, STAFF["window"], NOW))
    ended = console.get(f"/handoff/{handoff_id}/log?seen={seen}", headers=HTMX)
    closed.join()
    assert ended.status_code == handoff.STOP_POLLING and handoff.GONE in ended.text
    assert "hx-get" not in ended.text


def test_without_redis_the_page_still_follows(site: Site, make_client: Any) -> None:
    """Redis unreachable: the citizen's line is still written, and the page re-reads."""
    dead = "redis://127.0.0.1:1/0"
    writer = HandoffService(with_calendar(site), CIPHER, notifier=RedisLineNotifier(dead))
    people = HandoffService(site.engine, CIPHER, notifier=RedisLineNotifier(dead))
    console = make_client(pages=[handoff.page(people, long_poll=5.0)])
    console.token = signed_in(console, STAFF["window"])
    openid, handoff_id = held(writer, console)
    seen = seen_in(console.get(f"/handoff/{handoff_id}").text)
    typed = later(0.3, lambda: writer.record(openid, "还在吗", NOW))
    began = time.monotonic()
    news = console.get(f"/handoff/{handoff_id}/log?seen={seen}", headers=HTMX)
    typed.join()
    assert "还在吗" in news.text
    assert time.monotonic() - began < 0.3 + 0.5 + 0.4


def test_a_redis_page_is_woken_not_rereading(site: Site, make_client: Any, redis_url: str) -> None:
    """With Redis the page re-reads only on a notice (or every 5 s, or when its time is up): a
    line from a writer that publishes nothing waits for the end of the long poll, a line from
    one that publishes arrives at once."""
    prefix = f"test-live-{uuid.uuid4().hex[:8]}:"
    silent = HandoffService(with_calendar(site), CIPHER)  # Polling: publishes nothing
    loud = HandoffService(site.engine, CIPHER, notifier=RedisLineNotifier(REDIS_URL, prefix))
    people = HandoffService(site.engine, CIPHER, notifier=RedisLineNotifier(REDIS_URL, prefix))
    console = make_client(pages=[handoff.page(people, long_poll=1.5)])
    console.token = signed_in(console, STAFF["window"])
    openid, handoff_id = held(loud, console)
    seen = seen_in(console.get(f"/handoff/{handoff_id}").text)
    typed = later(0.2, lambda: silent.record(openid, "第一句", NOW))
    began = time.monotonic()
    unnoticed = console.get(f"/handoff/{handoff_id}/log?seen={seen}", headers=HTMX)
    typed.join()
    assert "第一句" in unnoticed.text and time.monotonic() - began >= 1.5  # read at the end
    seen = seen_in(unnoticed.text)
    typed = later(0.2, lambda: loud.record(openid, "第二句", NOW))
    began = time.monotonic()
    woken = console.get(f"/handoff/{handoff_id}/log?seen={seen}", headers=HTMX)
    typed.join()
    assert "第二句" in woken.text
    assert time.monotonic() - began < 0.2 + 0.3
