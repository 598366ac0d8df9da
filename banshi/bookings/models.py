"""Tables of appointments (预约): slot counters, bookings, their claims, drafts, overrides.

Personal fields (name, mobile, ID number) are stored only encrypted (``*_enc``, see
:class:`banshi.privacy.crypto.FieldCipher`) beside a masked copy for lists; the ID number
also as a blind index for the per-person limits and the no-show rule.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from banshi.models import Base


class BookingSlot(Base):
    """The counter of one bookable slot (item, hall, day, start).

    A booking takes a place with one conditional ``UPDATE … SET booked = booked + 1 WHERE
    booked < capacity``: the database, not the application, keeps the count under capacity.
    The row appears the first time the slot is booked; ``capacity`` is the last one applied.
    """

    __tablename__ = "booking_slot"
    __table_args__ = (UniqueConstraint("task_code", "hall_code", "day", "start"),)

    id = Column(Integer, primary_key=True)
    task_code = Column(String(31), nullable=False)
    hall_code = Column(String(40), nullable=False)
    day = Column(Date, nullable=False)
    start = Column(String(5), nullable=False)  # "09:00"
    end = Column(String(5), nullable=False)
    capacity = Column(Integer, nullable=False)
    booked = Column(Integer, nullable=False, default=0)


class BookingCounter(Base):
    """The last serial of the booking numbers issued on a day."""

    __tablename__ = "booking_counter"

    day = Column(Date, primary_key=True)
    last = Column(Integer, nullable=False)


class Booking(Base):
    """One appointment. Kept after cancellation or erasure (anonymised) for statistics."""

    __tablename__ = "booking"
    __table_args__ = (
        Index("ix_booking_day_hall", "day", "hall_code"),
        Index("ix_booking_openid_day", "openid", "day"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(40), nullable=False, unique=True)
    openid = Column(String(64))  # None once the citizen is erased
    task_code = Column(String(31), nullable=False, index=True)
    item_name = Column(String(200), nullable=False)
    hall_code = Column(String(40), nullable=False)
    window_no = Column(String(20), nullable=False, default="")
    slot_id = Column(Integer, ForeignKey("booking_slot.id"), nullable=False, index=True)
    day = Column(Date, nullable=False)
    start = Column(String(5), nullable=False)
    end = Column(String(5), nullable=False)
    status = Column(String(20), nullable=False, index=True)  # BookingStatus value
    cancel_reason = Column(String(20))  # CancelReason value
    name_enc = Column(Text)
    mobile_enc = Column(Text)
    id_enc = Column(Text)
    name_masked = Column(String(40), nullable=False, default="")
    mobile_masked = Column(String(20), nullable=False, default="")
    id_masked = Column(String(20), nullable=False, default="")
    id_index = Column(String(64), index=True)  # blind index of the ID number
    companion_name_enc = Column(Text)  # the other party where the item needs both (结婚登记)
    companion_id_enc = Column(Text)
    companion_masked = Column(String(80), nullable=False, default="")
    reschedules = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    cancelled_at = Column(DateTime)
    checked_in_at = Column(DateTime)
    no_show_at = Column(DateTime)
    reminded_at = Column(DateTime)
    change_told = Column(String(20))  # the Disruption last told to the citizen
    change_told_at = Column(DateTime)
    erased_at = Column(DateTime)


class BookingClaim(Base):
    """A unique claim a booking holds: its idempotency key and the per-person limits.

    The primary key is the claim, so two racing confirmations cannot both hold it: the loser's
    insert finds it taken. Claims are deleted when the booking is cancelled or erased.
    """

    __tablename__ = "booking_claim"

    key = Column(String(120), primary_key=True)
    kind = Column(String(20), nullable=False)  # ClaimKind value
    booking_id = Column(Integer, ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    day = Column(Date, nullable=False)  # the booking's day: an item claim lapses after it


class BookingDraft(Base):
    """The personal answers of a booking being prepared in chat, encrypted, never in the
    dialogue state (which Rasa stores in clear). Deleted when the booking is made or left."""

    __tablename__ = "booking_draft"

    id = Column(Integer, primary_key=True)
    openid = Column(String(64), nullable=False, index=True)
    name_enc = Column(Text)
    mobile_enc = Column(Text)
    id_enc = Column(Text)
    companion_name_enc = Column(Text)
    companion_id_enc = Column(Text)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class BookingPolicyOverride(Base):
    """A staff decision on one policy value of an item (for one hall, or ``""`` for all)."""

    __tablename__ = "booking_policy_override"
    __table_args__ = (UniqueConstraint("task_code", "hall_code", "field"),)

    id = Column(Integer, primary_key=True)
    task_code = Column(String(31), nullable=False)
    hall_code = Column(String(40), nullable=False, default="")
    field = Column(String(40), nullable=False)
    value = Column(JSON, nullable=False)
    note = Column(Text, nullable=False, default="")
    set_by = Column(String(64), nullable=False, default="")
    set_at = Column(DateTime, nullable=False)
