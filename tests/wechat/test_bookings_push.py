"""Booking reminders and disruption notices through the stand-in's API side: a 客服消息 inside
the citizen's 48-hour window, a template message outside it (the stand-in records which API
was used), kept for the citizen's next message when neither can reach them, given back when
WeChat cannot be reached, and never told twice; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.settings import load_wechat_settings
from banshi.bookings import book, due_reminders
from banshi.bookings.models import Booking
from banshi.calendar import HallDayKind, set_hall_day
from banshi.db import session_scope
from bot.wechat.api import standalone_api
from bot.wechat.bookings_push import (
    BookingPushConfig,
    BookingPusher,
    BookingPushResult,
    BookingTemplate,
    Kind,
    owed_messages,
)
from bot.wechat.config import WeChatSettings
from bot.wechat.storage import record_contact
from tests.banshi.bookings import conftest as bookings
from tests.banshi.bookings.conftest import CENTRE, CIPHER, CONFIG, ID_CARD_RENEWAL, NOW, person
from wechat_standin.server import BackgroundStandin

# The demo catalog and 2026's calendar once per module and database; booking rows emptied
# after each test (the booking tests' own fixtures).
synced, db = bookings.synced, bookings.db

CUSTOM, TEMPLATE = "message/custom/send", "message/template/send"
TOKEN_CALLS = ("stable_token", "token")
TUESDAY = date(2026, 12, 8)
EVENING = datetime(2026, 12, 7, 18, 30)  # the reminder round
NOW_UTC = datetime(2026, 12, 7, 10, 30)  # the window's clock (UTC) at EVENING, Beijing time
REMINDER = BookingTemplate("TPL_booking_reminder_01")
CHANGE = BookingTemplate("TPL_booking_change_01")


def wechat(standin: BackgroundStandin, engine: Engine) -> WeChatSettings:
    return load_wechat_settings(
        {"WECHAT_API_BASE_URL": standin.api_base, "DATABASE_URL": str(engine.url)}
    )


def booked(db: Engine, n: int, openid: str, start: str = "09:00", now: datetime = NOW) -> str:
    """A booking of 居民身份证换领 at the centre on Tuesday; its number."""
    confirmation = book(
        db,
        task_code=ID_CARD_RENEWAL,
        hall_code=CENTRE,
        day=TUESDAY,
        start=start,
        applicant=person(n),
        openid=openid,
        cipher=CIPHER,
        config=CONFIG,
        now=now,
    )
    return str(confirmation.booking.number)


def wrote(db: Engine, openid: str, hours_before: float) -> None:
    """The citizen's last message, ``hours_before`` the round (the window is kept in UTC)."""
    with session_scope(db) as session:
        record_contact(session, openid, NOW_UTC - timedelta(hours=hours_before))


def round_of(
    standin: BackgroundStandin,
    db: Engine,
    kind: Kind,
    config: BookingPushConfig | None = None,
    now: datetime = EVENING,
) -> BookingPushResult:
    async def go() -> BookingPushResult:
        async with standalone_api(wechat(standin, db)) as api:
            return await BookingPusher(db, config).push(api, kind, now, NOW_UTC)

    return asyncio.run(go())


def test_inside_the_window_a_reminder_goes_once_as_a_customer_service_message(
    db: Engine, standin: BackgroundStandin
) -> None:
    openid = "oRemindInside000000000000001"
    number = booked(db, 1, openid)
    wrote(db, openid, 47)
    result = round_of(standin, db, Kind.REMINDER, BookingPushConfig(reminder_template=REMINDER))
    assert (result.custom, result.template, result.kept, result.unreachable) == (1, 0, 0, None)
    [text] = standin.api.delivered(openid)
    assert text.startswith("温馨提醒：您预约了明天") and number in text and "F01窗口" in text
    assert standin.api.received(TEMPLATE) == []
    # reminded once: neither the next round nor the citizen's next message repeats it
    assert round_of(standin, db, Kind.REMINDER).sent == 0
    assert owed_messages(db, openid, EVENING + timedelta(minutes=5)) == []
    assert len(standin.api.received(CUSTOM, openid)) == 1


def test_outside_the_window_a_template_message_says_what_where_and_when(
    db: Engine, standin: BackgroundStandin
) -> None:
    openid = "oRemindOutside00000000000001"
    number = booked(db, 2, openid, start="14:30")
    wrote(db, openid, 60)  # two and a half days ago: a 客服消息 would be refused
    result = round_of(standin, db, Kind.REMINDER, BookingPushConfig(reminder_template=REMINDER))
    assert (result.custom, result.template) == (0, 1)
    assert standin.api.received(CUSTOM) == []
    [call] = standin.api.received(TEMPLATE, openid)
    assert call.errcode == 0 and call.body["template_id"] == REMINDER.template_id
    data = {key: value["value"] for key, value in call.body["data"].items()}
    assert data == {
        "thing1": "居民身份证换领",
        "time2": "2026年12月08日 14:30",
        "thing3": "示范市政务服务中心 F01窗口",
        "character_string4": number,
        "thing5": "请携带身份证件按时到场",
    }
    assert not call.escaped_unicode and all(len(v) <= 20 for k, v in data.items() if "thing" in k)


