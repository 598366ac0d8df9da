"""When people answer: weekly periods on the working calendar.

A working day has the weekday's periods; a 调休 make-up working day (a Saturday or Sunday
worked) has Monday's; a statutory holiday has none; an ordinary weekend day has its own
periods (none by default). A date in a year the calendar does not cover counts as closed:
the citizen then gets a ticket and a reply later rather than a wait nobody will end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Protocol

from banshi.calendar.workdays import DayKind, UnknownYear

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_OFFICE = (("09:00", "12:00"), ("13:30", "17:30"))
DEFAULT_WEEK: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {key: (_OFFICE if key not in ("sat", "sun") else ()) for key in WEEKDAY_KEYS}
)


class DayKinds(Protocol):
    """What service hours need of :class:`banshi.calendar.workdays.WorkCalendar`."""

    def kind(self, d: date) -> DayKind: ...


def _t(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


@dataclass(frozen=True)
class ServiceHours:
    """``weekly``: ``{"mon": (("09:00", "12:00"), ("13:30", "17:30")), …, "sun": ()}``."""

    weekly: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=lambda: DEFAULT_WEEK)

    def periods_on(self, calendar: DayKinds, day: date) -> tuple[tuple[str, str], ...]:
        """The day's periods; raises UnknownYear for a year nobody loaded."""
        kind = calendar.kind(day)
        if kind is DayKind.HOLIDAY:
            return ()
        if kind is DayKind.MAKEUP_WORKDAY:
            return tuple(self.weekly.get("mon", ()))
        return tuple(self.weekly.get(WEEKDAY_KEYS[day.weekday()], ()))

    def is_open(self, calendar: DayKinds, when: datetime) -> bool:
        """Whether someone answers at ``when`` (local time); closed when the year is unknown."""
        try:
            periods = self.periods_on(calendar, when.date())
        except UnknownYear:
            return False
        now = when.time()
        return any(_t(start) <= now < _t(end) for start, end in periods)

    def text(self) -> str:
        """工作日 09:00-12:00、13:30-17:30 — for telling the citizen when to come back."""
        working = self.weekly.get("mon", ())
        days = "、".join(f"{s}-{e}" for s, e in working) or "无"
        extra = []
        for key, name in (("sat", "周六"), ("sun", "周日")):
            periods = self.weekly.get(key, ())
            if periods:
                extra.append(f"{name} " + "、".join(f"{s}-{e}" for s, e in periods))
        tail = "；" + "；".join(extra) if extra else ""
        return f"工作日 {days}{tail}（法定节假日除外）"
