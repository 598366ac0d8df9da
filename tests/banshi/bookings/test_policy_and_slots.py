"""Policies with their sources, and slots: the lunch break, Saturday, holidays, 调休, reasons."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.bookings import NoSlots, SlotBoard, Source, clear_override, policy_for, set_override
from banshi.bookings.cli import slots_json
from banshi.bookings.rules import DayScope, NoShowRule, Span, SpanUnit
from banshi.bookings.slots import halls_for, spread
from banshi.calendar import HallDayKind, clear_hall_day, set_hall_day
from banshi.catalog import get_item
from banshi.db import session_scope
from banshi.models import Hall, Item
from tests.banshi.bookings.conftest import (
    CENTRE,
    COMMUNITY,
    CONFIG,
    DRIVING_LICENCE,
    ID_CARD_RENEWAL,
    MARRIAGE,
    NOW,
    RESIDENCE_PERMIT,
)

LOAN = "12139900MB1A00050T3002031003000"  # 住房公积金个人住房贷款申请: 30 组 a day
REGISTRATION = "11139900MB1A00060M3000124001001"  # 个体工商户设立登记: 上午、下午, no-show rule
TEACHER = "11139900MB1A00090W3000106005000"  # 教师资格认定: only in 认定批次
LOSS_REPORT = "11139900MB1A00010P3002011002000"  # 居民身份证挂失申报: IS_SCHEDULE 0


def _item(session: Session, code: str) -> Item:
    item = get_item(session, code)
    assert item is not None
    return item


def _hall(session: Session, item: Item) -> Hall:
    return halls_for(session, item)[0][0]


def test_each_value_says_where_it_comes_from(db: Engine) -> None:
    with session_scope(db) as session:
        renewal = policy_for(session, _item(session, ID_CARD_RENEWAL), CENTRE, CONFIG)
        assert renewal.bookable.value and renewal.bookable.source is Source.CATALOG_FIELD
        assert (renewal.daily_quota.value, renewal.daily_quota.basis) == (60, "SCHEDULE_NUM=60")
        assert renewal.horizon.value == Span(7, SpanUnit.WORKING_DAYS)
        assert renewal.horizon.source is Source.RULE_TEXT
        assert renewal.horizon.basis == "未来7个工作日内"
        assert renewal.late_minutes.value == 30 and renewal.arrive_before_minutes.value == 10
        assert renewal.lead.source is Source.DEFAULT and renewal.lead.value == Span(
            1, SpanUnit.DAYS
        )
        assert renewal.slot_minutes.source is Source.DEFAULT

        registration = policy_for(session, _item(session, REGISTRATION), CENTRE, CONFIG)
        assert registration.half_days and registration.no_show.value == NoShowRule(3, 30, 30)
        assert "暂停天数按默认30天" in registration.no_show.basis

        permit = policy_for(session, _item(session, RESIDENCE_PERMIT), COMMUNITY, CONFIG)
        assert permit.weekend_share.value == 0.5 and permit.weekend_share.source is Source.RULE_TEXT

        loan = policy_for(session, _item(session, LOAN), CENTRE, CONFIG)
        # SCHEDULE_NUM and the rule's 每日限约30组 agree: the field is the source
        assert (loan.daily_quota.value, loan.daily_quota.basis) == (30, "SCHEDULE_NUM=30")
        assert policy_for(session, _item(session, MARRIAGE), CENTRE, CONFIG).parties.value == 2
        public = policy_for(
            session, _item(session, "11139900MB1A00130Y3000514001000"), CENTRE, CONFIG
        )
        assert public.day_scope.value is DayScope.WORKING_DAYS and public.late_minutes.value == 0

        teacher = policy_for(session, _item(session, TEACHER), CENTRE, CONFIG)
        assert not teacher.bookable.value and teacher.bookable.source is Source.RULE_TEXT
        loss = policy_for(session, _item(session, LOSS_REPORT), CENTRE, CONFIG)
        assert not loss.bookable.value and loss.bookable.basis == "IS_SCHEDULE=0"

        as_json = renewal.as_json()
        assert as_json["horizon"] == {
            "value": {"n": 7, "unit": "working_days"},
            "source": "rule_text",
            "basis": "未来7个工作日内",
        }


def test_staff_overrides_win_per_item_and_per_hall(db: Engine) -> None:
    with session_scope(db) as session:
        item = _item(session, ID_CARD_RENEWAL)
        set_override(
            session,
            ID_CARD_RENEWAL,
            "daily_quota",
            30,
            note="窗口人手不足",
            set_by="王科长",
            now=NOW,
        )
        set_override(session, ID_CARD_RENEWAL, "daily_quota", 12, hall_code=CENTRE, now=NOW)
        set_override(session, TEACHER, "bookable", True, note="2026年下半年认定批次", now=NOW)
        with pytest.raises(ValueError, match="daily_quota"):
            set_override(session, ID_CARD_RENEWAL, "daily_quota", 0)
        with pytest.raises(ValueError, match="没有名为"):
            set_override(session, ID_CARD_RENEWAL, "colour", "red")
    with session_scope(db) as session:
        item = _item(session, ID_CARD_RENEWAL)
        everywhere = policy_for(session, item, None, CONFIG).daily_quota
        assert (everywhere.value, everywhere.source) == (30, Source.STAFF_OVERRIDE)
        assert everywhere.basis == "王科长 2026-12-07：窗口人手不足"
        assert policy_for(session, item, CENTRE, CONFIG).daily_quota.value == 12
        assert policy_for(session, _item(session, TEACHER), CENTRE, CONFIG).bookable.value
        assert clear_override(session, ID_CARD_RENEWAL, "daily_quota", hall_code=CENTRE)
        assert policy_for(session, item, CENTRE, CONFIG).daily_quota.value == 30


def test_the_daily_quota_spreads_exactly_over_the_slots() -> None:
    assert spread(60, [60] * 6 + [30]) == [10, 9, 9, 9, 9, 9, 5]
    assert spread(10, [180, 210]) == [5, 5]
    assert spread(7, [60, 60, 60]) == [3, 2, 2]
    assert sum(spread(97, [60, 60, 30, 45, 60])) == 97
    assert spread(0, [60]) == [0]


def test_a_weekday_has_no_slot_in_the_lunch_break(db: Engine) -> None:
    with session_scope(db) as session:
        item = _item(session, ID_CARD_RENEWAL)
        board = SlotBoard(session, CONFIG)
        day = board.day(item, _hall(session, item), date(2026, 12, 8), NOW)
        assert day.reason is None
        assert [s.text() for s in day.slots] == [
            "09:00-10:00", "10:00-11:00", "11:00-12:00",
            "13:30-14:30", "14:30-15:30", "15:30-16:30", "16:30-17:00",
        ]  # fmt: skip
        assert [s.capacity for s in day.slots] == [10, 9, 9, 9, 9, 9, 5]
        assert not [s for s in day.slots if time(12, 0) <= s.start < time(13, 30)]


def test_saturday_morning_gets_its_share_and_sunday_is_closed(db: Engine) -> None:
    with session_scope(db) as session:
        item = _item(session, ID_CARD_RENEWAL)
        board = SlotBoard(session, CONFIG)
        hall = _hall(session, item)
        saturday = board.day(item, hall, date(2026, 12, 12), NOW)
        assert [s.text() for s in saturday.slots] == ["09:00-10:00", "10:00-11:00", "11:00-12:00"]
        assert sum(s.capacity for s in saturday.slots) == 60 * 180 // 390
        assert board.day(item, hall, date(2026, 12, 13), NOW).reason is NoSlots.WEEKEND
        # 周六、周日预约名额有限: the community centre opens every day, weekends at half quota
        permit = _item(session, RESIDENCE_PERMIT)
        community = _hall(session, permit)
        weekday = board.day(permit, community, date(2026, 12, 8), NOW)
        sunday = board.day(permit, community, date(2026, 12, 13), NOW)
        assert sum(s.capacity for s in weekday.slots) == 30
        assert sum(s.capacity for s in sunday.slots) == 15


def test_holidays_makeup_days_and_the_booking_window(db: Engine) -> None:
    with session_scope(db) as session:
        item = _item(session, ID_CARD_RENEWAL)
        board = SlotBoard(session, CONFIG)
        hall = _hall(session, item)
        before_national_day = datetime(2026, 9, 28, 9, 0)
        assert (
            board.day(item, hall, date(2026, 10, 1), before_national_day).reason is NoSlots.HOLIDAY
        )
        # 2026-09-20 is a Sunday worked as a 调休 day: working-day hours
        makeup = board.day(item, hall, date(2026, 9, 20), datetime(2026, 9, 16, 9, 0))
        assert makeup.reason is None and len(makeup.slots) == 7
        assert board.day(item, hall, date(2026, 12, 7), NOW).reason is NoSlots.BEFORE_LEAD_TIME
        assert board.day(item, hall, date(2026, 12, 4), NOW).reason is NoSlots.PAST
        # 7 working days from Monday 12-07: up to Wednesday 12-16
        assert board.day(item, hall, date(2026, 12, 16), NOW).reason is None
        assert board.day(item, hall, date(2026, 12, 17), NOW).reason is NoSlots.BEYOND_HORIZON
        late_december = datetime(2026, 12, 28, 9, 0)
        assert board.day(item, hall, date(2027, 1, 4), late_december).reason is NoSlots.UNKNOWN_YEAR
        teacher = _item(session, TEACHER)
        assert board.day(teacher, hall, date(2026, 12, 8), NOW).reason is NoSlots.NOT_BOOKABLE


def test_hall_exceptions_close_open_and_change_a_day(db: Engine) -> None:
    with session_scope(db) as session:
        set_hall_day(
            session, CENTRE, date(2026, 12, 9), HallDayKind.CLOSED, note="系统升级", now=NOW
        )
        set_hall_day(session, CENTRE, date(2026, 12, 13), HallDayKind.OPEN, now=NOW)
        set_hall_day(
            session, CENTRE, date(2026, 12, 10), HallDayKind.HOURS, [["09:00", "11:00"]], now=NOW
        )
        with pytest.raises(ValueError, match="办公时段"):
            set_hall_day(session, CENTRE, date(2026, 12, 11), HallDayKind.HOURS, [])
    with session_scope(db) as session:
        item = _item(session, ID_CARD_RENEWAL)
        board = SlotBoard(session, CONFIG)
        hall = _hall(session, item)
        closed = board.day(item, hall, date(2026, 12, 9), NOW)
        assert (
            closed.reason is NoSlots.CLOSED and closed.opening and closed.opening.note == "系统升级"
        )
        sunday = board.day(item, hall, date(2026, 12, 13), NOW)
        assert sunday.reason is None and len(sunday.slots) == 7
        assert clear_hall_day(session, CENTRE, date(2026, 12, 13))
        assert not clear_hall_day(session, CENTRE, date(2026, 12, 13))
    with session_scope(db) as session:
        item = _item(session, ID_CARD_RENEWAL)
        board = SlotBoard(session, CONFIG)
        hall = _hall(session, item)
        assert board.day(item, hall, date(2026, 12, 13), NOW).reason is NoSlots.WEEKEND
        short = board.day(item, hall, date(2026, 12, 10), NOW)
        assert [s.text() for s in short.slots] == ["09:00-10:00", "10:00-11:00"]
        assert sum(s.capacity for s in short.slots) == 60 * 120 // 390


def test_half_day_slots_and_the_nearest_days(db: Engine) -> None:
    with session_scope(db) as session:
        item = _item(session, REGISTRATION)
        board = SlotBoard(session, CONFIG)
        hall = _hall(session, item)
        day = board.day(item, hall, date(2026, 12, 8), NOW)
        assert [(s.text(), s.capacity) for s in day.slots] == [
            ("09:00-12:00", 28),
            ("13:30-17:00", 32),
        ]
        # 提前1至5个工作日: from Monday, Tuesday 12-08 … Monday 12-14; Saturday is in between
        assert board.day(item, hall, date(2026, 12, 15), NOW).reason is NoSlots.BEYOND_HORIZON
        nearest = board.nearest(item, hall, date(2026, 12, 20), NOW)
        assert [d.day for d in nearest] == [
            date(2026, 12, 11),
            date(2026, 12, 12),
            date(2026, 12, 14),
        ]


def test_slots_json_for_the_cli(db: Engine) -> None:
    with session_scope(db) as session:
        out = slots_json(session, DRIVING_LICENCE, date(2026, 12, 8), now=NOW)
        assert out["hall"] == "H139900003" and out["reason"] is None
        assert out["slots"][0] == {
            "start": "09:00",
            "end": "10:00",
            "capacity": 8,
            "booked": 0,
            "left": 8,
        }
        assert sum(s["capacity"] for s in out["slots"]) == 60
        full_day = slots_json(session, DRIVING_LICENCE, date(2026, 12, 13), now=NOW)
        assert full_day["reason"] == "weekend" and full_day["slots"] == []
        assert "休息日" in full_day["reason_text"] and full_day["nearest"]
        with pytest.raises(LookupError, match="不办理"):
            slots_json(session, DRIVING_LICENCE, date(2026, 12, 8), CENTRE, now=NOW)
