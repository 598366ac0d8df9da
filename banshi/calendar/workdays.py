"""Working days: what kind of day a date is, and counting working days (行政许可法 第八十二条).

The calendar is data in the database (loaded from chinesecalendar or from the State Council's
yearly notice, see :mod:`banshi.calendar.loading`). A date in a year nobody loaded raises
:class:`UnknownYear`: treating 2027 as plain Monday–Friday would quietly book citizens on
春节 and miscount legal deadlines.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.calendar.models import CalendarDay, CalendarYear


class DayKind(Enum):
    WORKDAY = "workday"  # 工作日
    REST_DAY = "rest_day"  # 周末休息日
    HOLIDAY = "holiday"  # 法定节假日（含调休放假）
    MAKEUP_WORKDAY = "makeup_workday"  # 调休上班的周末


class CalendarOrigin(Enum):
    """Where a year's calendar came from; a staff-loaded notice outranks the library."""

    CHINESECALENDAR = "chinesecalendar"
    FILE = "file"


class UnknownYear(LookupError):
    """The holidays of ``year`` have not been loaded: the State Council notice is missing."""

    def __init__(self, year: int) -> None:
        super().__init__(f"{year}年节假日安排尚未公布")
        self.year = year


class WorkCalendar:
    """The working calendar as stored when the instance was made (cached for its lifetime)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._years = {
            int(year): source
            for year, source in session.execute(select(CalendarYear.year, CalendarYear.source))
        }
        self._days: dict[int, dict[date, DayKind]] = {}

    def covered_years(self) -> list[int]:
        return sorted(self._years)

    def source(self, year: int) -> str:
        """The notice (or library) a covered year comes from; raises :class:`UnknownYear`."""
        if year not in self._years:
            raise UnknownYear(year)
        return self._years[year]

    def _special(self, year: int) -> dict[date, DayKind]:
        if year not in self._years:
            raise UnknownYear(year)
        days = self._days.get(year)
        if days is None:
            start, end = date(year, 1, 1), date(year, 12, 31)
            rows = self._session.execute(
                select(CalendarDay.day, CalendarDay.kind).where(
                    CalendarDay.day >= start, CalendarDay.day <= end
                )
            )
            days = {day: DayKind(kind) for day, kind in rows}
            self._days[year] = days
        return days

    def kind(self, d: date) -> DayKind:
        special = self._special(d.year).get(d)
        if special is not None:
            return special
        return DayKind.WORKDAY if d.weekday() < 5 else DayKind.REST_DAY

    def is_working_day(self, d: date) -> bool:
        return self.kind(d) in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself never counts; 0 gives
        ``start``). 行政许可法 第八十二条: 期限以工作日计算，不含法定节假日."""
        if n < 0:
            raise ValueError("n must be 0 or more working days")
        day, left = start, n
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count
