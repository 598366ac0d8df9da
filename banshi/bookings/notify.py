"""What citizens are told without asking: tomorrow's reminders and bookings a change affects;
and erasing a citizen who left the account.

Each message is claimed before it is sent (``UPDATE … WHERE reminded_at IS NULL``), so two
runs of ``banshi bookings remind`` at once, or a retry, never tell anyone twice; a send that
failed gives its claim back with :func:`release_reminder`. What no push could deliver is
claimed with the citizen's next message (:func:`claim_owed`, from the queries
:func:`banshi.owed.check` asks about before each message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from banshi.bookings import texts
from banshi.bookings.config import BookingConfig
from banshi.bookings.drafts import purge_drafts
from banshi.bookings.ledger import give_back_place
from banshi.bookings.models import Booking, BookingClaim, BookingDraft
from banshi.bookings.states import BookingStatus, CancelReason
from banshi.calendar import HallHours, UnknownYear, WorkCalendar
from banshi.calendar.halls import Period
from banshi.models import STATE_CANCELLED, STATE_SUSPENDED, Hall, Item

REMIND_AT = time(18, 0)  # tomorrow's reminders go out from this hour (NOTES.md: hall practice)


@dataclass(frozen=True)
class Reminder:
    booking_id: int
    number: str
    openid: str
    text: str


def _halls(session: Session) -> dict[str, Hall]:
    return {h.code: h for h in session.execute(select(Hall)).scalars()}


def due_reminders(session: Session, today: date, now: datetime | None = None) -> list[Reminder]:
    """Claim and return the reminders of tomorrow's bookings not reminded yet."""
    now = (now or datetime.now()).replace(microsecond=0)
    tomorrow = today + timedelta(days=1)
    bookings = session.execute(
        select(Booking).where(
            Booking.day == tomorrow,
            Booking.status == BookingStatus.CONFIRMED.value,
            Booking.reminded_at.is_(None),
            Booking.openid.is_not(None),
        )
    ).scalars()
    halls = _halls(session)
    found = []
    for booking in list(bookings):
        claimed = session.execute(
            update(Booking)
            .where(Booking.id == booking.id, Booking.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            text = texts.reminder(booking, halls.get(booking.hall_code), today)
            found.append(Reminder(booking.id, booking.number, str(booking.openid), text))
    return found


def release_reminder(session: Session, booking_id: int) -> None:
    """The reminder could not be delivered: let the next run try again."""
    session.execute(
        update(Booking)
        .where(Booking.id == booking_id)
        .values(reminded_at=None)
        .execution_options(synchronize_session=False)
    )


class Disruption(Enum):
    ITEM_CANCELLED = "item_cancelled"
    ITEM_SUSPENDED = "item_suspended"
    HALL_CLOSED = "hall_closed"
    HOURS_CHANGED = "hours_changed"


@dataclass(frozen=True)
class Affected:
    booking_id: int
    number: str
    openid: str
    disruption: Disruption
    text: str


def _disruption(
    booking: Booking, state: str | None, hall: Hall | None, hours: HallHours
) -> Disruption | None:
    if state == STATE_CANCELLED:
        return Disruption.ITEM_CANCELLED
    if state == STATE_SUSPENDED:
        return Disruption.ITEM_SUSPENDED
    if hall is None:
        return None
    try:
        opening = hours.on(hall, booking.day)
    except UnknownYear:
        return None
    if not opening.is_open:
        return Disruption.HALL_CLOSED
    slot = Period.parse([booking.start, booking.end])
    inside = any(p.start <= slot.start and slot.end <= p.end for p in opening.periods)
    return None if inside else Disruption.HOURS_CHANGED


def affected_bookings(
    session: Session, today: date, now: datetime | None = None, calendar: WorkCalendar | None = None
) -> list[Affected]:
    """Claim and return upcoming bookings that a catalog sync or a hall change now disrupts:
    the item suspended or cancelled, the hall closed that day or its hours no longer covering
    the slot. Each booking is told once per kind of disruption."""
    now = (now or datetime.now()).replace(microsecond=0)
    bookings = list(
        session.execute(
            select(Booking).where(
                Booking.day >= today,
                Booking.status == BookingStatus.CONFIRMED.value,
                Booking.openid.is_not(None),
            )
        ).scalars()
    )
    if not bookings:
        return []
    codes = {b.task_code for b in bookings}
    states = dict(
        session.execute(select(Item.task_code, Item.state).where(Item.task_code.in_(codes))).all()
    )
    halls = _halls(session)
    hours = HallHours(session, calendar or WorkCalendar(session))
    found = []
    for booking in bookings:
        kind = _disruption(
            booking, states.get(booking.task_code), halls.get(booking.hall_code), hours
        )
        if kind is None or booking.change_told == kind.value:
            continue
        claimed = session.execute(
            update(Booking)
            .where(
                Booking.id == booking.id,
                or_(Booking.change_told.is_(None), Booking.change_told != kind.value),
            )
            .values(change_told=kind.value, change_told_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            text = texts.disruption(booking, kind.value, today)
            found.append(Affected(booking.id, booking.number, str(booking.openid), kind, text))
    return found


def erase_citizen(session: Session, openid: str, now: datetime | None = None) -> int:
    """The citizen unsubscribed: erase their personal fields and drafts; their bookings stay,
    anonymised, for statistics. Upcoming ones are cancelled and their places given back:
    nobody could be reminded of them or recognised at the window. Returns how many."""
    now = (now or datetime.now()).replace(microsecond=0)
    bookings = list(session.execute(select(Booking).where(Booking.openid == openid)).scalars())
    for booking in bookings:
        if booking.status == BookingStatus.CONFIRMED.value and booking.day >= now.date():
            give_back_place(session, booking.slot_id)
            booking.status = BookingStatus.CANCELLED.value
            booking.cancel_reason = CancelReason.UNSUBSCRIBED.value
            booking.cancelled_at = now
        booking.openid = None
        booking.name_enc = booking.mobile_enc = booking.id_enc = None
        booking.companion_name_enc = booking.companion_id_enc = None
        booking.name_masked = booking.mobile_masked = booking.id_masked = ""
        booking.companion_masked = ""
        booking.id_index = None
        booking.erased_at = booking.updated_at = now
        session.execute(delete(BookingClaim).where(BookingClaim.booking_id == booking.id))
    session.execute(delete(BookingDraft).where(BookingDraft.openid == openid))
    session.flush()
    return len(bookings)


def purge_old_drafts(session: Session, now: datetime, config: BookingConfig) -> int:
    """Delete booking drafts left untouched for ``config.draft_ttl_hours``."""
    return purge_drafts(session, now - timedelta(hours=config.draft_ttl_hours))


# ------------------------------------------------------------------ with the next message


def _mine(openid: str) -> tuple[Any, Any]:
    return (Booking.openid == openid, Booking.status == BookingStatus.CONFIRMED.value)


def booking_disruptions(openid: str, today: date) -> Select:
    """Upcoming bookings whose disruption was recorded for the citizen but not yet told
    (kept for their next message), the earliest first."""
    return (
        select(Booking)
        .where(
            *_mine(openid),
            Booking.day >= today,
            Booking.change_told.is_not(None),
            Booking.change_told_at.is_(None),
        )
        .order_by(Booking.day, Booking.start)
    )


def reminders_due(now: datetime, remind_at: time) -> tuple[date, datetime] | None:
    """(tomorrow, the reminder hour today) once that hour has passed: tomorrow's bookings are
    then owed a reminder, as they stood at that hour; None before it."""
    since = datetime.combine(now.date(), remind_at)
    return None if now < since else (now.date() + timedelta(days=1), since)


def booking_reminders(openid: str, tomorrow: date, since: datetime) -> Select:
    """Tomorrow's bookings not reminded yet and unchanged since the reminder hour (not one
    just made or moved), the earliest first."""
    return (
        select(Booking)
        .where(
            *_mine(openid),
            Booking.day == tomorrow,
            Booking.reminded_at.is_(None),
            Booking.updated_at < since,
        )
        .order_by(Booking.start)
    )


def _claim_one(session: Session, booking_id: int, column: Any, now: datetime) -> bool:
    claimed = session.execute(
        update(Booking)
        .where(Booking.id == booking_id, column.is_(None))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount == 1)


def claim_owed(
    session: Session,
    openid: str,
    now: datetime,
    remind_at: time = REMIND_AT,
    *,
    disruptions: bool = True,
    reminders: bool = True,
) -> list[str]:
    """Claim, in the caller's transaction, what no push delivered, to send before the answer
    to the citizen's next message: kept disruption notices, then tomorrow's reminder once the
    reminder hour has passed — of bookings as they stood then, not one just made or moved.
    ``disruptions`` / ``reminders``: whether to look for each (:func:`banshi.owed.check`
    says which may have something)."""
    now = now.replace(microsecond=0)
    today = now.date()
    told: list[str] = []
    if disruptions:
        for b in list(session.execute(booking_disruptions(openid, today)).scalars()):
            if _claim_one(session, b.id, Booking.change_told_at, now):
                told.append(texts.disruption(b, str(b.change_told), today))
    due_at = reminders_due(now, remind_at) if reminders else None
    if due_at is None:
        return told
    due = list(session.execute(booking_reminders(openid, *due_at)).scalars())
    halls = _halls(session) if due else {}
    for b in due:
        if _claim_one(session, b.id, Booking.reminded_at, now):
            told.append(texts.reminder(b, halls.get(b.hall_code), today))
    return told
