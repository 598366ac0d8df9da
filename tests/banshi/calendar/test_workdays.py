"""The working calendar: 2026 holidays and 调休 from chinesecalendar, 2027 unknown until loaded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from banshi.calendar import (
    CalendarFileError,
    DayKind,
    UnknownYear,
    WorkCalendar,
    calendar_status,
    load_calendar_file,
    seed_from_chinesecalendar,
)
from banshi.db import session_scope

NOTICE_2027 = """\
# 2027年部分节假日安排（测试用）
year: 2027
source: 国办发明电〔2026〕12号
holidays:
  - name: 元旦
    days: 2027-01-01..2027-01-03
  - name: 春节
    days: 2027-02-06 至 2027-02-13
  - 2027-04-05
makeup_workdays:
  - 2027-02-20
"""


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        assert seed_from_chinesecalendar(session, [2025, 2026]) == 2
    return engine


def test_2026_holidays_and_makeup_workdays(seeded: Engine) -> None:
    with session_scope(seeded) as session:
        cal = WorkCalendar(session)
        assert cal.covered_years() == [2025, 2026]
        assert cal.kind(date(2026, 10, 1)) is DayKind.HOLIDAY  # 国庆节
        assert cal.kind(date(2026, 10, 3)) is DayKind.HOLIDAY  # a Saturday inside the break
        assert cal.kind(date(2026, 2, 14)) is DayKind.MAKEUP_WORKDAY  # 周六调休上班
        assert cal.kind(date(2026, 9, 20)) is DayKind.MAKEUP_WORKDAY  # 周日调休上班
        assert cal.kind(date(2026, 12, 7)) is DayKind.WORKDAY
        assert cal.kind(date(2026, 12, 12)) is DayKind.REST_DAY
        assert cal.is_working_day(date(2026, 2, 14))
        assert not cal.is_working_day(date(2026, 2, 16))
        # 行政许可法 第八十二条: the 5th working day after 9-30 skips 国庆 and counts 10-10.
        assert cal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
        assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
        assert cal.add_working_days(date(2026, 12, 7), 0) == date(2026, 12, 7)
        assert cal.add_working_days(date(2026, 12, 7), 5) == date(2026, 12, 14)


def test_an_unloaded_year_is_unknown_never_guessed(seeded: Engine) -> None:
    with session_scope(seeded) as session:
        cal = WorkCalendar(session)
        with pytest.raises(UnknownYear) as raised:
            cal.kind(date(2027, 1, 4))
        assert raised.value.year == 2027 and str(raised.value) == "2027年节假日安排尚未公布"
        with pytest.raises(UnknownYear):
            cal.add_working_days(date(2026, 12, 28), 5)  # runs into 2027
        with pytest.raises(UnknownYear):
            seed_from_chinesecalendar(session, [2027])  # the library stops at 2026
        status = calendar_status(session, date(2026, 12, 7))
        assert status["unknown_years"] == [2027] and not status["ok"]
        assert [y["year"] for y in status["years"]] == [2025, 2026]
        assert status["years"][1]["makeup_workdays"] == 6
        assert calendar_status(session, date(2026, 6, 1))["ok"]


def test_seeding_is_idempotent(seeded: Engine) -> None:
    with session_scope(seeded) as session:
        assert seed_from_chinesecalendar(session, [2025, 2026]) == 0
        before = calendar_status(session, date(2026, 6, 1))["years"]
    with session_scope(seeded) as session:
        assert seed_from_chinesecalendar(session, [2026]) == 0
        assert calendar_status(session, date(2026, 6, 1))["years"] == before


def test_a_notice_file_covers_the_new_year(seeded: Engine, tmp_path: Path) -> None:
    path = tmp_path / "2027.yml"
    path.write_text(NOTICE_2027, encoding="utf-8")
    with session_scope(seeded) as session:
        report = load_calendar_file(session, path)
        assert (report.year, report.holidays, report.makeup_workdays) == (2027, 12, 1)
        assert report.source == "国办发明电〔2026〕12号" and report.replaced_source is None
    with session_scope(seeded) as session:
        cal = WorkCalendar(session)
        assert cal.kind(date(2027, 2, 8)) is DayKind.HOLIDAY
        assert cal.kind(date(2027, 2, 20)) is DayKind.MAKEUP_WORKDAY
        assert cal.kind(date(2027, 1, 4)) is DayKind.WORKDAY
        assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
        assert calendar_status(session, date(2026, 12, 7))["ok"]
        # the library never overwrites a year staff loaded from the notice
        assert seed_from_chinesecalendar(session) == 21  # 2004–2024; 2025 and 2026 are there
        assert cal.source(2027) == "国办发明电〔2026〕12号"
    with session_scope(seeded) as session:
        again = load_calendar_file(session, path)
        assert again.replaced_source == "国办发明电〔2026〕12号" and again.holidays == 12


def test_file_errors_name_their_lines_and_change_nothing(seeded: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        "year: 2027\n"
        "source: 国办发明电〔2026〕12号\n"
        "holidays:\n"
        "  - 2027-02-30\n"
        "  - 2027-02-13..2027-02-06\n"
        "  - 2028-01-01\n"
        "makeup_workdays:\n"
        "  - 2027-02-17\n"
        "colour: red\n",
        encoding="utf-8",
    )
    with session_scope(seeded) as session, pytest.raises(CalendarFileError) as raised:
        load_calendar_file(session, path)
    text = str(raised.value)
    assert "第9行：未知的项“colour”" in text
    with session_scope(seeded) as session:
        assert 2027 not in WorkCalendar(session).covered_years()
    assert "第4行：“2027-02-30”不是有效日期" in text
    path.write_text(NOTICE_2027.replace("- 2027-04-05", "- 2027-04-31"), encoding="utf-8")
    with session_scope(seeded) as session, pytest.raises(CalendarFileError) as raised:
        load_calendar_file(session, path)
    assert str(raised.value).endswith(
        "\n第9行：“2027-04-31”不是有效日期，应写作 YYYY-MM-DD（如 2027-02-06）"
    )
    path.write_text(
        "year: 2027\nsource: x\nholidays:\n  - 2027-02-13..2027-02-06\n  - 2028-01-01\n"
        "makeup_workdays:\n  - 2027-02-17\n",
        encoding="utf-8",
    )
    with session_scope(seeded) as session, pytest.raises(CalendarFileError) as raised:
        load_calendar_file(session, path)
    assert raised.value.errors == [
        "第4行：日期范围“2027-02-13..2027-02-06”的结束日早于开始日",
        "第5行：“2028-01-01”不在 2027 年内",
        "第7行：2027-02-17 是周三，调休上班日应是周六或周日",
    ]
    path.write_text("year: 2027\nsource: [x\n", encoding="utf-8")
    with session_scope(seeded) as session, pytest.raises(CalendarFileError) as raised:
        load_calendar_file(session, path)
    assert raised.value.errors[0].startswith("第3行：YAML 格式错误")
