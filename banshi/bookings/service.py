"""Making, moving and closing bookings, with the guarantees that matter under load.

- Capacity is never exceeded: a place is taken by one statement that adds to the slot's
  counter row only ``WHERE booked < capacity`` (when confirming, an upsert that also makes a
  new slot's row; when moving, an UPDATE), which PostgreSQL and SQLite both apply
  atomically; a confirmation that finds no place changes nothing.
- Limits hold under concurrency because each is a row with a unique key in
  ``booking_claim``, inserted with ON CONFLICT DO NOTHING: the idempotency key of a citizen,
  slot and person (a retried push or a double 确认 returns the first booking), one booking per
  ID number per day, one open booking per ID number and item. The loser of a race finds the
  key taken once the winner commits.
- Locks are taken in one order (claims — a confirmation's in one statement, the idempotency
  key first, then the others sorted — then slot rows by id, then the day's number counter),
  so concurrent confirmations and reschedules queue instead of deadlocking.
- Confirming reads everything it needs first (the item with its policy overrides, the hall,
  whether the day's plan offers the start asked for, the no-show ban), then writes in one
  short stretch: on SQLite the first write holds the database's write lock until commit.

The claims, counters and numbers are in :mod:`banshi.bookings.ledger`; check-in and no-shows
in :mod:`banshi.bookings.attendance`.

Call each function inside one transaction (``session_scope``); a :class:`BookingRefused`
must roll it back, which :func:`book` does for callers that want a one-call confirmation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.bookings.attendance import ban_until
from banshi.bookings.config import BookingConfig
from banshi.bookings.ledger import (
    ClaimKind,
    booking_policy,
    claim,
    claim_all,
    claimed_by,
    day_key,
    find_booking,
    give_back_place,
    holder,
    idempotency_key,
    item_key,
    next_number,
    release,
    slot_row,
    starts_at,
    take_place,
    take_place_in,
    unclaim_ours,
)
from banshi.bookings.models import Booking, BookingClaim, BookingPolicyOverride, BookingSlot
from banshi.bookings.people import Applicant, Sealed, seal
from banshi.bookings.policy import BookingPolicy, overrides_at, policy_of
from banshi.bookings.slots import NoSlots, Slot, SlotBoard, find_item, hall_for
from banshi.bookings.states import (
    BookingRefused,
    BookingStatus,
    CancelReason,
    Confirmation,
    Refusal,
)
from banshi.db import session_scope
from banshi.models import Hall, Item, Window
from banshi.privacy.crypto import FieldCipher


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)


# ------------------------------------------------------------------ confirming


def _offered_slot(
    board: SlotBoard,
    item: Item,
    hall: Hall,
    day: date,
    start: str,
    now: datetime,
    policy: BookingPolicy,
) -> Slot:
    """The slot starting at ``start``, if the day's plan offers it (the counters unread: the
    place itself is checked when it is taken), with the day board's refusals."""
    offered = board.day(item, hall, day, now, policy, counted=False)
    slot = offered.slot(start)
    if slot is not None:
        return slot
    if offered.reason is not None and offered.reason is not NoSlots.FULL:
        raise BookingRefused(Refusal.DAY_UNAVAILABLE, no_slots=offered.reason, policy=policy)
    raise BookingRefused(Refusal.NO_SUCH_SLOT, policy=policy)


@dataclass(frozen=True)
class _Checked:
    """A confirmation that every read allows, waiting for its writes."""

    item: Item
    hall: Hall
    window: Window | None
    slot: Slot
    sealed: Sealed
    openid: str | None
    policy: BookingPolicy
    claims: list[tuple[str, ClaimKind]]  # the idempotency key first, in the lock order
    now: datetime


