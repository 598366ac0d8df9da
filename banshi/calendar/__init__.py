"""The working calendar (法定节假日, 调休) and each hall's opening on a given day.

Used for booking days and for deadlines counted in working days (tickets, 差评 follow-up).
"""

from banshi.calendar.halls import (
    Closure,
    DayOpening,
    HallDayKind,
    HallHours,
    Period,
    clear_hall_day,
    opening_on,
    set_hall_day,
)
from banshi.calendar.loading import (
    CalendarFileError,
    LoadReport,
    load_calendar_file,
    seed_from_chinesecalendar,
)
from banshi.calendar.status import calendar_status
from banshi.calendar.workdays import CalendarOrigin, DayKind, UnknownYear, WorkCalendar

__all__ = [
    "CalendarFileError",
    "CalendarOrigin",
    "Closure",
    "DayKind",
    "DayOpening",
    "HallDayKind",
    "HallHours",
    "LoadReport",
    "Period",
    "UnknownYear",
    "WorkCalendar",
    "calendar_status",
    "clear_hall_day",
    "load_calendar_file",
    "opening_on",
    "seed_from_chinesecalendar",
    "set_hall_day",
]
