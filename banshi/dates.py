"""Dates and times in a citizen's words: 明天, 下周一, 周五下午, 12月10号, 12.10, 2027年1月5日.

DIET is weak at Chinese dates (NOTES.md), so they are read here, deterministically, against a
given ``today``. A week runs Monday to Sunday: on Monday 12-07 "这周六" is 12-12 and "下周一"
12-14. A bare weekday ("周五") is the next one to come (today included); a date without a year
is the next one to come; "1号" alone is this month's when it is still ahead, else next month's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import Enum

from banshi.choices import CN_DIGITS as _CN_DIGIT


class HalfDay(Enum):
    MORNING = "上午"
    AFTERNOON = "下午"


@dataclass(frozen=True)
class DateSpec:
    """A day the citizen named, with the half-day or time they gave, if any."""

    day: date
    half: HalfDay | None = None
    at: time | None = None


_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]{1,3}(?=[月日号点时])")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_FULL = str.maketrans("０１２３４５６７８９：．／－", "0123456789:./-")

_YMD = re.compile(r"(20\d\d)\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*[日号]?")
_MD = re.compile(r"(?<![\d:])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_MD_DOTS = re.compile(r"(?<![\d.:/])(\d{1,2})[./](\d{1,2})(?![\d.:/]|\s*[点时])")
_DAY_ONLY = re.compile(r"(下个?月)?\s*(?<![\d:.])(\d{1,2})\s*[号日](?!\d)")
_RELATIVE = (("大后天", 3), ("后天", 2), ("明天", 1), ("明日", 1), ("今天", 0), ("今日", 0))
_WEEK = re.compile(r"(下下个?|下个?|这个?|本)?\s*(?:周|星期|礼拜)([一二三四五六日天七1-7])")
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})\s*[:：]\s*(\d{2})(?!\d)")
_HOUR = re.compile(r"(?<![\d.])(\d{1,2})\s*[点时](?:\s*(半|一刻|\d{1,2})\s*分?)?")
_MORNING = re.compile(r"上午|早上|早晨|上半天|一早")
_AFTERNOON = re.compile(r"下午|午后|下半天|傍晚")


def _cn_number(text: str) -> int:
    """十二 → 12, 二十一 → 21, 三十 → 30, 五 → 5."""
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGIT[ch]
        return value
    tens, _, ones = text.partition("十")
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


_A_LITTLE = re.compile(r"(?<=[约看查问办帮])一下")  # 约一下周六: the verb's 一下, not 下周六


def _normalize(text: str) -> str:
    text = _A_LITTLE.sub(" ", text.translate(_FULL))
    return _CN_NUMBER.sub(lambda m: str(_cn_number(m.group(0))), text)


def _real(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _ahead(today: date, month: int, day: int) -> date | None:
    """The next ``month``-``day`` from ``today`` on (this year, else next year)."""
    this = _real(today.year, month, day)
    if this is not None and this >= today:
        return this
    return _real(today.year + 1, month, day) or this


def _next_month(today: date, day: int) -> date | None:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return _real(year, month, day)


def _weekday(today: date, prefix: str, weekday: int) -> date:
    monday = today - timedelta(days=today.weekday())
    if prefix.startswith("下下"):
        return monday + timedelta(days=14 + weekday)
    if prefix.startswith("下"):
        return monday + timedelta(days=7 + weekday)
    if prefix:  # 这周 / 本周: this week's, even when already past
        return monday + timedelta(days=weekday)
    day = monday + timedelta(days=weekday)
    return day if day >= today else day + timedelta(days=7)


def _find_day(text: str, today: date) -> date | None:
    match = _YMD.search(text)
    if match:
        return _real(*(int(g) for g in match.groups()))
    match = _MD.search(text)
    if match:
        return _ahead(today, int(match.group(1)), int(match.group(2)))
    for word, offset in _RELATIVE:
        if word in text:
            return today + timedelta(days=offset)
    match = _WEEK.search(text)
    if match:
        token = match.group(2)
        weekday = int(token) - 1 if token.isdigit() else _WEEKDAYS[token]
        return _weekday(today, match.group(1) or "", weekday)
    match = _MD_DOTS.search(text)
    if match:
        return _ahead(today, int(match.group(1)), int(match.group(2)))
    match = _DAY_ONLY.search(text)
    if match:
        day = int(match.group(2))
        if match.group(1):
            return _next_month(today, day)
        this = _real(today.year, today.month, day)
        return this if this is not None and this >= today else _next_month(today, day)
    return None


def parse_time_words(text: str) -> tuple[HalfDay | None, time | None]:
    """The half-day and time in ``text``: 下午3点 → (下午, 15:00), 10:30 → (上午, 10:30).

    An hour from 1 to 7 without 上午 is taken as the afternoon: halls open from about 8:30,
    and people say 三点 for 15:00.
    """
    text = _normalize(text)
    half = (
        HalfDay.AFTERNOON
        if _AFTERNOON.search(text)
        else HalfDay.MORNING
        if _MORNING.search(text)
        else None
    )
    at: time | None = None
    match = _CLOCK.search(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
    else:
        match = _HOUR.search(text)
        hour, minute = (int(match.group(1)), 0) if match else (-1, 0)
        if match and match.group(2):
            extra = match.group(2)
            minute = 30 if extra == "半" else 15 if extra == "一刻" else int(extra)
    if match:
        if half is HalfDay.AFTERNOON and hour < 12 or half is None and 1 <= hour <= 7:
            hour += 12
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            at = time(hour, minute)
            half = half or (HalfDay.MORNING if hour < 12 else HalfDay.AFTERNOON)
    return half, at


def parse_date_words(text: str, today: date) -> DateSpec | None:
    """The day (and half-day or time) named in ``text``, or None when it names no day."""
    normalized = _normalize(text)
    day = _find_day(normalized, today)
    if day is None:
        return None
    # Times are read from what is left once the date is taken out ("12.10 上午" is not 12:10).
    rest = _YMD.sub(" ", normalized)
    rest = _MD.sub(" ", rest)
    rest = _MD_DOTS.sub(" ", rest)
    rest = _DAY_ONLY.sub(" ", rest)
    half, at = parse_time_words(rest)
    return DateSpec(day, half, at)