def _check(
    session: Session,
    board: SlotBoard,
    policy: BookingPolicy,
    *,
    item: Item,
    hall: Hall,
    window: Window | None,
    day: date,
    start: str,
    applicant: Applicant,
    openid: str | None,
    cipher: FieldCipher,
    now: datetime,
) -> _Checked | Confirmation:
    """Everything a confirmation can learn by reading (on SQLite a transaction's first write
    takes the database's write lock until commit, so no read comes after one)."""
    if policy.parties.value == 2 and not (applicant.companion_name and applicant.companion_id):
        raise BookingRefused(Refusal.COMPANION_NEEDED, policy=policy)
    sealed = seal(cipher, applicant)
    idem = idempotency_key(openid or "", item.task_code, hall.code, day, start, sealed.id_index)
    earlier = holder(session, idem)
    if earlier is not None:
        return Confirmation(earlier, created=False)
    try:
        slot = _offered_slot(board, item, hall, day, start, now, policy)
    except BookingRefused:
        earlier = holder(session, idem)  # a twin confirmation took the last place for us
        if earlier is not None:
            return Confirmation(earlier, created=False)
        raise
    until = ban_until(session, sealed.id_index, policy.no_show.value, now.date())
    if until is not None:
        raise BookingRefused(Refusal.BANNED, until=until, policy=policy)
    claims = [(idem, ClaimKind.IDEMPOTENCY)]
    if policy.one_per_person_per_day.value:  # sorted: a couple booked twice, either way round
        claims += sorted((day_key(person, day), ClaimKind.PERSON_DAY) for person in sealed.indexes)
    if policy.one_open_per_item.value:
        claims.append((item_key(sealed.id_index, item.task_code), ClaimKind.PERSON_ITEM))
    return _Checked(item, hall, window, slot, sealed, openid, policy, claims, now)


def _claims_held(
    session: Session, checked: _Checked, held: dict[str, int | None]
) -> Confirmation | None:
    """What the claims others hold mean: the twin's booking (idempotency), a refusal, or
    nothing when the item claim held was a booking whose day passed unmarked (it no longer
    counts). A claim let go between our insert and our read (None) is not ours either."""
    policy, today = checked.policy, checked.now.date()
    idem = checked.claims[0][0]
    twin = held.get(idem)
    if twin is not None:  # a twin confirmation made it meanwhile: ours is that one
        unclaim_ours(session, [key for key, _ in checked.claims])
        return Confirmation(session.get(Booking, twin), created=False)
    for key, kind in checked.claims:
        if key not in held or kind is ClaimKind.IDEMPOTENCY:
            continue
        if kind is ClaimKind.PERSON_DAY:
            booking_id = held[key]
            booking = session.get(Booking, booking_id) if booking_id is not None else None
            raise BookingRefused(Refusal.ALREADY_BOOKED_DAY, booking=booking, policy=policy)
        stale = delete(BookingClaim).where(BookingClaim.key == key, BookingClaim.day < today)
        if not (session.execute(stale).rowcount and claim(session, key, kind, checked.slot.day)):
            raise BookingRefused(
                Refusal.ALREADY_BOOKED_ITEM, booking=holder(session, key), policy=policy
            )
    return None


def _write(session: Session, checked: _Checked, config: BookingConfig) -> Confirmation:
    """The writes, in the lock order: the claims, the slot's counter, the day's number."""
    slot, sealed, now = checked.slot, checked.sealed, checked.now
    held = claim_all(session, checked.claims, slot.day)
    if held:
        twin = _claims_held(session, checked, held)
        if twin is not None:
            return twin
    item, hall = checked.item, checked.hall
    slot_id = take_place_in(session, item.task_code, hall.code, slot)
    if slot_id is None:
        raise BookingRefused(Refusal.SLOT_FULL, policy=checked.policy)
    booking = Booking(
        number=next_number(session, config.number_prefix, now.date()),
        openid=checked.openid,
        task_code=item.task_code,
        item_name=item.name,
        hall_code=hall.code,
        window_no=checked.window.window_no if checked.window is not None else "",
        slot_id=slot_id,
        day=slot.day,
        start=slot.key,
        end=f"{slot.end:%H:%M}",
        status=BookingStatus.CONFIRMED.value,
        name_enc=sealed.name_enc,
        mobile_enc=sealed.mobile_enc,
        id_enc=sealed.id_enc,
        name_masked=sealed.name_masked,
        mobile_masked=sealed.mobile_masked,
        id_masked=sealed.id_masked,
        id_index=sealed.id_index,
        companion_name_enc=sealed.companion_name_enc,
        companion_id_enc=sealed.companion_id_enc,
        companion_masked=sealed.companion_masked,
        reschedules=0,
        created_at=now,
        updated_at=now,
    )
    session.add(booking)
    session.flush()  # a Core INSERT instead saved 0.06 ms of 3-4 (measured): not worth it
    claimed_by(session, [key for key, _ in checked.claims], booking.id)
    return Confirmation(booking, created=True)


