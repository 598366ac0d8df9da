"""A booking's status, why it was cancelled, and why an operation was refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from banshi.bookings.models import Booking
from banshi.bookings.policy import BookingPolicy
from banshi.bookings.slots import NoSlots


class BookingStatus(Enum):
    CONFIRMED = "confirmed"  # 已预约
    CANCELLED = "cancelled"  # 已取消
    CHECKED_IN = "checked_in"  # 已签到
    NO_SHOW = "no_show"  # 爽约


class CancelReason(Enum):
    CITIZEN = "citizen"
    STAFF = "staff"
    UNSUBSCRIBED = "unsubscribed"  # the citizen left the account; their data was erased


class Refusal(Enum):
    DAY_UNAVAILABLE = "day_unavailable"  # see ``no_slots``
    NO_SUCH_SLOT = "no_such_slot"
    SLOT_FULL = "slot_full"
    ALREADY_BOOKED_DAY = "already_booked_day"
    ALREADY_BOOKED_ITEM = "already_booked_item"
    BANNED = "banned"  # see ``until``
    COMPANION_NEEDED = "companion_needed"
    NOT_FOUND = "not_found"
    NOT_ACTIVE = "not_active"  # cancelled, checked in or a no-show already
    TOO_LATE = "too_late"  # past the cancel / reschedule deadline
    RESCHEDULE_LIMIT = "reschedule_limit"
    SAME_SLOT = "same_slot"
    WRONG_DAY = "wrong_day"  # a check-in on another day than the booking's
    TOO_EARLY = "too_early"  # a no-show marked before the lateness allowance ran out


class BookingRefused(Exception):
    """A booking operation that cannot be done; ``refusal`` says why, for texts to explain."""

    def __init__(
        self,
        refusal: Refusal,
        *,
        no_slots: NoSlots | None = None,
        until: date | None = None,
        booking: Booking | None = None,
        policy: BookingPolicy | None = None,
    ) -> None:
        # The number, not the row: a refusal rolls the transaction back and expires the row.
        super().__init__(refusal.value if no_slots is None else f"{refusal.value}:{no_slots.value}")
        self.refusal = refusal
        self.no_slots = no_slots
        self.until = until
        self.number = booking.number if booking is not None else None  # e.g. the one held that day
        self.policy = policy


@dataclass(frozen=True)
class Confirmation:
    booking: Booking
    created: bool  # False: an earlier identical confirmation made it (idempotent retry)
