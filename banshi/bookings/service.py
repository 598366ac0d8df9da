"""Making, moving and closing bookings, with the guarantees that matter under load.

- Capacity is never exceeded: a place is taken by one conditional UPDATE of the slot's
  counter row (``booked = booked + 1 WHERE booked < capacity``), which PostgreSQL and SQLite
  both apply atomically; a confirmation that finds no place changes nothing.
- Limits hold under concurrency because each is a row with a unique key in
  ``booking_claim``, inserted with ON CONFLICT DO NOTHING: the idempotency key of a citizen,
  slot and person (a retried push or a double 确认 returns the first booking), one booking per
  ID number per day, one open booking per ID number and item. The loser of a race finds the
  key taken once the winner commits.
- Locks are taken in one order (claims, then slot rows by id, then the day's number counter),
  so concurrent confirmations and reschedules queue instead of deadlocking.

The claims, counters and numbers are in :mod:`banshi.bookings.ledger`; check-in and no-shows
in :mod:`banshi.bookings.attendance`.

Call each function inside one transaction (``session_scope``); a :class:`BookingRefused`
must roll it back, which :func:`book` does for callers that want a one-call confirmation.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.bookings.attendance import ban_until
from banshi.bookings.config import BookingConfig
from banshi.bookings.ledger import (
    ClaimKind,
    booking_policy,
    claim,
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
)
from banshi.bookings.models import Booking, BookingClaim, BookingSlot
from banshi.bookings.people import Applicant, seal
from banshi.bookings.policy import BookingPolicy
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
    offered = board.day(item, hall, day, now, policy)
    slot = offered.slot(start)
    if slot is not None:
        return slot
    if offered.reason is not None and offered.reason is not NoSlots.FULL:
        raise BookingRefused(Refusal.DAY_UNAVAILABLE, no_slots=offered.reason, policy=policy)
    raise BookingRefused(Refusal.NO_SUCH_SLOT, policy=policy)


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
) -> Confirmation:
    """Book ``applicant`` into the slot starting at ``start`` on ``day``; raises
    :class:`BookingRefused` (roll the transaction back then)."""
    now = _now(now)
    board = board or SlotBoard(session, config)
    policy = board.policy(item, hall)
    if policy.parties.value == 2 and not (applicant.companion_name and applicant.companion_id):
        raise BookingRefused(Refusal.COMPANION_NEEDED, policy=policy)
    sealed = seal(cipher, applicant)
    idem = idempotency_key(openid or "", item.task_code, hall.code, day, start, sealed.id_index)
    # Reads first: on SQLite the first write takes the database's write lock until commit.
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
    if not claim(session, idem, ClaimKind.IDEMPOTENCY, day):
        earlier = holder(session, idem)
        if earlier is not None:
            return Confirmation(earlier, created=False)
    keys: list[str] = [idem]
    if policy.one_per_person_per_day.value:
        for person in sealed.indexes:
            key = day_key(person, day)
            if not claim(session, key, ClaimKind.PERSON_DAY, day):
                raise BookingRefused(
                    Refusal.ALREADY_BOOKED_DAY, booking=holder(session, key), policy=policy
                )
            keys.append(key)
    if policy.one_open_per_item.value:
        key = item_key(sealed.id_index, item.task_code)
        taken = claim(session, key, ClaimKind.PERSON_ITEM, day)
        if not taken:  # a claim of a booking whose day passed unmarked no longer counts
            stale = delete(BookingClaim).where(
                BookingClaim.key == key, BookingClaim.day < now.date()
            )
            taken = bool(session.execute(stale).rowcount) and claim(
                session, key, ClaimKind.PERSON_ITEM, day
            )
        if not taken:
            raise BookingRefused(
                Refusal.ALREADY_BOOKED_ITEM, booking=holder(session, key), policy=policy
            )
        keys.append(key)
    slot_id = take_place_in(session, item.task_code, hall.code, slot)
    if slot_id is None:
        raise BookingRefused(Refusal.SLOT_FULL, policy=policy)
    booking = Booking(
        number=next_number(session, config.number_prefix, now.date()),
        openid=openid,
        task_code=item.task_code,
        item_name=item.name,
        hall_code=hall.code,
        window_no=window.window_no if window is not None else "",
        slot_id=slot_id,
        day=day,
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
    session.flush()
    session.execute(
        update(BookingClaim)
        .where(BookingClaim.key.in_(keys))
        .values(booking_id=booking.id)
        .execution_options(synchronize_session=False)
    )
    return Confirmation(booking, created=True)


def place_of_booking(
    session: Session, task_code: str, hall_code: str
) -> tuple[Item, Hall, Window | None]:
    """The item, hall and window of a booking request; LookupError names what is missing."""
    item = find_item(session, task_code)
    if item is None:
        raise LookupError(f"没有实施编码为 {task_code} 的事项")
    place = hall_for(session, item, hall_code)
    if place is None:
        raise LookupError(f"大厅 {hall_code} 不办理【{item.name}】")
    return item, place[0], place[1]


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
    """:func:`confirm` in a transaction of its own (rolled back on a refusal)."""
    with session_scope(engine) as session:
        item, hall, window = place_of_booking(session, task_code, hall_code)
        return confirm(
            session,
            item=item,
            hall=hall,
            window=window,
            day=day,
            start=start,
            applicant=applicant,
            openid=openid,
            cipher=cipher,
            config=config,
            now=now,
        )


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
