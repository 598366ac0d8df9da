"""The lean confirmation path: one slot validated instead of the day board (the same refusals),
the item's policy read with its overrides on every confirmation, claims taken in one
statement (twins, couples either way round), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from banshi.bookings import (
    BookingRefused,
    Confirmation,
    NoSlots,
    Refusal,
    SlotBoard,
    clear_override,
    set_override,
)
from banshi.bookings.models import BookingClaim, BookingSlot
from banshi.bookings.slots import find_item, hall_for
from banshi.calendar import HallDayKind, set_hall_day
from banshi.db import session_scope
from tests.banshi.bookings.conftest import (
    CENTRE,
    COMMUNITY,
    CONFIG,
    DRIVING_LICENCE,
    ID_CARD_RENEWAL,
    MARRIAGE,
    NOW,
    VEHICLES,
    make_id,
    person,
)
from tests.banshi.bookings.test_booking import TUESDAY, at_once, attempt, refusal_of

TEACHER = "11139900MB1A00090W3000106005000"  # 教师资格认定: not bookable outside its 批次
Outcome = Refusal | NoSlots | None  # None: booked


def board_says(db: Engine, code: str, hall: str, day: date, start: str, now: datetime) -> Outcome:
    """What the day board (places counted) implies a confirmation of ``start`` must meet."""
    with session_scope(db) as session:
        item = find_item(session, code)
        assert item is not None
        place = hall_for(session, item, hall)
        assert place is not None
        offered = SlotBoard(session, CONFIG).day(item, place[0], day, now)
    slot = offered.slot(start)
    if slot is None:
        if offered.reason is not None and offered.reason is not NoSlots.FULL:
            return offered.reason
        return Refusal.NO_SUCH_SLOT
    return Refusal.SLOT_FULL if slot.left == 0 else None


def confirming_says(call: Callable[[], Confirmation]) -> Outcome:
    try:
        call()
    except BookingRefused as refused:
        if refused.refusal is Refusal.DAY_UNAVAILABLE:
            assert refused.no_slots is not None
            return refused.no_slots
        return refused.refusal
    return None


def test_confirming_one_slot_refuses_exactly_as_the_day_board(db: Engine) -> None:
    with session_scope(db) as session:
        set_hall_day(session, CENTRE, date(2026, 12, 9), HallDayKind.CLOSED, now=NOW)
        set_hall_day(
            session, CENTRE, date(2026, 12, 10), HallDayKind.HOURS, [["09:00", "11:00"]], now=NOW
        )
        # the licence: one slot a day (09:00-17:00) with one place, to see a full day
        set_override(session, DRIVING_LICENCE, "slot_minutes", 480, now=NOW)
        set_override(session, DRIVING_LICENCE, "daily_quota", 1, now=NOW)
    cases: list[tuple[str, str, date, str, datetime]] = [
        (ID_CARD_RENEWAL, CENTRE, date(2026, 12, 4) + timedelta(days=d), start, NOW)
        for d in range(17)  # past, today, closed, short hours, Saturday, Sunday, the horizon
        for start in ("08:30", "09:00", "10:30", "12:00", "16:30")
    ]
    cases += [
        (ID_CARD_RENEWAL, CENTRE, date(2027, 1, 4), "09:00", datetime(2026, 12, 28, 9, 0)),
        (TEACHER, CENTRE, TUESDAY, "09:00", NOW),
        (DRIVING_LICENCE, VEHICLES, TUESDAY, "09:00", NOW),  # booked: the day is full now
        (DRIVING_LICENCE, VEHICLES, TUESDAY, "09:00", NOW),
        (DRIVING_LICENCE, VEHICLES, TUESDAY, "10:00", NOW),
    ]
    seen: set[Outcome] = set()
    for n, (code, hall, day, start, now) in enumerate(cases):
        expected = board_says(db, code, hall, day, start, now)
        who, openid = person(100 + n), f"o-same-{n}"
        got = confirming_says(
            partial(attempt, db, who, openid, code=code, hall=hall, day=day, start=start, now=now)
        )
        assert got == expected, (code, day, start)
        seen.add(got)
    assert seen == {
        None,
        Refusal.NO_SUCH_SLOT,
        Refusal.SLOT_FULL,
        NoSlots.PAST,
        NoSlots.BEFORE_LEAD_TIME,
        NoSlots.CLOSED,
        NoSlots.WEEKEND,
        NoSlots.BEYOND_HORIZON,
        NoSlots.UNKNOWN_YEAR,
        NoSlots.NOT_BOOKABLE,
    }


def test_a_staff_override_applies_to_the_next_confirmation(db: Engine) -> None:
    def renewal(n: int) -> Outcome:
        return confirming_says(lambda: attempt(db, person(200 + n), f"o-staff-{n}"))

    with session_scope(db) as session:  # another hall's override does not apply here
        set_override(session, ID_CARD_RENEWAL, "bookable", False, hall_code=COMMUNITY, now=NOW)
    assert renewal(0) is None
    with session_scope(db) as session:
        set_override(session, ID_CARD_RENEWAL, "bookable", False, now=NOW)
    assert renewal(1) is NoSlots.NOT_BOOKABLE
    with session_scope(db) as session:  # this hall's own override wins over every hall's
        set_override(session, ID_CARD_RENEWAL, "bookable", True, hall_code=CENTRE, now=NOW)
    assert renewal(2) is None
    with session_scope(db) as session:
        assert clear_override(session, ID_CARD_RENEWAL, "bookable", hall_code=CENTRE)
    assert renewal(3) is NoSlots.NOT_BOOKABLE
    with session_scope(db) as session:
        assert clear_override(session, ID_CARD_RENEWAL, "bookable")
        set_override(session, ID_CARD_RENEWAL, "parties", 2, hall_code=CENTRE, now=NOW)
    assert renewal(4) is Refusal.COMPANION_NEEDED


def test_twin_confirmations_leave_only_the_winners_claims(db: Engine) -> None:
    results = at_once([lambda: attempt(db, person(300), "o-twin") for _ in range(8)])
    made = [r for r in results if isinstance(r, Confirmation)]
    assert len(made) == 8 and sum(c.created for c in made) == 1
    assert len({c.booking.number for c in made}) == 1
    with session_scope(db) as session:
        claims = session.execute(select(BookingClaim.kind, BookingClaim.booking_id)).all()
        assert sorted(kind for kind, _ in claims) == ["idempotency", "person_day", "person_item"]
        assert {booking_id for _, booking_id in claims} == {made[0].booking.id}
        assert session.execute(select(BookingSlot.booked)).scalar_one() == 1


def test_a_couple_booked_twice_either_way_round_makes_one_booking(db: Engine) -> None:
    first, second = make_id(401), make_id(402)
    couples = [
        person(401, companion_name="李四", companion_id=second),
        person(402, companion_name="李五", companion_id=first),
    ]

    def couple(n: int) -> Callable[[], Confirmation]:
        return lambda: attempt(db, couples[n % 2], f"o-couple-{n}", code=MARRIAGE)

    results = at_once([couple(n) for n in range(6)])  # a deadlock would raise here
    made = [r for r in results if isinstance(r, Confirmation)]
    refused = [r for r in results if isinstance(r, BookingRefused)]
    assert len(made) == 1 and len(refused) == 5
    assert {r.refusal for r in refused} <= {Refusal.ALREADY_BOOKED_DAY, Refusal.ALREADY_BOOKED_ITEM}
    with session_scope(db) as session:
        assert session.execute(select(func.sum(BookingSlot.booked))).scalar_one() == 1
        held = session.execute(select(func.count()).select_from(BookingClaim)).scalar_one()
        assert held == 4  # idempotency, both days, the applicant's item
    again = refusal_of(lambda: attempt(db, couples[1], "o-couple-late", code=MARRIAGE))
    assert again.refusal is Refusal.ALREADY_BOOKED_DAY and again.number == made[0].booking.number