def confirm(
    session: Session,
    *,
    item: Item,
    hall: Hall,
    window: Window | None,
    day: date,
    start: str,
    applicant: Applicant,
    openid: str | None,
    cipher: FieldCipher,
    config: BookingConfig,
    now: datetime | None = None,
    board: SlotBoard | None = None,
    policy: BookingPolicy | None = None,
) -> Confirmation:
    """Book ``applicant`` into the slot starting at ``start`` on ``day``; raises
    :class:`BookingRefused` (roll the transaction back then)."""
    board = board or SlotBoard(session, config)
    checked = _check(
        session,
        board,
        policy or board.policy(item, hall),
        item=item,
        hall=hall,
        window=window,
        day=day,
        start=start,
        applicant=applicant,
        openid=openid,
        cipher=cipher,
        now=_now(now),
    )
    if isinstance(checked, Confirmation):
        return checked
    return _write(session, checked, config)


def place_of_booking(
    session: Session, task_code: str, hall_code: str
) -> tuple[Item, Hall, Window | None]:
    """The item, hall and window of a booking request; LookupError names what is missing."""
    item = find_item(session, task_code)
    if item is None:
        raise LookupError(f"没有实施编码为 {task_code} 的事项")
    return item, *_hall_of(session, item, hall_code)


def _hall_of(session: Session, item: Item, hall_code: str) -> tuple[Hall, Window | None]:
    place = hall_for(session, item, hall_code)
    if place is None:
        raise LookupError(f"大厅 {hall_code} 不办理【{item.name}】")
    return place


_ITEM_AND_OVERRIDES = (
    select(Item, BookingPolicyOverride)
    .outerjoin(
        BookingPolicyOverride,
        and_(BookingPolicyOverride.task_code == Item.task_code, overrides_at(bindparam("hall"))),
    )
    .where(Item.task_code == bindparam("task_code"))
)


def _place_and_policy(
    session: Session, task_code: str, hall_code: str, config: BookingConfig
) -> tuple[Item, Hall, Window | None, BookingPolicy]:
    """:func:`place_of_booking` and the policy there, the item read with its overrides."""
    rows = session.execute(_ITEM_AND_OVERRIDES, {"task_code": task_code, "hall": hall_code}).all()
    if not rows:
        raise LookupError(f"没有实施编码为 {task_code} 的事项")
    item = rows[0][0]
    hall, window = _hall_of(session, item, hall_code)
    overrides = [row for _, row in rows if row is not None]
    return item, hall, window, policy_of(item, overrides, config)


_writers_guard = threading.Lock()
_writers: dict[str, threading.Lock] = {}  # database -> the lock its confirmations write under


@contextmanager
def _one_writer(engine: Engine) -> Iterator[None]:
    """SQLite lets one transaction write at a time and makes the others retry with growing
    sleeps (1, 2, 5 … 100 ms, whatever the holder's progress): within this process,
    confirmations queue on a lock instead, each writing the moment the one before commits.
    PostgreSQL locks rows, not the database: nothing to queue for there."""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _writers_guard:
        lock = _writers.setdefault(str(engine.url), threading.Lock())
    with lock:
        yield


def book(
    engine: Engine,
    *,
    task_code: str,
    hall_code: str,
    day: date,
    start: str,
    applicant: Applicant,
    openid: str | None,
    cipher: FieldCipher,
    config: BookingConfig,
    now: datetime | None = None,
) -> Confirmation:
    """:func:`confirm` in a transaction of its own (rolled back on a refusal): the reads
    first, then the writes and the commit in one short stretch."""
    with session_scope(engine) as session:
        item, hall, window, policy = _place_and_policy(session, task_code, hall_code, config)
        checked = _check(
            session,
            SlotBoard(session, config),
            policy,
            item=item,
            hall=hall,
            window=window,
            day=day,
            start=start,
            applicant=applicant,
            openid=openid,
            cipher=cipher,
            now=_now(now),
        )
        if isinstance(checked, Confirmation):
            return checked
        with _one_writer(engine):
            try:
                made = _write(session, checked, config)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        return made


# ------------------------------------------------------------------ after confirming


def _active(session: Session, number: str, openid: str | None) -> Booking:
    booking = find_booking(session, number, lock=True)
    if booking is None or (openid is not None and booking.openid != openid):
        raise BookingRefused(Refusal.NOT_FOUND)
    if booking.status != BookingStatus.CONFIRMED.value:
        raise BookingRefused(Refusal.NOT_ACTIVE, booking=booking)
    return booking


