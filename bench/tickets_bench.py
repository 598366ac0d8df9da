"""Benchmark of tickets (issue 16): the dispatcher's queue and a ticket's history over 50,000
tickets, and due dates for 10,000 tickets on the working calendar.

For each backend — a SQLite file in a temporary directory, and a fresh schema in PostgreSQL's
``test`` database (dropped afterwards) — the schema is migrated, the calendar 2004–2026
loaded from chinesecalendar, and 50,000 tickets inserted (about 3 history lines and 1 reply
each, states and due dates spread like a working queue; not timed). Then:

  (a) the queue's first page (open tickets, the earliest due first, 20 rows), 200 times;
  (b) one ticket with its replies and history (by number), 200 random tickets;
  (c) due dates of 10,000 tickets (type and acceptance date mixed over 2026), one calendar.

Each timing opens nothing new (one session per backend, as a console request would hold).
Targets: p95 ≤ 100 ms for (a) and (b), ≤ 1 s for (c).

    cd /work/main && .venv/bin/python bench/tickets_bench.py [--tickets 50000] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from banshi.calendar import WorkCalendar, seed_from_chinesecalendar  # noqa: E402
from banshi.db import make_engine, migrate, session_factory, session_scope  # noqa: E402
from banshi.tickets.deadlines import DeadlinePolicy, due_date  # noqa: E402
from banshi.tickets.kinds import TicketAction, TicketKind, TicketState  # noqa: E402
from banshi.tickets.lifecycle import get_ticket  # noqa: E402
from banshi.tickets.models import Ticket, TicketEvent, TicketReply  # noqa: E402
from banshi.tickets.views import queue, ticket_view  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_P95_MS = 100.0
TARGET_DUE_SECONDS = 1.0
DEPTS = ["示范市公安局", "示范市民政局", "示范市人力资源和社会保障局", "示范市医疗保障局", ""]
# A working queue: most tickets finished, a tenth still open in various stages.
STATE_WEIGHTS = [
    (TicketState.CLOSED, 70),
    (TicketState.ANSWERED, 12),
    (TicketState.HANDLING, 8),
    (TicketState.DISPATCHED, 5),
    (TicketState.ACCEPTED, 4),
    (TicketState.MERGED, 1),
]


def _populate(engine: Engine, count: int, rng: random.Random) -> list[str]:
    """Insert ``count`` tickets with history and replies; their numbers."""
    states = [s for s, w in STATE_WEIGHTS for _ in range(w)]
    kinds = list(TicketKind)
    policy = DeadlinePolicy()
    start = datetime(2026, 1, 5, 9, 0)
    numbers: list[str] = []
    with session_scope(engine) as session:
        calendar = WorkCalendar(session)
        tickets, events, replies = [], [], []
        for i in range(1, count + 1):
            created = start + timedelta(minutes=int(i * 490_000 / count))
            kind = rng.choice(kinds)
            state = rng.choice(states)
            number = f"GD{created:%Y%m%d}{i:05d}"
            numbers.append(number)
            dept = rng.choice(DEPTS) if state is not TicketState.ACCEPTED else ""
            tickets.append(
                {
                    "id": i,
                    "number": number,
                    "kind": kind.value,
                    "state": state.value,
                    "source": "chat",
                    "openid": f"o{i % 9000:08d}",
                    "anonymous": False,
                    "item_name": "",
                    "hall_name": "",
                    "dept_name": dept,
                    "content_masked": "窗口排队时间太长，希望增加窗口" * 2,
                    "attachment_ids": [],
                    "callback": False,
                    "phone_masked": "",
                    "created_at": created,
                    "accepted_on": created.date(),
                    "due_on": due_date(calendar, created.date(), policy.days_for(kind)),
                    "due_unknown": False,
                    "extension_days": 0,
                }
            )
            events.append(_event(i, created, TicketAction.FILE, None, "accepted", ""))
            if state is not TicketState.ACCEPTED:
                events.append(
                    _event(i, created, TicketAction.DISPATCH, "accepted", "dispatched", dept)
                )
            if state in (TicketState.ANSWERED, TicketState.CLOSED):
                later = created + timedelta(days=2)
                events.append(_event(i, later, TicketAction.REPLY, "handling", "answered", dept))
                replies.append(
                    {
                        "ticket_id": i,
                        "staff": "staff1",
                        "dept_name": dept,
                        "text": "您好，您反映的问题已转相关窗口核实处理。",
                        "created_at": later,
                    }
                )
        for table, rows in ((Ticket, tickets), (TicketEvent, events), (TicketReply, replies)):
            for chunk in range(0, len(rows), 5000):
                session.execute(insert(table.__table__), rows[chunk : chunk + 5000])
    return numbers


def _event(
    ticket_id: int, at: datetime, action: TicketAction, before: str | None, after: str, dept: str
) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "at": at,
        "actor": "system",
        "action": action.value,
        "from_state": before,
        "to_state": after,
        "dept_name": dept,
        "reason": "",
    }


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _timings(label: str, samples: list[float], target_ms: float) -> bool:
    ms = [s * 1000 for s in samples]
    p95 = _p(ms, 0.95)
    ok = p95 <= target_ms
    print(
        f"  {label:<34} p50 {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms   "
        f"max {max(ms):7.2f} ms   target p95 ≤ {target_ms:.0f} ms: {'PASS' if ok else 'FAIL'}"
    )
    return ok


def run(engine: Engine, count: int, rng: random.Random) -> bool:
    t0 = time.perf_counter()
    migrate(engine)
    with session_scope(engine) as session:
        seed_from_chinesecalendar(session)
    numbers = _populate(engine, count, rng)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"  set-up (not timed): {count} tickets in {time.perf_counter() - t0:.1f} s")
    ok = True
    session = session_factory(engine)()
    try:
        first_page = []
        for _ in range(200):
            started = time.perf_counter()
            page = queue(session)
            first_page.append(time.perf_counter() - started)
            assert len(page) == 20
        ok &= _timings("(a) queue, first page (20 open)", first_page, TARGET_P95_MS)
        history = []
        for number in rng.sample(numbers, 200):
            started = time.perf_counter()
            view = ticket_view(session, get_ticket(session, number))
            history.append(time.perf_counter() - started)
            assert view.history
        ok &= _timings("(b) one ticket with its history", history, TARGET_P95_MS)
        session.rollback()
        policy = DeadlinePolicy()
        kinds = list(TicketKind)
        work = [
            (date(2026, 1, 1) + timedelta(days=rng.randrange(0, 330)), rng.choice(kinds))
            for _ in range(10_000)
        ]
        started = time.perf_counter()
        calendar = WorkCalendar(session)
        dues = [due_date(calendar, day, policy.days_for(kind)) for day, kind in work]
        seconds = time.perf_counter() - started
        assert all(d is not None for d in dues)
        due_ok = seconds <= TARGET_DUE_SECONDS
        ok &= due_ok
        print(
            f"  {'(c) due dates, 10,000 tickets':<34} {seconds * 1000:7.1f} ms total"
            f"   target ≤ {TARGET_DUE_SECONDS:.0f} s: {'PASS' if due_ok else 'FAIL'}"
        )
    finally:
        session.close()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    rng = random.Random(16)
    print(
        f"tickets bench — {platform.node()}, Python {platform.python_version()}, {args.tickets} tickets"
    )
    ok = True
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite (file)")
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            ok &= run(engine, args.tickets, rng)
            engine.dispose()
    if args.backend in ("postgres", "both"):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
        try:
            print("PostgreSQL")
            ok &= run(engine, args.tickets, rng)
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
