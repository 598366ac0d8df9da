"""Dates in a citizen's words, against a fixed today: Monday 2026-12-07."""

from __future__ import annotations

from datetime import date, time

import pytest

from banshi.dates import DateSpec, HalfDay, parse_date_words, parse_time_words

TODAY = date(2026, 12, 7)  # a Monday
AM, PM = HalfDay.MORNING, HalfDay.AFTERNOON

TABLE: list[tuple[str, DateSpec | None]] = [
    ("今天", DateSpec(date(2026, 12, 7))),
    ("明天", DateSpec(date(2026, 12, 8))),
    ("后天", DateSpec(date(2026, 12, 9))),
    ("大后天", DateSpec(date(2026, 12, 10))),
    ("下周一", DateSpec(date(2026, 12, 14))),
    ("这周六", DateSpec(date(2026, 12, 12))),
    ("本周五", DateSpec(date(2026, 12, 11))),
    ("周五下午", DateSpec(date(2026, 12, 11), PM)),
    ("下下周二", DateSpec(date(2026, 12, 22))),
    ("12月10号", DateSpec(date(2026, 12, 10))),
    ("12.10", DateSpec(date(2026, 12, 10))),
    ("12/10", DateSpec(date(2026, 12, 10))),
    ("12月10日上午", DateSpec(date(2026, 12, 10), AM)),
    ("2027年1月5日", DateSpec(date(2027, 1, 5))),
    ("1号", DateSpec(date(2027, 1, 1))),  # the 1st has passed this month: next month's
    ("30号", DateSpec(date(2026, 12, 30))),  # still ahead this month
    ("明天下午3点", DateSpec(date(2026, 12, 8), PM, time(15, 0))),
    ("明天10:30", DateSpec(date(2026, 12, 8), AM, time(10, 30))),
    ("明天三点半", DateSpec(date(2026, 12, 8), PM, time(15, 30))),
    ("下周一上午九点", DateSpec(date(2026, 12, 14), AM, time(9, 0))),
    ("12.10上午10点", DateSpec(date(2026, 12, 10), AM, time(10, 0))),
    ("改到下周四上午", DateSpec(date(2026, 12, 17), AM)),
    ("约一下周六上午的结婚登记", DateSpec(date(2026, 12, 12), AM)),  # 约一下 is not 下周
    ("十二月十日", DateSpec(date(2026, 12, 10))),
    ("下个月5号", DateSpec(date(2027, 1, 5))),
    ("1月5日", DateSpec(date(2027, 1, 5))),  # a date already past this year: next year's
    ("星期天", DateSpec(date(2026, 12, 13))),
    ("礼拜三", DateSpec(date(2026, 12, 9))),
    ("2026-12-25", DateSpec(date(2026, 12, 25))),
    ("2月30日", None),
    ("随便哪天都行", None),
    ("下午3点", None),  # a time but no day
]


@pytest.mark.parametrize(("words", "expected"), TABLE, ids=[w for w, _ in TABLE])
def test_date_words(words: str, expected: DateSpec | None) -> None:
    assert parse_date_words(words, TODAY) == expected


def test_time_words_alone() -> None:
    assert parse_time_words("下午3点") == (PM, time(15, 0))
    assert parse_time_words("10:30") == (AM, time(10, 30))
    assert parse_time_words("上午") == (AM, None)
    assert parse_time_words("3点一刻") == (PM, time(15, 15))
    assert parse_time_words("第二个") == (None, None)