def change_deadline(booking: Booking, policy: BookingPolicy) -> datetime:
    """The last moment a citizen may cancel or move the booking themselves."""
    return starts_at(booking) - timedelta(minutes=policy.cancel_before_minutes.value)


def cancel(
    session: Session,
    number: str,
    config: BookingConfig,
    *,
    openid: str | None = None,
    by: CancelReason = CancelReason.CITIZEN,
    now: datetime | None = None,
) -> Booking:
    """Cancel a booking and give its place back. A citizen (``openid``) must do it before the
    policy's deadline; staff may at any time."""
    now = _now(now)
    booking = _active(session, number, openid)
    if by is CancelReason.CITIZEN:
        policy = booking_policy(session, booking, config)
        if now > change_deadline(booking, policy):
            raise BookingRefused(Refusal.TOO_LATE, booking=booking, policy=policy)
    give_back_place(session, booking.slot_id)
    release(session, booking.id, ClaimKind)
    booking.status = BookingStatus.CANCELLED.value
    booking.cancel_reason = by.value
    booking.cancelled_at = booking.updated_at = now
    session.flush()
    return booking


def reschedule(
    session: Session,
    number: str,
    day: date,
    start: str,
    config: BookingConfig,
    *,
    openid: str | None = None,
    now: datetime | None = None,
    board: SlotBoard | None = None,
) -> Booking:
    """Move a booking to another slot of the same item and hall, within the policy."""
    now = _now(now)
    booking = _active(session, number, openid)
    item, hall, _ = place_of_booking(session, booking.task_code, booking.hall_code)
    board = board or SlotBoard(session, config)
    policy = board.policy(item, hall)
    if now > change_deadline(booking, policy):
        raise BookingRefused(Refusal.TOO_LATE, booking=booking, policy=policy)
    if booking.reschedules >= policy.max_reschedules.value:
        raise BookingRefused(Refusal.RESCHEDULE_LIMIT, booking=booking, policy=policy)
    if booking.day == day and booking.start == start:
        raise BookingRefused(Refusal.SAME_SLOT, booking=booking, policy=policy)
    slot = _offered_slot(board, item, hall, day, start, now, policy)
    if day != booking.day:
        old_keys = list(
            session.execute(
                select(BookingClaim.key).where(
                    BookingClaim.booking_id == booking.id,
                    BookingClaim.kind == ClaimKind.PERSON_DAY.value,
                )
            ).scalars()
        )
        for old in old_keys:
            person = old.split(":")[1]
            key = day_key(person, day)
            if not claim(session, key, ClaimKind.PERSON_DAY, day):
                raise BookingRefused(
                    Refusal.ALREADY_BOOKED_DAY, booking=holder(session, key), policy=policy
                )
            session.execute(
                update(BookingClaim)
                .where(BookingClaim.key == key)
                .values(booking_id=booking.id)
                .execution_options(synchronize_session=False)
            )
        session.execute(delete(BookingClaim).where(BookingClaim.key.in_(old_keys)))
        session.execute(
            update(BookingClaim)
            .where(
                BookingClaim.booking_id == booking.id,
                BookingClaim.kind == ClaimKind.PERSON_ITEM.value,
            )
            .values(day=day)
            .execution_options(synchronize_session=False)
        )
    new_id = slot_row(session, item.task_code, hall.code, slot)
    # both counter rows locked in id order: two reschedules swapping slots cannot deadlock
    session.execute(
        select(BookingSlot.id)
        .where(BookingSlot.id.in_([new_id, booking.slot_id]))
        .order_by(BookingSlot.id)
        .with_for_update()
    ).all()
    if not take_place(session, new_id, slot.capacity):
        raise BookingRefused(Refusal.SLOT_FULL, booking=booking, policy=policy)
    give_back_place(session, booking.slot_id)
    booking.slot_id, booking.day = new_id, day
    booking.start, booking.end = slot.key, f"{slot.end:%H:%M}"
    booking.reschedules += 1
    booking.reminded_at = None
    booking.change_told = booking.change_told_at = None
    booking.updated_at = now
    session.flush()
    return booking


def upcoming(session: Session, openid: str, today: date) -> list[Booking]:
    """A citizen's confirmed bookings from today on, soonest first."""
    return list(
        session.execute(
            select(Booking)
            .where(
                Booking.openid == openid,
                Booking.status == BookingStatus.CONFIRMED.value,
                Booking.day >= today,
            )
            .order_by(Booking.day, Booking.start, Booking.id)
        ).scalars()
    )
