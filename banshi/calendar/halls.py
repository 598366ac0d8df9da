"""When a hall is open on a given day: its weekly hours, its holiday rule, the working calendar
and the staff's exceptions for that hall (a closed day, an extra opening day, changed hours).

Weekly hours and HOLIDAY_RULE come from the hall export (:class:`banshi.models.Hall`, see
SCHEMA.md). On a 调休 make-up working day a hall keeps its working-day hours, as people
expect of a day that is officially a workday.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from banshi.calendar.models import HallDay
from banshi.calendar.workdays import DayKind, WorkCalendar
from banshi.hours import WEEKDAY_KEYS
from banshi.models import Hall


class HallDayKind(Enum):
    CLOSED = "closed"  # 临时闭厅
    OPEN = "open"  # 额外开放（如周日加班）
    HOURS = "hours"  # 当日调整办公时间


class Closure(Enum):
    """Why a hall has no opening hours on a day."""

    HOLIDAY = "holiday"  # 法定节假日，大厅按规定休息
    REST_DAY = "rest_day"  # 周末不开放
    CLOSED = "closed"  # 大厅当天临时闭厅
    NO_HOURS = "no_hours"  # 工作日但大厅当天不开放（按周办公时间）


@dataclass(frozen=True, order=True)
class Period:
    """An opening period of a day, e.g. 09:00-12:00."""

    start: time
    end: time

    @classmethod
    def parse(cls, pair: Sequence[str]) -> Period:
        start, end = (time.fromisoformat(str(v).strip().zfill(5)) for v in pair)
        if end <= start:
            raise ValueError(f"办公时段 {pair[0]}-{pair[1]} 的结束时间应晚于开始时间")
        return cls(start, end)

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    def text(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def as_pair(self) -> list[str]:
        return [f"{self.start:%H:%M}", f"{self.end:%H:%M}"]


@dataclass(frozen=True)
class DayOpening:
    """A hall's hours on one day, or why it is closed."""

    day: date
    kind: DayKind
    periods: tuple[Period, ...]
    closure: Closure | None
    exception: HallDayKind | None = None
    note: str = ""

    @property
    def is_open(self) -> bool:
        return bool(self.periods)

    @property
    def minutes(self) -> int:
        return sum(p.minutes for p in self.periods)


def parse_periods(pairs: Iterable[Sequence[str]]) -> tuple[Period, ...]:
    """``[["09:00", "12:00"], ...]`` → sorted periods; raises ValueError on overlaps."""
    periods = tuple(sorted(Period.parse(p) for p in pairs))
    for a, b in zip(periods, periods[1:], strict=False):
        if b.start < a.end:
            raise ValueError(f"办公时段 {a.text()} 与 {b.text()} 重叠")
    return periods


def weekday_periods(hall: Hall, weekday: int) -> tuple[Period, ...]:
    return parse_periods((hall.weekly_hours or {}).get(WEEKDAY_KEYS[weekday]) or [])


def working_day_periods(hall: Hall) -> tuple[Period, ...]:
    """The hours of the hall's first open weekday (Monday for every hall in the export)."""
    for weekday in range(5):
        periods = weekday_periods(hall, weekday)
        if periods:
            return periods
    return ()


def full_day_minutes(hall: Hall) -> int:
    """The longest opening of a plain week day: the yardstick for a day's share of a quota."""
    return max((sum(p.minutes for p in weekday_periods(hall, w)) for w in range(7)), default=0)


def opening_on(
    calendar: WorkCalendar, hall: Hall, day: date, exception: HallDay | None = None
) -> DayOpening:
    """The hall's hours on ``day``; raises :class:`~banshi.calendar.UnknownYear`."""
    kind = calendar.kind(day)
    if exception is not None:
        excepted = HallDayKind(exception.kind)
        note = exception.note or ""
        if excepted is HallDayKind.CLOSED:
            return DayOpening(day, kind, (), Closure.CLOSED, excepted, note)
        periods = parse_periods(exception.periods or [])
        if excepted is HallDayKind.OPEN and not periods:
            periods = working_day_periods(hall)
        closure = None if periods else Closure.CLOSED
        return DayOpening(day, kind, periods, closure, excepted, note)
    if kind is DayKind.HOLIDAY and hall.holiday_rule != "open":
        return DayOpening(day, kind, (), Closure.HOLIDAY)
    if kind is DayKind.MAKEUP_WORKDAY:
        periods = working_day_periods(hall)
    else:
        periods = weekday_periods(hall, day.weekday())
    if periods:
        return DayOpening(day, kind, periods, None)
    closure = (
        Closure.NO_HOURS if kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY) else Closure.REST_DAY
    )
    return DayOpening(day, kind, (), closure)


class HallHours:
    """Opening hours of halls over a span of days, exceptions read once per span."""

    def __init__(self, session: Session, calendar: WorkCalendar) -> None:
        self.session = session
        self.calendar = calendar
        self._exceptions: dict[tuple[str, date], HallDay] = {}
        self._loaded: set[tuple[str, date, date]] = set()

    def load(self, hall_code: str, start: date, end: date) -> None:
        """Read the hall's exceptions from ``start`` to ``end`` (inclusive) in one query."""
        key = (hall_code, start, end)
        if key in self._loaded:
            return
        rows = self.session.execute(
            select(HallDay).where(
                HallDay.hall_code == hall_code, HallDay.day >= start, HallDay.day <= end
            )
        ).scalars()
        for row in rows:
            self._exceptions[(hall_code, row.day)] = row
        self._loaded.add(key)

    def _covered(self, hall_code: str, day: date) -> bool:
        return any(h == hall_code and s <= day <= e for h, s, e in self._loaded)

    def on(self, hall: Hall, day: date) -> DayOpening:
        if not self._covered(hall.code, day):
            self.load(hall.code, day, day)
        return opening_on(self.calendar, hall, day, self._exceptions.get((hall.code, day)))


def set_hall_day(
    session: Session,
    hall_code: str,
    day: date,
    kind: HallDayKind,
    periods: Iterable[Sequence[str]] = (),
    *,
    note: str = "",
    set_by: str = "",
    now: datetime | None = None,
) -> HallDay:
    """Record a hall's exception for ``day`` (replacing any earlier one for that day)."""
    parsed = parse_periods(periods)
    if kind is HallDayKind.HOURS and not parsed:
        raise ValueError("调整办公时间须给出当天的办公时段，如 09:00-12:00")
    if kind is HallDayKind.CLOSED and parsed:
        raise ValueError("闭厅当天不应有办公时段")
    if session.execute(select(Hall.id).where(Hall.code == hall_code)).first() is None:
        raise LookupError(f"没有编码为 {hall_code} 的大厅")
    row = session.execute(
        select(HallDay).where(HallDay.hall_code == hall_code, HallDay.day == day)
    ).scalar_one_or_none()
    if row is None:
        row = HallDay(hall_code=hall_code, day=day)
        session.add(row)
    row.kind = kind.value
    row.periods = [p.as_pair() for p in parsed]
    row.note = note
    row.set_by = set_by
    row.set_at = (now or datetime.now()).replace(microsecond=0)
    session.flush()
    return row


def clear_hall_day(session: Session, hall_code: str, day: date) -> bool:
    """Remove a hall's exception for ``day``; True when there was one."""
    result = session.execute(
        delete(HallDay).where(HallDay.hall_code == hall_code, HallDay.day == day)
    )
    return bool(result.rowcount)
