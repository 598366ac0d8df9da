"""Confirming under contention, idempotency, per-person limits, cancel and reschedule rules,
check-in, no-shows and the ban, reminders, disruptions, erasure; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from banshi.bookings import (
    Applicant,
    BookingRefused,
    BookingStatus,
    CancelReason,
    Confirmation,
    Disruption,
    Refusal,
    affected_bookings,
    book,
    cancel,
    check_in,
    due_reminders,
    erase_citizen,
    find_booking,
    mark_no_show,
    release_reminder,
    reschedule,
    set_override,
    upcoming,
)
from banshi.bookings.cli import check_in_json, list_json, remind_json
from banshi.bookings.models import Booking, BookingClaim, BookingDraft, BookingSlot
from banshi.calendar import HallDayKind, set_hall_day
from banshi.db import session_scope
from banshi.models import STATE_SUSPENDED, Item
from tests.banshi.bookings.conftest import (
    CENTRE,
    CIPHER,
    CONFIG,
    DRIVING_LICENCE,
    ID_CARD_RENEWAL,
    MARRIAGE,
    NOW,
    VEHICLES,
    make_id,
    person,
)

T = TypeVar("T")
TUESDAY = date(2026, 12, 8)


def attempt(
    db: Engine,
    who: Applicant,
    openid: str,
    *,
    code: str = ID_CARD_RENEWAL,
    hall: str = CENTRE,
    day: date = TUESDAY,
    start: str = "09:00",
    now: datetime = NOW,
) -> Confirmation:
    return book(
        db,
        task_code=code,
        hall_code=hall,
        day=day,
        start=start,
        applicant=who,
        openid=openid,
        cipher=CIPHER,
        config=CONFIG,
        now=now,
    )


def refusal_of(call: Callable[[], object]) -> BookingRefused:
    with pytest.raises(BookingRefused) as raised:
        call()
    return raised.value


def at_once(jobs: list[Callable[[], T]]) -> list[T | BookingRefused]:
    """Run ``jobs`` in parallel threads released together; refusals are returned, not raised."""
    gate = threading.Barrier(len(jobs))

    def run(job: Callable[[], T]) -> T | BookingRefused:
        gate.wait()
        try:
            return job()
        except BookingRefused as refused:
            return refused

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_200_confirmations_for_10_places_make_exactly_10(db: Engine) -> None:
    with session_scope(db) as session:  # one slot a day, 09:00-17:00, 10 places
        set_override(session, DRIVING_LICENCE, "slot_minutes", 480, now=NOW)
        set_override(session, DRIVING_LICENCE, "daily_quota", 10, now=NOW)

    def licence(n: int) -> Callable[[], Confirmation]:
        return lambda: attempt(db, person(n), f"o-{n}", code=DRIVING_LICENCE, hall=VEHICLES)

    results = at_once([licence(n) for n in range(200)])
    made = [r for r in results if isinstance(r, Confirmation)]
    refused = [r for r in results if isinstance(r, BookingRefused)]
    assert len(made) == 10 and all(c.created for c in made)
    assert {r.refusal for r in refused} == {Refusal.SLOT_FULL} and len(refused) == 190
    assert len({c.booking.number for c in made}) == 10
    with session_scope(db) as session:
        assert session.execute(select(BookingSlot.booked)).scalar_one() == 10
        assert session.execute(select(func.count()).select_from(Booking)).scalar_one() == 10
        # the refused left no claim behind
        assert session.execute(select(func.count()).select_from(BookingClaim)).scalar_one() == 30


def test_a_retried_or_double_confirmation_makes_one_booking(db: Engine) -> None:
    results = at_once([lambda: attempt(db, person(1), "o-double") for _ in range(5)])
    assert all(isinstance(r, Confirmation) for r in results)
    made = [r for r in results if isinstance(r, Confirmation)]
    assert len({c.booking.number for c in made}) == 1
    assert sum(c.created for c in made) == 1
    again = attempt(db, person(1), "o-double")
    assert not again.created and again.booking.number == made[0].booking.number
    with session_scope(db) as session:
        assert session.execute(select(BookingSlot.booked)).scalar_one() == 1


def test_one_id_number_five_parallel_attempts_one_booking(db: Engine) -> None:
    starts = ["09:00", "10:00", "11:00", "13:30", "14:30"]

    def at(i: int, start: str) -> Callable[[], Confirmation]:
        return lambda: attempt(db, person(7), f"o-{i}", start=start)

    results = at_once([at(i, s) for i, s in enumerate(starts)])
    made = [r for r in results if isinstance(r, Confirmation)]
    refused = [r for r in results if isinstance(r, BookingRefused)]
    assert len(made) == 1
    assert {r.refusal for r in refused} <= {Refusal.ALREADY_BOOKED_DAY, Refusal.ALREADY_BOOKED_ITEM}
    with session_scope(db) as session:
        assert sum(session.execute(select(BookingSlot.booked)).scalars()) == 1
    # another day, same item: one open booking per item
    other_day = refusal_of(lambda: attempt(db, person(7), "o-0", day=date(2026, 12, 9)))
    assert other_day.refusal is Refusal.ALREADY_BOOKED_ITEM
    # another item the same day: one booking per person per day
    licence = refusal_of(lambda: attempt(db, person(7), "o-0", code=DRIVING_LICENCE, hall=VEHICLES))
    assert licence.refusal is Refusal.ALREADY_BOOKED_DAY
    assert licence.number == made[0].booking.number
    # once the day has passed unmarked (no check-in, no no-show), the item is free again
    later = datetime(2026, 12, 10, 9, 0)
    assert attempt(db, person(7), "o-0", day=date(2026, 12, 11), now=later).created


def test_what_a_booking_stores_is_encrypted_and_masked(db: Engine) -> None:
    made = attempt(db, person(3), "o-store")
    number = made.booking.number
    assert number.startswith("YY20261207") and len(number) == 14
    with session_scope(db) as session:
        stored = find_booking(session, number.lower())
        assert stored is not None
        row = {c: getattr(stored, c) for c in ("name_enc", "mobile_enc", "id_enc")}
        assert all(v.startswith("g1.") for v in row.values())
        assert make_id(3) not in str(row) and CIPHER.decrypt(stored.id_enc) == make_id(3)
        assert (stored.name_masked, stored.mobile_masked) == ("张*", "138****0003")
        assert stored.id_masked == make_id(3)[:3] + "*" * 11 + make_id(3)[-4:]
        listed = list_json(session, TUESDAY, CENTRE)
        assert [b["number"] for b in listed] == [number]
        assert listed[0]["id_number"] == stored.id_masked and listed[0]["slot"] == "09:00-10:00"
        assert listed[0]["window"] == "F01" and listed[0]["status"] == "confirmed"


def test_both_parties_are_needed_where_the_rule_says_so(db: Engine) -> None:
    alone = refusal_of(lambda: attempt(db, person(4), "o-wed", code=MARRIAGE))
    assert alone.refusal is Refusal.COMPANION_NEEDED
    couple = person(4, companion_name="李四", companion_id=make_id(5))
    made = attempt(db, couple, "o-wed", code=MARRIAGE)
    assert made.booking.companion_masked.startswith("李*")
    # the companion's day is taken too
    taken = refusal_of(
        lambda: attempt(db, person(5), "o-other", code=DRIVING_LICENCE, hall=VEHICLES)
    )
    assert taken.refusal is Refusal.ALREADY_BOOKED_DAY


def test_cancel_gives_the_place_back_until_the_deadline(db: Engine) -> None:
    made = attempt(db, person(8), "o-cancel", start="10:00")
    number = made.booking.number
    with session_scope(db) as session:
        wrong = refusal_of(lambda: cancel(session, number, CONFIG, openid="o-someone", now=NOW))
        assert wrong.refusal is Refusal.NOT_FOUND
    late = datetime(2026, 12, 8, 8, 1)  # 10:00 minus 2 hours has passed
    with session_scope(db) as session:
        refused = refusal_of(lambda: cancel(session, number, CONFIG, openid="o-cancel", now=late))
        assert refused.refusal is Refusal.TOO_LATE
    with session_scope(db) as session:
        done = cancel(session, number, CONFIG, openid="o-cancel", now=NOW)
        assert done.status == BookingStatus.CANCELLED.value and done.cancel_reason == "citizen"
    with session_scope(db) as session:
        assert session.execute(select(BookingSlot.booked)).scalar_one() == 0
        again = refusal_of(lambda: cancel(session, number, CONFIG, openid="o-cancel", now=NOW))
        assert again.refusal is Refusal.NOT_ACTIVE
    # the same person can book the same slot again
    rebooked = attempt(db, person(8), "o-cancel", start="10:00")
    assert rebooked.created and rebooked.booking.number != number
    with session_scope(db) as session:
        staff = cancel(session, rebooked.booking.number, CONFIG, by=CancelReason.STAFF, now=late)
        assert staff.cancel_reason == "staff"


def test_reschedule_within_the_policy(db: Engine) -> None:
    made = attempt(db, person(9), "o-move")
    number = made.booking.number
    with session_scope(db) as session:
        moved = reschedule(
            session, number, date(2026, 12, 10), "14:30", CONFIG, openid="o-move", now=NOW
        )
        assert (moved.day, moved.start, moved.end, moved.reschedules) == (
            date(2026, 12, 10),
            "14:30",
            "15:30",
            1,
        )
    with session_scope(db) as session:
        counts = dict(session.execute(select(BookingSlot.start, BookingSlot.booked)).all())
        assert counts == {"09:00": 0, "14:30": 1}
        beyond = refusal_of(
            lambda: reschedule(
                session, number, date(2026, 12, 17), "09:00", CONFIG, openid="o-move", now=NOW
            )
        )
        assert beyond.refusal is Refusal.DAY_UNAVAILABLE and beyond.no_slots is not None
        assert beyond.no_slots.value == "beyond_horizon"
        same = refusal_of(
            lambda: reschedule(
                session, number, date(2026, 12, 10), "14:30", CONFIG, openid="o-move", now=NOW
            )
        )
        assert same.refusal is Refusal.SAME_SLOT
    with session_scope(db) as session:
        reschedule(session, number, date(2026, 12, 11), "09:00", CONFIG, openid="o-move", now=NOW)
    with session_scope(db) as session:
        limit = refusal_of(
            lambda: reschedule(
                session, number, date(2026, 12, 14), "09:00", CONFIG, openid="o-move", now=NOW
            )
        )
        assert limit.refusal is Refusal.RESCHEDULE_LIMIT
    # the day claim moved with the booking: the old day is free for this person again
    assert attempt(db, person(9), "o-move", code=DRIVING_LICENCE, hall=VEHICLES).created
    taken = refusal_of(
        lambda: attempt(
            db, person(9), "o-move", code=DRIVING_LICENCE, hall=VEHICLES, day=date(2026, 12, 11)
        )
    )
    assert taken.refusal is Refusal.ALREADY_BOOKED_DAY


def test_check_in_no_show_and_the_ban(db: Engine) -> None:
    numbers = [
        attempt(db, person(11), "o-late", day=date(2026, 12, 8)).booking.number,
        attempt(
            db, person(11), "o-late", code=DRIVING_LICENCE, hall=VEHICLES, day=date(2026, 12, 9)
        ).booking.number,
    ]
    with session_scope(db) as session:
        wrong_day = refusal_of(lambda: check_in(session, numbers[0], NOW))
        assert wrong_day.refusal is Refusal.WRONG_DAY
        early = refusal_of(
            lambda: mark_no_show(session, numbers[0], CONFIG, datetime(2026, 12, 8, 9, 20))
        )
        assert early.refusal is Refusal.TOO_EARLY
        arrived = check_in_json(session, numbers[0], datetime(2026, 12, 8, 9, 12))
        assert arrived["status"] == "checked_in" and arrived["minutes_late"] == 12
        assert check_in(session, numbers[0], datetime(2026, 12, 8, 9, 13)).status == "checked_in"
        assert (
            mark_no_show(session, numbers[1], CONFIG, datetime(2026, 12, 9, 10, 0)).status
            == "no_show"
        )
    # two more no-shows within 30 days suspend booking for 30 days (the default rule: 3 in 30)
    for n, day in enumerate([date(2026, 12, 10), date(2026, 12, 11)]):
        number = attempt(
            db, person(11), "o-late", code=DRIVING_LICENCE, hall=VEHICLES, day=day
        ).booking.number
        with session_scope(db) as session:
            mark_no_show(
                session,
                number,
                CONFIG,
                datetime(day.year, day.month, day.day, 12, 0) + timedelta(hours=n),
            )
    banned = refusal_of(
        lambda: attempt(
            db, person(11), "o-late", day=date(2026, 12, 14), now=datetime(2026, 12, 12, 9, 0)
        )
    )
    assert banned.refusal is Refusal.BANNED and banned.until == date(2027, 1, 10)


def test_reminders_are_claimed_once(db: Engine) -> None:
    first = attempt(db, person(12), "o-rem").booking
    attempt(db, person(13), "o-rem2", day=date(2026, 12, 9))
    with session_scope(db) as session:
        out = remind_json(session, NOW.date(), NOW)
        assert [r["number"] for r in out["reminders"]] == [first.number]
        assert (
            "明天" in out["reminders"][0]["text"]
            and "示范市政务服务中心 F01窗口" in out["reminders"][0]["text"]
        )
    with session_scope(db) as session:
        assert due_reminders(session, NOW.date(), NOW) == []
        release_reminder(session, first.id)
    with session_scope(db) as session:
        assert [r.number for r in due_reminders(session, NOW.date(), NOW)] == [first.number]


def test_bookings_a_change_disrupts_are_told_once(db: Engine) -> None:
    renewal = attempt(db, person(14), "o-dis", start="16:30").booking
    licence = attempt(
        db, person(15), "o-dis2", code=DRIVING_LICENCE, hall=VEHICLES, day=date(2026, 12, 9)
    ).booking
    with session_scope(db) as session:
        assert affected_bookings(session, NOW.date(), NOW) == []
        set_hall_day(session, CENTRE, TUESDAY, HallDayKind.HOURS, [["09:00", "12:00"]], now=NOW)
        session.execute(
            update(Item).where(Item.task_code == DRIVING_LICENCE).values(state=STATE_SUSPENDED)
        )
    try:
        with session_scope(db) as session:
            told = {a.number: a.disruption for a in affected_bookings(session, NOW.date(), NOW)}
            assert told == {
                renewal.number: Disruption.HOURS_CHANGED,
                licence.number: Disruption.ITEM_SUSPENDED,
            }
        with session_scope(db) as session:
            assert affected_bookings(session, NOW.date(), NOW) == []
            set_hall_day(session, CENTRE, TUESDAY, HallDayKind.CLOSED, now=NOW)
        with session_scope(db) as session:
            closed = affected_bookings(session, NOW.date(), NOW)
            assert [(a.number, a.disruption) for a in closed] == [
                (renewal.number, Disruption.HALL_CLOSED)
            ]
            assert "大厅当天不开放" in closed[0].text
    finally:
        with session_scope(db) as session:
            session.execute(update(Item).where(Item.task_code == DRIVING_LICENCE).values(state="1"))


def test_erasing_a_citizen_keeps_anonymous_bookings(db: Engine) -> None:
    made = attempt(db, person(16), "o-gone").booking
    with session_scope(db) as session:
        session.add(BookingDraft(openid="o-gone", name_enc="x", created_at=NOW, updated_at=NOW))
    with session_scope(db) as session:
        assert erase_citizen(session, "o-gone", NOW) == 1
    with session_scope(db) as session:
        kept = find_booking(session, made.number)
        assert kept is not None and kept.openid is None and kept.id_enc is None
        assert kept.status == "cancelled" and kept.cancel_reason == "unsubscribed"
        assert (kept.item_name, kept.day) == ("居民身份证换领", TUESDAY)
        assert kept.name_masked == "" and kept.id_index is None
        assert session.execute(select(func.count()).select_from(BookingDraft)).scalar_one() == 0
        assert session.execute(select(BookingSlot.booked)).scalar_one() == 0
        assert upcoming(session, "o-gone", NOW.date()) == []
