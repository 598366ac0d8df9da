"""Hall opening hours against the statutory holiday calendar (with 调休 make-up working days).

``chinesecalendar`` carries the State Council's yearly notices; a year it does not cover is
*unknown*, never assumed to be plain Monday–Friday (NOTES.md).
"""

from __future__ import annotations

from datetime import date

import chinese_calendar

from banshi.models import Hall

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class CalendarUnknown(LookupError):
    """The holiday calendar for this year has not been published into the system yet."""


def day_kind(day: date) -> str:
    """``workday`` / ``makeup`` (调休上班的周末) / ``holiday`` (法定节假日) / ``weekend``."""
    try:
        holiday = chinese_calendar.is_holiday(day)
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError as exc:
        raise CalendarUnknown(f"{day.year} 年的节假日安排尚未录入") from exc
    if not holiday:
        return "makeup" if day.weekday() >= 5 else "workday"
    return "holiday" if name else "weekend"


def periods_on(hall: Hall, day: date) -> list[list[str]]:
    """The hall's opening periods on ``day``: closed on statutory holidays when its rule says
    so; on a 调休 make-up working day it keeps the hours of a working day (Monday's)."""
    kind = day_kind(day)
    hours = hall.weekly_hours or {}
    if kind == "holiday" and hall.holiday_rule == "closed":
        return []
    if kind == "makeup":
        return list(hours.get("mon") or [])
    return list(hours.get(WEEKDAY_KEYS[day.weekday()]) or [])


def _periods_text(periods: list[list[str]]) -> str:
    return "、".join(f"{start}-{end}" for start, end in periods) if periods else "休息"


def weekly_hours_text(hall: Hall) -> str:
    """周一至周五 09:00-12:00、13:30-17:00；周六 09:00-12:00；周日 休息 — equal days grouped."""
    hours = hall.weekly_hours or {}
    groups: list[tuple[int, int, str]] = []
    for i, key in enumerate(WEEKDAY_KEYS):
        text = _periods_text(hours.get(key) or [])
        if groups and groups[-1][2] == text:
            groups[-1] = (groups[-1][0], i, text)
        else:
            groups.append((i, i, text))
    parts = []
    for start, end, text in groups:
        days = (
            WEEKDAY_NAMES[start]
            if start == end
            else f"{WEEKDAY_NAMES[start]}至{WEEKDAY_NAMES[end]}"
        )
        parts.append(f"{days} {text}")
    rule = (
        "法定节假日休息，调休上班日照常办公"
        if hall.holiday_rule == "closed"
        else "法定节假日照常开放"
    )
    return "；".join(parts) + f"（{rule}）"


def today_text(hall: Hall, today: date) -> str:
    """A line about today, e.g. 今天（11月26日 周四）开放 09:00-12:00、13:30-17:00。"""
    label = f"今天（{today.month}月{today.day}日 {WEEKDAY_NAMES[today.weekday()]}）"
    try:
        periods = periods_on(hall, today)
        kind = day_kind(today)
    except CalendarUnknown:
        return f"{label}的节假日安排尚未公布，请以大厅通知为准。"
    if not periods:
        reason = "法定节假日" if kind == "holiday" else "休息日"
        return f"{label}是{reason}，大厅不开放。"
    note = "（调休上班）" if kind == "makeup" else ""
    return f"{label}{note}开放 {_periods_text(periods)}。"
