"""``banshi calendar status``: which years are covered, by which notice, and what is missing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banshi.calendar.models import CalendarDay, CalendarYear
from banshi.calendar.workdays import DayKind

# The State Council publishes next year's holidays in early November; warning 60 days ahead
# tells staff in early November that the notice must be loaded before bookings reach January.
STATUS_HORIZON_DAYS = 60


def calendar_status(
    session: Session, today: date | None = None, horizon_days: int = STATUS_HORIZON_DAYS
) -> dict[str, Any]:
    """Years covered (with source and day counts) and the unknown years within the horizon."""
    today = today or date.today()
    counts: dict[tuple[int, str], int] = {
        (int(year), str(kind)): int(n)
        for year, kind, n in session.execute(
            select(CalendarDay.year, CalendarDay.kind, func.count()).group_by(
                CalendarDay.year, CalendarDay.kind
            )
        )
    }
    years = []
    for row in session.execute(select(CalendarYear).order_by(CalendarYear.year)).scalars():
        years.append(
            {
                "year": row.year,
                "source": row.source,
                "origin": row.origin,
                "loaded_at": row.loaded_at.isoformat(sep=" "),
                "holidays": counts.get((row.year, DayKind.HOLIDAY.value), 0),
                "makeup_workdays": counts.get((row.year, DayKind.MAKEUP_WORKDAY.value), 0),
            }
        )
    covered = {y["year"] for y in years}
    end = today + timedelta(days=horizon_days)
    unknown = [y for y in range(today.year, end.year + 1) if y not in covered]
    return {
        "today": today.isoformat(),
        "horizon_days": horizon_days,
        "years": years,
        "unknown_years": unknown,
        "ok": not unknown,
    }
