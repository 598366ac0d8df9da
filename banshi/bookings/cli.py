"""What the ``banshi bookings`` commands print, as JSON-ready dicts (the CLI only formats).

Staff see personal data masked only; a full number never leaves the database here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.bookings import texts
from banshi.bookings.attendance import check_in, mark_no_show, minutes_late
from banshi.bookings.config import BookingConfig
from banshi.bookings.models import Booking
from banshi.bookings.notify import due_reminders, purge_old_drafts
from banshi.bookings.slots import SlotBoard, find_item, hall_for, halls_for


def slots_json(
    session: Session,
    item: str,
    day: date,
    hall: str | None = None,
    *,
    config: BookingConfig | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """``banshi bookings slots --item TASK_CODE --date YYYY-MM-DD [--hall HALL_CODE] --json``.

    Raises LookupError (with a message for staff) for an unknown item or a hall not handling it.
    """
    config = config or BookingConfig()
    now = now or datetime.now()
    found = find_item(session, item)
    if found is None:
        raise LookupError(f"没有实施编码为 {item} 的事项")
    place = hall_for(session, found, hall) if hall else next(iter(halls_for(session, found)), None)
    if place is None:
        raise LookupError(
            f"大厅 {hall} 不办理【{found.name}】" if hall else f"【{found.name}】没有办理大厅"
        )
    the_hall, window = place
    board = SlotBoard(session, config)
    policy = board.policy(found, the_hall)
    offered = board.day(found, the_hall, day, now, policy)
    out: dict[str, Any] = {
        "item": found.task_code,
        "item_name": found.name,
        "hall": the_hall.code,
        "hall_name": the_hall.name,
        "window": window.window_no if window is not None else None,
        "date": day.isoformat(),
        "slots": [
            {
                "start": f"{s.start:%H:%M}",
                "end": f"{s.end:%H:%M}",
                "capacity": s.capacity,
                "booked": s.booked,
                "left": s.left,
            }
            for s in offered.slots
        ],
        "reason": offered.reason.value if offered.reason else None,
        "reason_text": None,
        "policy": policy.as_json(),
    }
    if offered.reason is not None:
        out["reason_text"] = texts.no_slots_text(
            offered.reason, found, the_hall, day, policy, now.date()
        )
        out["nearest"] = [
            {"date": d.day.isoformat(), "left": sum(s.left for s in d.free)}
            for d in board.nearest(found, the_hall, day, now, policy)
        ]
    return out


def booking_json(booking: Booking) -> dict[str, Any]:
    return {
        "number": booking.number,
        "item": booking.task_code,
        "item_name": booking.item_name,
        "hall": booking.hall_code,
        "window": booking.window_no,
        "date": booking.day.isoformat(),
        "slot": f"{booking.start}-{booking.end}",
        "status": booking.status,
        "name": booking.name_masked,
        "mobile": booking.mobile_masked,
        "id_number": booking.id_masked,
        "companion": booking.companion_masked or None,
        "reschedules": booking.reschedules,
    }


def list_json(
    session: Session, day: date | None = None, hall: str | None = None, *, today: date | None = None
) -> list[dict[str, Any]]:
    """``banshi bookings list [--date D] [--hall H] --json``: the day's bookings (default
    today), by hall, time and number; every status, so the window sees cancellations too."""
    query = select(Booking).where(Booking.day == (day or today or date.today()))
    if hall:
        query = query.where(Booking.hall_code == hall)
    query = query.order_by(Booking.hall_code, Booking.start, Booking.number)
    return [booking_json(b) for b in session.execute(query).scalars()]


def check_in_json(session: Session, number: str, now: datetime | None = None) -> dict[str, Any]:
    """``banshi bookings check-in NUMBER``; raises BookingRefused."""
    now = now or datetime.now()
    booking = check_in(session, number, now)
    return {**booking_json(booking), "minutes_late": minutes_late(booking, now)}


def no_show_json(
    session: Session, number: str, config: BookingConfig | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """``banshi bookings no-show NUMBER``; raises BookingRefused."""
    return booking_json(mark_no_show(session, number, config, now))


def remind_json(
    session: Session,
    today: date | None = None,
    now: datetime | None = None,
    config: BookingConfig | None = None,
) -> dict[str, Any]:
    """``banshi bookings remind``: claim tomorrow's reminders for the channel to push, and
    purge abandoned drafts. The messages carry the openid and text to send."""
    now = now or datetime.now()
    reminders = due_reminders(session, today or now.date(), now)
    purged = purge_old_drafts(session, now, config or BookingConfig())
    return {
        "reminders": [
            {"booking_id": r.booking_id, "number": r.number, "openid": r.openid, "text": r.text}
            for r in reminders
        ],
        "drafts_purged": purged,
    }