def test_without_a_route_the_reminder_waits_for_the_next_message_after_the_hour(
    db: Engine, standin: BackgroundStandin
) -> None:
    openid = "oRemindLater000000000000001"
    number = booked(db, 3, openid)
    late = booked(db, 4, openid + "x", now=datetime(2026, 12, 7, 18, 10))  # after the hour
    result = round_of(standin, db, Kind.REMINDER)  # never seen, no template configured
    assert (result.sent, result.kept) == (0, 2)
    assert standin.api.received() == []  # nothing to send: not even a token was fetched
    assert owed_messages(db, openid, datetime(2026, 12, 7, 17, 0)) == []  # before the hour
    [told] = owed_messages(db, openid, datetime(2026, 12, 7, 19, 0))
    assert "明天" in told and number in told
    assert owed_messages(db, openid, datetime(2026, 12, 7, 19, 5)) == []  # once
    # a booking made after the reminder hour was just confirmed in full: no reminder
    assert owed_messages(db, openid + "x", datetime(2026, 12, 7, 19, 0)) == []
    assert late.startswith("YY")


def test_a_refused_customer_service_message_falls_back_to_the_template_or_waits(
    db: Engine, standin: BackgroundStandin
) -> None:
    inside, other = "oRemindRefused00000000000001", "oRemindRefused00000000000002"
    booked(db, 5, inside)
    booked(db, 6, other, start="10:00")
    wrote(db, inside, 1)
    wrote(db, other, 1)
    standin.api.fail(CUSTOM, 45047, 45015)  # over the quota; the window closed after all
    config = BookingPushConfig(reminder_template=REMINDER)
    with_template = round_of(standin, db, Kind.REMINDER, config)
    assert (with_template.custom, with_template.template, with_template.kept) == (0, 2, 0)
    with session_scope(db) as session:  # all claimed: a later round has nothing to send
        assert due_reminders(session, NOW.date(), EVENING) == []


def test_refused_without_a_template_is_kept_and_unreachable_is_given_back(
    db: Engine, standin: BackgroundStandin
) -> None:
    openid = "oRemindGiveBack0000000000001"
    number = booked(db, 7, openid)
    wrote(db, openid, 1)
    standin.api.fail("stable_token", 40013)  # the app id is wrong: WeChat cannot be reached
    failed = round_of(standin, db, Kind.REMINDER)
    assert failed.unreachable and "40013" in failed.unreachable and failed.sent == 0
    assert standin.api.received(CUSTOM) == []
    standin.api.fail(CUSTOM, 45015)
    kept = round_of(standin, db, Kind.REMINDER)  # given back: the next round claims it
    assert (kept.sent, kept.kept, kept.unreachable) == (0, 1, None)
    assert [number in t for t in owed_messages(db, openid, EVENING)] == [True]


def test_a_closed_hall_tells_each_holder_once(db: Engine, standin: BackgroundStandin) -> None:
    inside, outside = "oDisruptInside00000000000001", "oDisruptOutside0000000000001"
    near = booked(db, 8, inside)
    far = booked(db, 9, outside, start="10:00")
    wrote(db, inside, 2)
    with session_scope(db) as session:
        set_hall_day(session, CENTRE, TUESDAY, HallDayKind.CLOSED, note="停电检修", now=NOW)
    result = round_of(standin, db, Kind.DISRUPTION, now=NOW)
    assert (result.custom, result.template, result.kept) == (1, 0, 1)
    [text] = standin.api.delivered(inside)
    assert near in text and "大厅当天不开放" in text
    # kept for the other citizen: no round claims it again, their next message carries it
    again = round_of(standin, db, Kind.DISRUPTION, BookingPushConfig(disruption_template=CHANGE))
    assert again.sent == 0 and standin.api.received(TEMPLATE) == []
    [told] = owed_messages(db, outside, NOW)
    assert far in told and "大厅当天不开放" in told
    assert owed_messages(db, outside, NOW) == [] and owed_messages(db, inside, NOW) == []
    with session_scope(db) as session:
        told_at = session.execute(
            select(Booking.number, Booking.change_told_at.is_not(None)).where(
                Booking.number.in_([near, far])
            )
        ).all()
    assert sorted(told_at) == sorted([(near, True), (far, True)])


def test_push_now_without_anything_owed_calls_nobody(
    db: Engine, standin: BackgroundStandin
) -> None:
    result = BookingPusher(db).push_now(wechat(standin, db), Kind.DISRUPTION)
    assert result == BookingPushResult()
    assert standin.api.received() == []
