"""The rows behind a booking: unique claims, slot counters, numbers, and finding a booking.

A claim is a row of ``booking_claim`` whose primary key is the limit it stands for: the
idempotency key of a citizen, slot and person; one booking per ID number per day; one open
booking per ID number and item. It is inserted with ON CONFLICT DO NOTHING, so of two racing
confirmations one gets the row and the other finds it taken once the first commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Date, Integer, bindparam, delete, select, update
from sqlalchemy.engine import Connection
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


# Confirming is the hot path, and building a statement costs more than running it (SQLAlchemy
# caches the compiled SQL, not the construction): its statements are built once per dialect
# with their parameters left open, and run on the session's connection.
_built: dict[tuple[str, str], Any] = {}


def _once(session: Session, name: str, build: Callable[[Session], Any]) -> tuple[Any, Connection]:
    """The statement ``name`` for the session's dialect (built at first use), and the
    connection of the session's transaction to run it on."""
    connection = session.connection()
    dialect = connection.dialect.name
    statement = _built.get((dialect, name))
    if statement is None:
        statement = _built[(dialect, name)] = build(session)
    return statement, connection


def _claims_insert(session: Session, rows: int) -> Any:
    return (
        conflict_insert(session, BookingClaim.__table__)
        .values(
            [
                {
                    "key": bindparam(f"key{i}"),
                    "kind": bindparam(f"kind{i}"),
                    "booking_id": None,
                    "day": bindparam("claim_day", type_=Date),
                }
                for i in range(rows)
            ]
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )


_CLAIMS = select(BookingClaim.key, BookingClaim.booking_id).where(
    BookingClaim.key.in_(bindparam("keys", expanding=True))
)


def claim_all(
    session: Session, keys: Sequence[tuple[str, ClaimKind]], day: date
) -> dict[str, int | None]:
    """Take every key in one INSERT, in the order given; returns the keys this did not take,
    with the booking holding each (None: its holder let it go meanwhile). Empty: all ours.

    ON CONFLICT DO NOTHING counts only the rows it inserted, so the usual case (every key
    free) costs one statement. Otherwise the keys are read back: a claim another booking
    holds always names it (the id is set before that booking commits), ours do not yet.
    """
    wanted = dict(keys)
    params: dict[str, Any] = {"claim_day": day}
    for i, (key, kind) in enumerate(wanted.items()):
        params[f"key{i}"], params[f"kind{i}"] = key, kind.value
    insert_claims, connection = _once(
        session, f"claims{len(wanted)}", lambda s: _claims_insert(s, len(wanted))
    )
    if connection.execute(insert_claims, params).rowcount == len(wanted):
        return {}
    found = dict(connection.execute(_CLAIMS, {"keys": list(wanted)}).all())
    ours = {key for key, booking_id in found.items() if booking_id is None}
    return {key: found.get(key) for key in wanted if key not in ours}


def unclaim_ours(session: Session, keys: Iterable[str]) -> None:
    """Drop the claims of ``keys`` this transaction took and gave no booking yet."""
    session.execute(
        delete(BookingClaim).where(
            BookingClaim.key.in_(list(keys)), BookingClaim.booking_id.is_(None)
        )
    )


_HOLDER = select(BookingClaim.booking_id).where(BookingClaim.key == bindparam("key"))


def holder(session: Session, key: str) -> Booking | None:
    """The booking holding claim ``key``, if any."""
    booking_id = session.connection().execute(_HOLDER, {"key": key}).scalar_one_or_none()
    return session.get(Booking, booking_id) if booking_id is not None else None


_CLAIMED_BY = (
    update(BookingClaim)
    .where(BookingClaim.key.in_(bindparam("keys", expanding=True)))
    .values(booking_id=bindparam("booking"))
)


def claimed_by(session: Session, keys: list[str], booking_id: int) -> None:
    """The claims ``keys`` this transaction took now name their booking."""
    session.connection().execute(_CLAIMED_BY, {"keys": keys, "booking": booking_id})


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


def _slot_upsert(session: Session) -> Any:
    table = BookingSlot.__table__
    upsert = conflict_insert(session, table).values(
        task_code=bindparam("task_code"),
        hall_code=bindparam("hall_code"),
        day=bindparam("slot_day", type_=Date),
        start=bindparam("slot_start"),
        end=bindparam("slot_end"),
        capacity=bindparam("slot_capacity", type_=Integer),
        booked=1,
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=["task_code", "hall_code", "day", "start"],
        set_={"booked": table.c.booked + 1, "capacity": upsert.excluded.capacity},
        where=table.c.booked < upsert.excluded.capacity,
    )
    return upsert.returning(table.c.id) if _returns(session.connection().dialect.name) else upsert


_SLOT_ID = select(BookingSlot.id).where(
    BookingSlot.task_code == bindparam("task_code"),
    BookingSlot.hall_code == bindparam("hall_code"),
    BookingSlot.day == bindparam("slot_day"),
    BookingSlot.start == bindparam("slot_start"),
)


def _returns(dialect: str) -> bool:
    """PostgreSQL answers an UPDATE or INSERT with RETURNING (one round trip less); SQLite
    does too since 3.35, but not through SQLAlchemy 1.4."""
    return dialect == "postgresql"


def take_place_in(session: Session, task_code: str, hall_code: str, slot: Slot) -> int | None:
    """Take one place of ``slot``: its counter row's id, or None when it is full.

    One upsert guards the capacity: a new slot's row is inserted with its first place taken;
    an existing row gains a place only ``WHERE booked < capacity`` — the database applies
    either atomically, a racing first booking of the same slot included.
    """
    params = {
        "task_code": task_code,
        "hall_code": hall_code,
        "slot_day": slot.day,
        "slot_start": slot.key,
        "slot_end": f"{slot.end:%H:%M}",
        "slot_capacity": slot.capacity,
    }
    upsert, connection = _once(session, "take_place", _slot_upsert)
    result = connection.execute(upsert, params)
    if _returns(connection.dialect.name):
        found = result.scalar_one_or_none()
        return int(found) if found is not None else None
    if result.rowcount != 1:
        return None
    return int(connection.execute(_SLOT_ID, params).scalar_one())


def give_back_place(session: Session, slot_id: int) -> None:
    session.execute(
        update(BookingSlot)
        .where(BookingSlot.id == slot_id, BookingSlot.booked > 0)
        .values(booked=BookingSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def _counter_upsert(session: Session) -> Any:
    table = BookingCounter.__table__
    upsert = (
        conflict_insert(session, table)
        .values(day=bindparam("today", type_=Date), last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": table.c.last + 1})
    )
    return upsert.returning(table.c.last) if _returns(session.connection().dialect.name) else upsert


_LAST = select(BookingCounter.last).where(BookingCounter.day == bindparam("today"))


def next_number(session: Session, prefix: str, today: date) -> str:
    """``YY202612070001``: prefix, the day it is issued, that day's serial.

    The upsert locks the day's counter row until commit, so concurrent confirmations queue for
    it and never share a number; a rolled-back confirmation leaves a gap, which is allowed.
    """
    upsert, connection = _once(session, "next_number", _counter_upsert)
    result = connection.execute(upsert, {"today": today})
    if _returns(connection.dialect.name):
        serial = result.scalar_one()
    else:
        serial = connection.execute(_LAST, {"today": today}).scalar_one()
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
