"""Appointments (预约, issue 14): policy, slots, bookings, reminders, and the booking desk.

- :mod:`~banshi.bookings.rules` reads a catalog item's 预约规则 text into facts;
- :mod:`~banshi.bookings.policy`: the policy of an item at a hall, each value with its source;
- :mod:`~banshi.bookings.slots`: a day's slots with places left, or why there are none (and
  how the daily quota spreads over slots);
- :mod:`~banshi.bookings.service`: confirm, cancel, reschedule, check in, no-show, safely
  under concurrency;
- :mod:`~banshi.bookings.notify`: reminders, bookings a change disrupts, erasing a citizen;
- :mod:`~banshi.bookings.desk`: the conversation, a desk of :mod:`banshi.conversation`
  (its steps in :mod:`~banshi.bookings.steps`, the person and 确认 in
  :mod:`~banshi.bookings.confirming`, cancelling and moving in :mod:`~banshi.bookings.changing`,
  questions rendered afresh in :mod:`~banshi.bookings.questions`);
- :mod:`~banshi.bookings.cli`: what the ``banshi bookings`` commands print.
"""

from banshi.bookings.attendance import check_in, mark_no_show
from banshi.bookings.config import BookingConfig
from banshi.bookings.ledger import find_booking
from banshi.bookings.notify import (
    Affected,
    Disruption,
    Reminder,
    affected_bookings,
    due_reminders,
    erase_citizen,
    release_reminder,
)
from banshi.bookings.people import Applicant
from banshi.bookings.policy import (
    BookingPolicy,
    Source,
    Sourced,
    clear_override,
    policy_for,
    set_override,
)
from banshi.bookings.service import book, cancel, confirm, reschedule, upcoming
from banshi.bookings.slots import DaySlots, NoSlots, Slot, SlotBoard, halls_for
from banshi.bookings.states import (
    BookingRefused,
    BookingStatus,
    CancelReason,
    Confirmation,
    Refusal,
)

__all__ = [
    "Affected",
    "Applicant",
    "BookingConfig",
    "BookingPolicy",
    "BookingRefused",
    "BookingStatus",
    "CancelReason",
    "Confirmation",
    "DaySlots",
    "Disruption",
    "NoSlots",
    "Refusal",
    "Reminder",
    "Slot",
    "SlotBoard",
    "Source",
    "Sourced",
    "affected_bookings",
    "book",
    "cancel",
    "check_in",
    "clear_override",
    "confirm",
    "due_reminders",
    "erase_citizen",
    "find_booking",
    "halls_for",
    "mark_no_show",
    "policy_for",
    "release_reminder",
    "reschedule",
    "set_override",
    "upcoming",
]
