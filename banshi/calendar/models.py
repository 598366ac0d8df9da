"""Tables of the working calendar: which years are covered, their special days, hall exceptions.

Only the days that differ from the plain week are stored (法定节假日 and 调休上班日); in a
covered year every other day is a working day from Monday to Friday and a rest day at the
weekend. A year without a :class:`CalendarYear` row is unknown and never guessed.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from banshi.models import Base


class CalendarYear(Base):
    """A year whose statutory holidays are known, and where they came from."""

    __tablename__ = "calendar_year"

    year = Column(Integer, primary_key=True, autoincrement=False)
    source = Column(Text, nullable=False)  # e.g. 国办发明电〔2025〕7号, or chinesecalendar 1.11.0
    origin = Column(String(20), nullable=False)  # CalendarOrigin value
    loaded_at = Column(DateTime, nullable=False)


class CalendarDay(Base):
    """A 法定节假日 or 调休上班日 (``kind`` is a :class:`DayKind` value)."""

    __tablename__ = "calendar_day"

    day = Column(Date, primary_key=True)
    year = Column(
        Integer,
        ForeignKey("calendar_year.year", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )  # the year whose notice set this day (元旦 may reach into the year before)
    kind = Column(String(20), nullable=False)
    name = Column(String(40), nullable=False, default="")  # 春节, 国庆节 …
    source = Column(Text, nullable=False)


class HallDay(Base):
    """A hall's exception for one day: closed, an extra opening day, or changed hours.

    ``periods`` holds the day's ``[["09:00", "12:00"], ...]`` for ``open`` and ``hours``
    (empty for ``open`` means the hall's working-day hours).
    """

    __tablename__ = "hall_day"
    __table_args__ = (UniqueConstraint("hall_code", "day"),)

    id = Column(Integer, primary_key=True)
    hall_code = Column(String(40), nullable=False)
    day = Column(Date, nullable=False, index=True)
    kind = Column(String(10), nullable=False)  # HallDayKind value
    periods = Column(JSON, nullable=False)
    note = Column(Text, nullable=False, default="")
    set_by = Column(String(64), nullable=False, default="")
    set_at = Column(DateTime, nullable=False)
