"""At the window: check-in, no-shows (爽约) and the rule that suspends booking after too many."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.bookings.config import BookingConfig
from banshi.bookings.ledger import ClaimKind, booking_policy, find_booking, release, starts_at
from banshi.bookings.models import Booking
from banshi.bookings.rules import NoShowRule
from banshi.bookings.states import BookingRefused, BookingStatus, Refusal


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)


def ban_until(session: Session, person: str, rule: NoShowRule, today: date) -> date | None:
    """The first day a person may book again, when ``rule.limit`` no-shows within
    ``rule.window_days`` suspended them (the suspension runs from the last of those)."""
    since = today - timedelta(days=rule.window_days + rule.ban_days)
    days = sorted(
        session.execute(
            select(Booking.day).where(
                Booking.id_index == person,
                Booking.status == BookingStatus.NO_SHOW.value,
                Booking.day >= since,
            )
        ).scalars()
    )
    until: date | None = None
    for i in range(rule.limit - 1, len(days)):
        if (days[i] - days[i - rule.limit + 1]).days < rule.window_days:
            end = days[i] + timedelta(days=rule.ban_days)
            until = end if until is None or end > until else until
    return until if until is not None and until > today else None


def check_in(session: Session, number: str, now: datetime | None = None) -> Booking:
    """The citizen arrived (签到): only on the booking's day."""
    now = _now(now)
    booking = find_booking(session, number, lock=True)
    if booking is None:
        raise BookingRefused(Refusal.NOT_FOUND)
    if booking.status == BookingStatus.CHECKED_IN.value:
        return booking
    if booking.status != BookingStatus.CONFIRMED.value:
        raise BookingRefused(Refusal.NOT_ACTIVE, booking=booking)
    if booking.day != now.date():
        raise BookingRefused(Refusal.WRONG_DAY, booking=booking)
    booking.status = BookingStatus.CHECKED_IN.value
    booking.checked_in_at = booking.updated_at = now
    release(session, booking.id, [ClaimKind.PERSON_ITEM])
    session.flush()
    return booking


def minutes_late(booking: Booking, at: datetime) -> int:
    return max(0, int((at - starts_at(booking)).total_seconds() // 60))


def mark_no_show(
    session: Session,
    number: str,
    config: BookingConfig | None = None,
    now: datetime | None = None,
) -> Booking:
    """Record a no-show (爽约) once the lateness allowance of the slot has run out."""
    now = _now(now)
    config = config or BookingConfig()
    booking = find_booking(session, number, lock=True)
    if booking is None:
        raise BookingRefused(Refusal.NOT_FOUND)
    if booking.status != BookingStatus.CONFIRMED.value:
        raise BookingRefused(Refusal.NOT_ACTIVE, booking=booking)
    policy = booking_policy(session, booking, config)
    if now < starts_at(booking) + timedelta(minutes=policy.late_minutes.value):
        raise BookingRefused(Refusal.TOO_EARLY, booking=booking, policy=policy)
    booking.status = BookingStatus.NO_SHOW.value
    booking.no_show_at = booking.updated_at = now
    release(session, booking.id, [ClaimKind.PERSON_ITEM])
    session.flush()
    return booking
