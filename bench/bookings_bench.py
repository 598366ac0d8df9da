"""Benchmark of appointments (issue 14): free-slot queries, confirmations under load, contention.

For each backend — a SQLite file in a temporary directory, and a fresh schema in PostgreSQL's
``test`` database (dropped afterwards) — it builds a synthetic catalog of 5 halls × 60 bookable
items (half-hour slots, 60 places a day, 提前1至5个工作日), the 2026 calendar, and 20,000
existing bookings spread over the booking horizon (with their encrypted fields and claims), then:

  (a) free-slot query: ``slots_json`` for a random item, hall and day, each in a new session
      (what ``banshi bookings slots`` and the desk do): p50 / p95 / p99, target p95 ≤ 20 ms;
  (b) confirm (``book``, its own transaction), target p95 ≤ 50 ms with 20 concurrent citizens,
      measured three ways:
      - one citizen alone, 100 confirmations one after another: the floor, the process's CPU
        time per confirmation (the figure other work on the machine moves least), and the SQL
        statements one confirmation issues (counted by a ``before_cursor_execute`` listener);
      - closed loop, the harsh figure: 20 threads confirming back to back with no pause, 25
        each. Every thread always has a confirmation in flight, so this measures how 20
        confirmations share the CPU (SQLAlchemy under the GIL, 2 cores) and, on SQLite, its
        single writer: it is a throughput test, not what 20 citizens do;
      - open loop, 20 citizens as they behave: citizens at the summary send 确认 once each, at
        random moments — Poisson arrivals at a stated rate (default 2/s: 20 citizens
        confirming within about 10 seconds, over three times the rate at which the catalog's
        18,000 places a day would all be taken in 8 hours; and 10/s, all 20 within 2 seconds,
        as when a day's places are released), served by 20 threads (at most 20 citizens'
        confirmations in flight). Latency counts from the arrival, so time spent waiting for a
        busy thread counts too (no coordinated omission). The issue's target is judged here,
        at every rate given; the closed loop's verdict is printed for the record;
  (c) contention: 200 confirmations released together for one slot with 10 places: exactly 10
      must be made, every other refused as full.

Latency figures carry noise: half the spread of the figure over the run's blocks (the
confirmations split in arrival order into 5 blocks). ``--json PATH`` writes the figures;
they are compared with ``bench/baseline-bookings.json`` (``--update-baseline`` makes this run
the baseline, on purpose), a figure worse beyond the noise is named and the exit status is 1.

    cd /work/main && .venv/bin/python bench/bookings_bench.py [--skip-postgres] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import shlex
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
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import figures as fig  # noqa: E402
from sqlalchemy import event, insert, select, text  # noqa: E402
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
BLOCKS = 5  # a run's figures are split into blocks; their spread is the figure's noise
BASELINE = HERE / "baseline-bookings.json"
Figures = dict[str, fig.Figure]
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


def latency_figures(prefix: str, values: list[float], out: Figures) -> None:
    """p50 / p95 / p99 of ``values`` (in arrival order), each with its noise over 5 blocks."""
    size = max(1, len(values) // BLOCKS)
    blocks = [values[i : i + size] for i in range(0, size * BLOCKS, size) if values[i : i + size]]
    for p in (50, 95, 99):
        noise = fig.noise_of([percentile(b, p) for b in blocks])
        value = round(percentile(values, p), 1)
        out[f"{prefix}.p{p}_ms"] = fig.Figure(value, round(noise, 1), "lower", "ms")


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


class Citizens:
    """Citizen ``n`` confirms a random slot of a random item (never the contention item)."""

    def __init__(
        self, engine: Engine, pairs: list[tuple[str, str]], starts: dict[date, list[str]]
    ) -> None:
        self.engine, self.pairs, self.starts = engine, pairs[:-1], starts
        self.outcomes: dict[str, int] = {}
        self._lock = threading.Lock()

    def confirm(self, n: int) -> None:
        rng = random.Random(n)
        code, hall = rng.choice(self.pairs)
        day = rng.choice(list(self.starts))
        try:
            book(
                self.engine,
                task_code=code,
                hall_code=hall,
                day=day,
                start=rng.choice(self.starts[day]),
                applicant=applicant(n),
                openid=f"citizen-{n}",
                cipher=CIPHER,
                config=CONFIG,
                now=NOW,
            )
            outcome = "made"
        except BookingRefused as refused:
            outcome = refused.refusal.value
        with self._lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def statements_per_confirm(citizens: Citizens, first: int) -> list[str]:
    """The SQL statements of one confirmation (after a few to warm the caches)."""
    for n in range(first, first + 5):
        citizens.confirm(n)
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()[:3]))

    event.listen(citizens.engine, "before_cursor_execute", count)
    try:
        citizens.confirm(first + 5)
    finally:
        event.remove(citizens.engine, "before_cursor_execute", count)
    return seen


def closed_loop(citizens: Citizens, threads: int, each: int, first: int) -> list[float]:
    """``threads`` threads, each confirming ``each`` bookings back to back (no pause)."""
    timings: list[tuple[float, float]] = []  # (started, ms)
    lock = threading.Lock()

    def citizen(c: int) -> None:
        for k in range(each):
            started = time.perf_counter()
            citizens.confirm(first + c * 1000 + k)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append((started, elapsed))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(citizen, range(threads)))
    return [ms for _, ms in sorted(timings)]


def open_loop(citizens: Citizens, rate: float, count: int, first: int) -> tuple[list[float], float]:
    """``count`` citizens confirming once each, arriving as a Poisson process at ``rate`` per
    second, served by ``CITIZENS`` threads; latency from each arrival. Returns the timings in
    arrival order and the largest delay in releasing an arrival (the load generator's own)."""
    rng = random.Random(first)
    at, arrivals = 0.0, []
    for _ in range(count):
        at += rng.expovariate(rate)
        arrivals.append(at)
    timings = [0.0] * count
    lag = 0.0

    def citizen(i: int, due: float) -> None:
        citizens.confirm(first + i)
        timings[i] = (time.perf_counter() - due) * 1000

    with ThreadPoolExecutor(max_workers=CITIZENS) as pool:
        origin = time.perf_counter() + 0.05
        for i, offset in enumerate(arrivals):
            due = origin + offset
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            lag = max(lag, time.perf_counter() - due)
            pool.submit(citizen, i, due)
    return timings, lag * 1000


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


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run(
    key: str,
    name: str,
    make: Callable[[], AbstractContextManager[Engine]],
    args: argparse.Namespace,
    out: Figures,
) -> bool:
    print(f"\n== {name}", flush=True)
    with make() as engine:
        started = time.perf_counter()
        migrate(engine)
        with engine.connect() as conn:
            version = conn.exec_driver_sql(
                "select sqlite_version()" if key == "sqlite" else "show server_version"
            ).scalar()
        pairs = build_catalog(engine)
        made = fill_bookings(engine, pairs)
        print(
            f"{name} {version}; set-up: {HALLS} halls × {ITEMS_PER_HALL} items, {made} existing "
            f"bookings ({time.perf_counter() - started:.1f} s, not timed below)"
        )
        days = bookable_days(engine)
        print(f"bookable days: {', '.join(d.isoformat() for d in days)}")
        queries = query_latency(engine, pairs, days)
        latency_figures(f"{key}.query", queries, out)
        print(f"(a) free-slot query              {summary(queries)}")
        citizens = Citizens(engine, pairs, day_starts(engine, days))
        statements = statements_per_confirm(citizens, 900_000)
        out[f"{key}.confirm.statements"] = fig.Figure(len(statements), 0, "lower", "count")
        print(f"(b) SQL statements in one confirmation: {len(statements)}")
        if args.statements:
            print("".join(f"      {s}\n" for s in statements), end="")
        cpu = time.process_time()
        alone = closed_loop(citizens, 1, 100, 1_000_000)
        cpu_ms = (time.process_time() - cpu) * 1000 / len(alone)
        latency_figures(f"{key}.confirm.alone", alone, out)
        out[f"{key}.confirm.alone.cpu_ms"] = fig.Figure(round(cpu_ms, 2), 0, "lower", "ms")
        print(f"    one citizen alone            {summary(alone)}  CPU {cpu_ms:.2f} ms each")
        closed = closed_loop(citizens, CITIZENS, CONFIRMS_EACH, 3_000_000)
        latency_figures(f"{key}.confirm.closed{CITIZENS}", closed, out)
        print(f"    closed loop, {CITIZENS} threads    {summary(closed)}  (harsh: no pause)")
        open_ok = True
        for r, rate in enumerate(args.rates):
            timings, lag = open_loop(citizens, rate, args.open_count, 5_000_000 + r * 100_000)
            latency_figures(f"{key}.confirm.open_{rate:g}ps", timings, out)
            ok = percentile(timings, 95) <= TARGET_CONFIRM_P95_MS
            open_ok = open_ok and ok
            print(
                f"    open loop, {rate:g}/s, ≤{CITIZENS} at once {summary(timings)}  "
                f"p95 {verdict(ok)} (arrivals released ≤ {lag:.1f} ms late)"
            )
        print(f"    outcomes: {dict(sorted(citizens.outcomes.items()))}")
        race = contention(engine, pairs, days[-1])
        print(f"(c) 200 confirmations for 10 places: {race}")
    ok_query = percentile(queries, 95) <= TARGET_QUERY_P95_MS
    ok_closed = percentile(closed, 95) <= TARGET_CONFIRM_P95_MS
    ok_race = race.get("made") == 10 and race.get("slot_counter") == 10
    ok_race = ok_race and race.get(Refusal.SLOT_FULL.value) == 190
    wrong = abs(race.get("made", 0) - 10) + abs(race.get("slot_counter", 0) - 10)
    out[f"{key}.contention.wrong"] = fig.Figure(wrong + (not ok_race), 0, "zero", "count")
    print(
        f"targets: query p95 ≤ {TARGET_QUERY_P95_MS:.0f} ms {verdict(ok_query)}; confirm p95 ≤ "
        f"{TARGET_CONFIRM_P95_MS:.0f} ms with {CITIZENS} concurrent citizens (open loop) "
        f"{verdict(open_ok)}; contention exactly 10 {verdict(ok_race)}; "
        f"closed loop p95 ≤ {TARGET_CONFIRM_P95_MS:.0f} ms {verdict(ok_closed)} (for the record)"
    )
    print(f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return ok_query and open_ok and ok_race


def machine() -> dict[str, str]:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--rates", default="2,10", help="open-loop arrival rates, confirmations per second"
    )
    parser.add_argument("--open-count", type=int, default=200, help="confirmations per rate")
    parser.add_argument("--statements", action="store_true", help="list one confirmation's SQL")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--update-baseline", action="store_true", help="make this run the baseline")
    args = parser.parse_args(argv)
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    about: dict[str, Any] = {
        "machine": machine(),
        "command": f"cd {Path.cwd()} && {shlex.join([sys.executable, *sys.argv])}",
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    m = about["machine"]
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, load average "
        f"{m['load']} (other work on the machine skews the figures)"
    )
    out: Figures = {}
    ok = run("sqlite", "SQLite (file, WAL)", sqlite_engine, args, out)
    if not args.skip_postgres:
        ok = run("postgres", "PostgreSQL (127.0.0.1)", postgres_engine, args, out) and ok
    about["load_after"] = machine()["load"]
    if args.json:
        fig.write(args.json, out, about)
    if args.update_baseline:
        fig.write(args.baseline, out, about)
        print(f"\nbaseline updated: {args.baseline}")
        return 0 if ok else 1
    lines, worse = fig.report(out, args.baseline)
    print("\n" + "\n".join(lines))
    return 0 if ok and not worse else 1


if __name__ == "__main__":
    sys.exit(main())
