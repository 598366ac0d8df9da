"""The 48-hour 客服消息 window: which pushes open it, and how often a citizen's row is written."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from wechatpy import parse_message

from banshi.db import make_engine, migrate, session_scope
from bot.wechat.storage import forget_citizen, last_seen, record_contact
from bot.wechat.window import WindowTracker, opens_window
from tests.wechat.conftest import run
from wechat_standin.driver import event_xml, text_xml

WHO = "oChWindow".ljust(28, "0")


def test_which_pushes_open_the_window() -> None:
    for kind in ("text", "voice", "image", "video", "shortvideo", "location", "link", "file"):
        assert opens_window(kind), kind
    for event in ("subscribe", "SCAN", "CLICK", "scancode_push", "scancode_waitmsg"):
        assert opens_window("event", event), event
    for event in ("VIEW", "LOCATION", "unsubscribe", "TEMPLATESENDJOBFINISH", "location_select"):
        assert not opens_window("event", event), event
    assert not opens_window("event")


def contact(engine: Engine, openid: str = WHO) -> datetime | None:
    with session_scope(engine) as session:
        return last_seen(session, openid)


def set_seen(engine: Engine, when: datetime) -> None:
    with session_scope(engine) as session:
        record_contact(session, WHO, when)


def test_a_citizen_is_written_at_most_every_few_minutes(engine: Engine) -> None:
    clock = [1000.0]
    tracker = WindowTracker(engine, every=300, clock=lambda: clock[0])
    message = parse_message(text_xml(WHO, "你好"))
    long_ago = datetime(2026, 1, 1)

    async def see(after: float) -> datetime | None:
        clock[0] += after
        tracker.seen(message)
        await tracker.drain()
        return contact(engine)

    first = run(see(0))
    assert first is not None and first >= datetime.utcnow() - timedelta(minutes=1)
    set_seen(engine, long_ago)
    assert run(see(299)) == long_ago  # written 299 s ago: not again
    later = run(see(2))
    assert later is not None and later >= first

    run(see(600))
    with session_scope(engine) as session:
        assert forget_citizen(session, WHO) == 1  # unsubscribe forgets the window
    assert contact(engine) is None


def test_events_that_do_not_open_it_write_nothing(engine: Engine) -> None:
    tracker = WindowTracker(engine, every=0)

    async def see(xml: str) -> None:
        tracker.seen(parse_message(xml))
        await tracker.drain()

    run(see(event_xml(WHO, "VIEW", key="https://banshi.example.gov.cn/")))
    run(see(event_xml(WHO, "unsubscribe", key="")))
    assert contact(engine) is None
    run(see(event_xml(WHO, "CLICK", key="ask_hours")))
    assert contact(engine) is not None


def test_a_failed_write_breaks_nothing_and_is_tried_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'no-schema-yet.db'}")
    tracker = WindowTracker(engine, every=300, clock=lambda: 1000.0)
    message = parse_message(text_xml(WHO, "你好"))

    async def see() -> None:
        tracker.seen(message)  # never raises: the write fails in the background
        await tracker.drain()

    run(see())  # no table yet
    migrate(engine)
    assert contact(engine) is None
    run(see())  # same moment: the failed write did not count
    assert contact(engine) is not None
    engine.dispose()
