"""Benchmark of appointments (issue 14): free-slot queries, confirmations under load, contention.

For each backend — a SQLite file in a temporary directory, and a fresh schema in PostgreSQL's
``test`` database (dropped afterwards) — it builds a synthetic catalog of 5 halls × 60 bookable
items (half-hour slots, 60 places a day, 提前1至5个工作日), the 2026 calendar, and 20,000
existing bookings spread over the booking horizon (with their encrypted fields and claims), then:

  (a) free-slot query: ``slots_json`` for a random item, hall and day, each in a new session
      (what ``banshi bookings slots`` and the desk do): p50 / p95 / p99, target p95 ≤ 20 ms;
  (b) confirm: one citizen alone first (the floor: about 17 statements and a commit), then
      20 citizens in parallel threads, each confirming bookings one after another (``book``,
      its own transaction): p50 / p95 / p99, target p95 ≤ 50 ms. On 2 cores the parallel
      figure is bound by the client's CPU (SQLAlchemy under the GIL) and, on SQLite, by its
      single writer and busy-wait back-off, not by row locks;
  (c) contention: 200 confirmations released together for one slot with 10 places: exactly 10
      must be made, every other refused as full.

    cd /work/main && .venv/bin/python bench/bookings_bench.py [--skip-postgres]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from banshi.bookings import BookingConfig, BookingRefused, Refusal, book, set_override  # noqa: E402
from banshi.bookings.cli import slots_json  # noqa: E402
from banshi.bookings.ledger import ClaimKind, day_key, idempotency_key, item_key  # noqa: E402
from banshi.bookings.models import Booking, BookingClaim, BookingSlot  # noqa: E402
from banshi.bookings.people import Applicant, seal  # noqa: E402
from banshi.bookings.slots import SlotBoard  # noqa: E402
from banshi.calendar import seed_from_chinesecalendar  # noqa: E402
from banshi.catalog import get_item  # noqa: E402
from banshi.db import make_engine, migrate, session_scope  # noqa: E402
from banshi.models import Hall, Item, Window  # noqa: E402
from banshi.privacy.crypto import FieldCipher  # noqa: E402
from banshi.privacy.idnumbers import id_check_char  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 12, 7, 8, 0)  # a Monday morning
HALLS, ITEMS_PER_HALL, EXISTING = 5, 60, 20_000
CITIZENS, CONFIRMS_EACH = 20, 25
QUERIES = 500
TARGET_QUERY_P95_MS, TARGET_CONFIRM_P95_MS = 20.0, 50.0
RULE = (
    "通过“冀时办”APP或示范市政务服务网提前1至5个工作日预约，每半小时一个时段，每日可预约60个号；"
    "请凭预约码于预约时段内到大厅取号，迟到超过15分钟的预约自动作废。"
)
CIPHER = FieldCipher(b"bookings-bench-secret-0123456789abcdefgh")
CONFIG = BookingConfig()
HOURS = [["09:00", "12:00"], ["13:30", "17:00"]]
WEEK = {k: HOURS for k in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [["09:00", "12:00"]],
    "sun": [],
}


def id_number(n: int) -> str:
    birth = date(1950, 1, 1) + timedelta(days=n // 100)
    first17 = f"130102{birth:%Y%m%d}{n % 100:02d}1"
    return first17 + id_check_char(first17)


def applicant(n: int) -> Applicant:
    return Applicant("王小明", f"139{n:08d}", id_number(n))


# ------------------------------------------------------------------ databases


@contextmanager
def sqlite_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="bookings-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_engine() -> Iterator[Engine]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# ------------------------------------------------------------------ synthetic data


def build_catalog(engine: Engine) -> list[tuple[str, str]]:
    """5 halls with a window each listing 60 bookable items; returns (task_code, hall_code)."""
    pairs: list[tuple[str, str]] = []
    stamp = NOW.replace(hour=0)
    with session_scope(engine) as session:
        for h in range(HALLS):
            hall = Hall(
                code=f"HB{h:08d}",
                name=f"示范市第{h + 1}政务服务中心",
                address=f"示范市测试路{h + 1}号",
                weekly_hours=WEEK,
                holiday_rule="closed",
                content_hash="bench",
                synced_at=stamp,
            )
            session.add(hall)
            session.flush()
            codes = []
            for i in range(ITEMS_PER_HALL):
                n = h * ITEMS_PER_HALL + i
                code = f"11139900MB1A00010P30020{n:08d}"
                codes.append(code)
                session.add(
                    Item(
                        task_code=code,
                        task_guid=f"bench-{n}",
                        catalog_code=code[-12:],
                        name=f"测试预约事项{n}",
                        task_type="20",
                        version=1,
                        state="1",
                        center_name=hall.name,
                        is_schedule="1",
                        schedule_num=60,
                        schedule_rule=RULE,
                        content_hash="bench",
                        synced_at=stamp,
                    )
                )
                pairs.append((code, hall.code))
            session.add(Window(hall_id=hall.id, window_no="A01", name="综合窗口", task_codes=codes))
        seed_from_chinesecalendar(session, [2026])
    return pairs


def fill_bookings(engine: Engine, pairs: list[tuple[str, str]]) -> int:
    """20,000 confirmed bookings over the horizon, counters and claims as ``book`` leaves them."""
    with session_scope(engine) as session:
        board = SlotBoard(session, CONFIG)
        code, hall_code = pairs[0]
        item = get_item(session, code)
        hall = session.execute(select(Hall).where(Hall.code == hall_code)).scalar_one()
        assert item is not None
        days = [
            d
            for d in board.span(item, hall, NOW.date(), NOW.date() + timedelta(days=14), NOW)
            if d.has_places
        ]
    plan = [(d.day, s.key, f"{s.end:%H:%M}", s.capacity) for d in days for s in d.slots]
    slot_rows: list[dict[str, object]] = []
    bookings: list[dict[str, object]] = []
    claims: list[dict[str, object]] = []
    per_pair = -(-EXISTING // len(pairs))
    n = 0
    for code, hall_code in pairs:
        taken = 0
        for day, start, end, capacity in plan:
            if taken >= per_pair or n >= EXISTING:
                break
            booked = min(capacity - 1, per_pair - taken, EXISTING - n)  # leave a place in each
            slot_id = len(slot_rows) + 1
            slot_rows.append(
                dict(
                    id=slot_id,
                    task_code=code,
                    hall_code=hall_code,
                    day=day,
                    start=start,
                    end=end,
                    capacity=capacity,
                    booked=booked,
                )
            )
            for _ in range(booked):
                n += 1
                sealed = seal(CIPHER, applicant(n))
                bookings.append(
                    dict(
                        id=n,
                        number=f"YY20261201{n:06d}",
                        openid=f"bench-{n}",
                        task_code=code,
                        item_name="测试预约事项",
                        hall_code=hall_code,
                        window_no="A01",
                        slot_id=slot_id,
                        day=day,
                        start=start,
                        end=end,
                        status="confirmed",
                        name_enc=sealed.name_enc,
                        mobile_enc=sealed.mobile_enc,
                        id_enc=sealed.id_enc,
                        name_masked=sealed.name_masked,
                        mobile_masked=sealed.mobile_masked,
                        id_masked=sealed.id_masked,
                        id_index=sealed.id_index,
                        companion_masked="",
                        reschedules=0,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
                idem = idempotency_key(f"bench-{n}", code, hall_code, day, start, sealed.id_index)
                for key, kind in (
                    (idem, ClaimKind.IDEMPOTENCY),
                    (day_key(sealed.id_index, day), ClaimKind.PERSON_DAY),
                    (item_key(sealed.id_index, code), ClaimKind.PERSON_ITEM),
                ):
                    claims.append(dict(key=key, kind=kind.value, booking_id=n, day=day))
            taken += booked
    with engine.begin() as conn:
        for table, rows in (
            (BookingSlot.__table__, slot_rows),
            (Booking.__table__, bookings),
            (BookingClaim.__table__, claims),
        ):
            for i in range(0, len(rows), 2000):
                conn.execute(insert(table), rows[i : i + 2000])
        if conn.dialect.name == "postgresql":  # ids were given: move the sequences past them
            for table in ("booking_slot", "booking"):
                conn.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )
    return n


# ------------------------------------------------------------------ measurements


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):6.1f} ms  p95 {percentile(values, 95):6.1f} ms  "
        f"p99 {percentile(values, 99):6.1f} ms  (n={len(values)})"
    )


def bookable_days(engine: Engine) -> list[date]:
    with session_scope(engine) as session:
        board = SlotBoard(session, CONFIG)
        code = session.execute(select(Item.task_code).limit(1)).scalar_one()
        item = get_item(session, code)
        hall = session.execute(select(Hall).limit(1)).scalar_one()
        assert item is not None
        span = board.span(item, hall, NOW.date(), NOW.date() + timedelta(days=14), NOW)
        return [d.day for d in span if d.reason is None]


def query_latency(engine: Engine, pairs: list[tuple[str, str]], days: list[date]) -> list[float]:
    rng = random.Random(1)
    timings = []
    for _ in range(QUERIES):
        code, hall = rng.choice(pairs)
        day = rng.choice(days)
        started = time.perf_counter()
        with session_scope(engine) as session:
            out = slots_json(session, code, day, hall, config=CONFIG, now=NOW)
        timings.append((time.perf_counter() - started) * 1000)
        assert out["slots"], out
    return timings


def day_starts(engine: Engine, days: list[date]) -> dict[date, list[str]]:
    """The slot starts of each bookable day (the same for every synthetic item)."""
    with session_scope(engine) as session:
        board = SlotBoard(session, CONFIG)
        code = session.execute(select(Item.task_code).limit(1)).scalar_one()
        item = get_item(session, code)
        hall = session.execute(select(Hall).limit(1)).scalar_one()
        assert item is not None
        return {d: [s.key for s in board.day(item, hall, d, NOW).slots] for d in days}


def confirm_latency(
    engine: Engine,
    pairs: list[tuple[str, str]],
    starts: dict[date, list[str]],
    citizens: int,
    each: int,
    first: int,
) -> tuple[list[float], dict[str, int]]:
    """``citizens`` threads, each confirming ``each`` bookings one after another."""
    timings: list[float] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    days = list(starts)

    def citizen(c: int) -> None:
        rng = random.Random(first + c)
        for k in range(each):
            n = first + c * 1000 + k
            code, hall = rng.choice(pairs)
            day = rng.choice(days)
            started = time.perf_counter()
            try:
                book(
                    engine,
                    task_code=code,
                    hall_code=hall,
                    day=day,
                    start=rng.choice(starts[day]),
                    applicant=applicant(n),
                    openid=f"citizen-{n}",
                    cipher=CIPHER,
                    config=CONFIG,
                    now=NOW,
                )
                outcome = "made"
            except BookingRefused as refused:
                outcome = refused.refusal.value
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append(elapsed)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

    with ThreadPoolExecutor(max_workers=citizens) as pool:
        list(pool.map(citizen, range(citizens)))
    return timings, outcomes


def contention(engine: Engine, pairs: list[tuple[str, str]], day: date) -> dict[str, int]:
    code, hall = pairs[-1]
    with session_scope(engine) as session:
        # two slots a day; 21 places spread by length (180 and 210 minutes) give 10 and 11
        set_override(session, code, "slot_minutes", 0, hall_code=hall)
        set_override(session, code, "daily_quota", 21, hall_code=hall)
    gate = threading.Barrier(200)
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def attempt(n: int) -> None:
        gate.wait()
        try:
            book(
                engine,
                task_code=code,
                hall_code=hall,
                day=day,
                start="09:00",
                applicant=applicant(2_000_000 + n),
                openid=f"race-{n}",
                cipher=CIPHER,
                config=CONFIG,
                now=NOW,
            )
            outcome = "made"
        except BookingRefused as refused:
            outcome = refused.refusal.value
        with lock:
            counts[outcome] = counts.get(outcome, 0) + 1

    with ThreadPoolExecutor(max_workers=200) as pool:
        list(pool.map(attempt, range(200)))
    with session_scope(engine) as session:
        booked = session.execute(
            select(BookingSlot.booked).where(
                BookingSlot.task_code == code, BookingSlot.day == day, BookingSlot.start == "09:00"
            )
        ).scalar_one()
    counts["slot_counter"] = int(booked)
    return counts


def run(name: str, make: Callable[[], AbstractContextManager[Engine]]) -> bool:
    print(f"\n== {name}")
    with make() as engine:
        started = time.perf_counter()
        migrate(engine)
        pairs = build_catalog(engine)
        made = fill_bookings(engine, pairs)
        print(
            f"set-up: {HALLS} halls × {ITEMS_PER_HALL} items, {made} existing bookings "
            f"({time.perf_counter() - started:.1f} s, not timed below)"
        )
        days = bookable_days(engine)
        print(f"bookable days: {', '.join(d.isoformat() for d in days)}")
        queries = query_latency(engine, pairs, days)
        print(f"(a) free-slot query          {summary(queries)}")
        starts = day_starts(engine, days)
        alone, _ = confirm_latency(engine, pairs[:-1], starts, 1, 100, 1_000_000)
        print(f"    confirm, one citizen     {summary(alone)}")
        confirms, outcomes = confirm_latency(
            engine, pairs[:-1], starts, CITIZENS, CONFIRMS_EACH, 3_000_000
        )
        print(f"(b) confirm, {CITIZENS} in parallel  {summary(confirms)}")
        print(f"    outcomes: {outcomes}")
        race = contention(engine, pairs, days[-1])
        print(f"(c) 200 confirmations for 10 places: {race}")
    ok_query = percentile(queries, 95) <= TARGET_QUERY_P95_MS
    ok_confirm = percentile(confirms, 95) <= TARGET_CONFIRM_P95_MS
    ok_race = race.get("made") == 10 and race.get("slot_counter") == 10
    ok_race = ok_race and race.get(Refusal.SLOT_FULL.value) == 190
    print(
        f"targets: query p95 ≤ {TARGET_QUERY_P95_MS:.0f} ms {'met' if ok_query else 'MISSED'}; "
        f"confirm p95 ≤ {TARGET_CONFIRM_P95_MS:.0f} ms {'met' if ok_confirm else 'MISSED'}; "
        f"contention exactly 10 {'met' if ok_race else 'MISSED'}"
    )
    print(f"load average now {os.getloadavg()[0]:.1f}")
    return ok_query and ok_confirm and ok_race


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} (other work on the machine skews the figures)"
    )
    ok = run("SQLite (file, WAL)", sqlite_engine)
    if not args.skip_postgres:
        ok = run("PostgreSQL (127.0.0.1)", postgres_engine) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
