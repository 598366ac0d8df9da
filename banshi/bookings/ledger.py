"""The rows behind a booking: unique claims, slot counters, numbers, and finding a booking.

A claim is a row of ``booking_claim`` whose primary key is the limit it stands for: the
idempotency key of a citizen, slot and person; one booking per ID number per day; one open
booking per ID number and item. It is inserted with ON CONFLICT DO NOTHING, so of two racing
confirmations one gets the row and the other finds it taken once the first commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from banshi.bookings.config import BookingConfig
from banshi.bookings.models import Booking, BookingClaim, BookingCounter, BookingSlot
from banshi.bookings.policy import BookingPolicy, default_policy, policy_for
from banshi.bookings.slots import Slot, find_item
from banshi.db import conflict_insert


class ClaimKind(Enum):
    IDEMPOTENCY = "idempotency"
    PERSON_DAY = "person_day"
    PERSON_ITEM = "person_item"


def idempotency_key(
    openid: str, task_code: str, hall_code: str, day: date, start: str, person: str
) -> str:
    raw = f"{openid}|{task_code}|{hall_code}|{day.isoformat()}|{start}|{person}"
    return "idem:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()


def day_key(person: str, day: date) -> str:
    return f"day:{person}:{day.isoformat()}"


def item_key(person: str, task_code: str) -> str:
    return f"item:{person}:{task_code}"


def claim(session: Session, key: str, kind: ClaimKind, day: date) -> bool:
    """Take ``key``; False when another booking holds it (after that one commits)."""
    table = BookingClaim.__table__
    result = session.execute(
        conflict_insert(session, table)
        .values(key=key, kind=kind.value, booking_id=None, day=day)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return bool(result.rowcount)


def holder(session: Session, key: str) -> Booking | None:
    booking_id = session.execute(
        select(BookingClaim.booking_id).where(BookingClaim.key == key)
    ).scalar_one_or_none()
    return session.get(Booking, booking_id) if booking_id is not None else None


def release(session: Session, booking_id: int, kinds: Iterable[ClaimKind]) -> None:
    session.execute(
        delete(BookingClaim).where(
            BookingClaim.booking_id == booking_id,
            BookingClaim.kind.in_([k.value for k in kinds]),
        )
    )


def slot_row(session: Session, task_code: str, hall_code: str, slot: Slot) -> int:
    """The id of the slot's counter row, created with no place taken if it is new."""
    table = BookingSlot.__table__
    session.execute(
        conflict_insert(session, table)
        .values(
            task_code=task_code,
            hall_code=hall_code,
            day=slot.day,
            start=slot.key,
            end=f"{slot.end:%H:%M}",
            capacity=slot.capacity,
            booked=0,
        )
        .on_conflict_do_nothing(index_elements=["task_code", "hall_code", "day", "start"])
    )
    return int(
        session.execute(
            select(BookingSlot.id).where(
                BookingSlot.task_code == task_code,
                BookingSlot.hall_code == hall_code,
                BookingSlot.day == slot.day,
                BookingSlot.start == slot.key,
            )
        ).scalar_one()
    )


def take_place(session: Session, slot_id: int, capacity: int) -> bool:
    """One place of the slot, if one is left: the single statement that guards capacity."""
    result = session.execute(
        update(BookingSlot)
        .where(BookingSlot.id == slot_id, BookingSlot.booked < capacity)
        .values(booked=BookingSlot.booked + 1, capacity=capacity)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _returns(session: Session) -> bool:
    """PostgreSQL answers an UPDATE or INSERT with RETURNING (one round trip less); SQLite
    does too, but not through SQLAlchemy 1.4."""
    return bool(session.get_bind().dialect.name == "postgresql")


def _slot_id(session: Session, where: list[Any]) -> int:
    return int(session.execute(select(BookingSlot.id).where(*where)).scalar_one())


def take_place_in(session: Session, task_code: str, hall_code: str, slot: Slot) -> int | None:
    """Take one place of ``slot``: its counter row's id, or None when it is full.

    A slot's row exists after its first booking, so an UPDATE by the slot's key usually takes
    the place at once; a new slot's row is inserted with its first place taken. When the insert
    finds the row there (full, or a racing first booking just made it) the UPDATE is tried once
    more, now seeing the committed row.
    """
    where = [
        BookingSlot.task_code == task_code,
        BookingSlot.hall_code == hall_code,
        BookingSlot.day == slot.day,
        BookingSlot.start == slot.key,
    ]
    take = (
        update(BookingSlot)
        .where(*where, BookingSlot.booked < slot.capacity)
        .values(booked=BookingSlot.booked + 1, capacity=slot.capacity)
        .execution_options(synchronize_session=False)
    )
    add = (
        conflict_insert(session, BookingSlot.__table__)
        .values(
            task_code=task_code,
            hall_code=hall_code,
            day=slot.day,
            start=slot.key,
            end=f"{slot.end:%H:%M}",
            capacity=slot.capacity,
            booked=1,
        )
        .on_conflict_do_nothing(index_elements=["task_code", "hall_code", "day", "start"])
    )
    for statement in (take, add, take):
        if _returns(session):
            found = session.execute(statement.returning(BookingSlot.id)).scalar_one_or_none()
            if found is not None:
                return int(found)
        elif session.execute(statement).rowcount == 1:
            return _slot_id(session, where)
    return None


def give_back_place(session: Session, slot_id: int) -> None:
    session.execute(
        update(BookingSlot)
        .where(BookingSlot.id == slot_id, BookingSlot.booked > 0)
        .values(booked=BookingSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def next_number(session: Session, prefix: str, today: date) -> str:
    """``YY202612070001``: prefix, the day it is issued, that day's serial.

    The upsert locks the day's counter row until commit, so concurrent confirmations queue for
    it and never share a number; a rolled-back confirmation leaves a gap, which is allowed.
    """
    table = BookingCounter.__table__
    upsert = (
        conflict_insert(session, table)
        .values(day=today, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": table.c.last + 1})
    )
    if _returns(session):
        serial = session.execute(upsert.returning(table.c.last)).scalar_one()
    else:
        session.execute(upsert)
        serial = session.execute(select(table.c.last).where(table.c.day == today)).scalar_one()
    return f"{prefix}{today:%Y%m%d}{int(serial):04d}"


def normalize_number(text: str) -> str:
    return "".join(text.split()).upper()


def find_booking(session: Session, number: str, *, lock: bool = False) -> Booking | None:
    query = select(Booking).where(Booking.number == normalize_number(number))
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def starts_at(booking: Booking) -> datetime:
    hour, minute = (int(p) for p in booking.start.split(":"))
    return datetime.combine(booking.day, datetime.min.time()).replace(hour=hour, minute=minute)


def booking_policy(session: Session, booking: Booking, config: BookingConfig) -> BookingPolicy:
    item = find_item(session, booking.task_code)
    if item is None:  # items are never deleted; a booking of an unknown one keeps the defaults
        return default_policy(config)
    return policy_for(session, item, booking.hall_code, config)
