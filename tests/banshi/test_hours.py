"""Opening hours against the statutory calendar, 调休 included (2026: 国办发明电 notice)."""

from __future__ import annotations

from datetime import date

import pytest

from banshi.hours import CalendarUnknown, day_kind, periods_on, today_text, weekly_hours_text
from banshi.models import Hall

WEEK = {
    "mon": [["09:00", "12:00"], ["13:30", "17:00"]],
    "tue": [["09:00", "12:00"], ["13:30", "17:00"]],
    "wed": [["09:00", "12:00"], ["13:30", "17:00"]],
    "thu": [["09:00", "12:00"], ["13:30", "17:00"]],
    "fri": [["09:00", "12:00"], ["13:30", "17:00"]],
    "sat": [["09:00", "12:00"]],
    "sun": [],
}


def hall(rule: str = "closed") -> Hall:
    return Hall(name="测试大厅", weekly_hours=WEEK, holiday_rule=rule)


def test_day_kinds_follow_the_2026_notice() -> None:
    assert day_kind(date(2026, 11, 26)) == "workday"
    assert day_kind(date(2026, 10, 1)) == "holiday"  # 国庆节
    assert day_kind(date(2026, 10, 10)) == "makeup"  # Saturday worked for 国庆
    assert day_kind(date(2026, 11, 29)) == "weekend"


def test_hall_hours_on_holidays_and_makeup_days() -> None:
    assert periods_on(hall(), date(2026, 10, 1)) == []
    assert periods_on(hall("open"), date(2026, 10, 1)) == WEEK["thu"]
    assert periods_on(hall(), date(2026, 10, 10)) == WEEK["mon"]  # 调休 Saturday: full day
    assert periods_on(hall(), date(2026, 11, 28)) == WEEK["sat"]


def test_unknown_year_is_unknown_not_monday_to_friday() -> None:
    with pytest.raises(CalendarUnknown):
        day_kind(date(2031, 3, 3))
    assert "尚未公布" in today_text(hall(), date(2031, 3, 3))


def test_weekly_hours_text_groups_equal_days() -> None:
    text = weekly_hours_text(hall())
    assert text.startswith("周一至周五 09:00-12:00、13:30-17:00；周六 09:00-12:00；周日 休息")
    assert "法定节假日休息" in text
    assert "法定节假日，大厅不开放" in today_text(hall(), date(2026, 10, 1))
