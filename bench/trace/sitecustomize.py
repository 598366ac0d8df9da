"""SQL statements counted in every process ``bench/profile_turn.py`` starts.

The profile puts this directory on ``PYTHONPATH`` and sets ``BANSHI_BENCH_SQL_TRACE`` to a
path prefix; Python imports ``sitecustomize`` at start, and each process then counts the
statements every engine runs (by text), the transactions begun and the connections opened,
and rewrites ``<prefix>.<pid>.json`` every half second. Without the variable it does nothing.
Never part of the assistant itself.
"""

from __future__ import annotations

import os


def _install(prefix: str) -> None:
    import atexit
    import contextlib
    import json
    import threading
    from collections import Counter

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    counts: Counter[str] = Counter()
    lock = threading.Lock()
    changed = threading.Event()
    path = f"{prefix}.{os.getpid()}.json"

    def note(key: str) -> None:
        with lock:
            counts[key] += 1
        changed.set()

    def statement(conn, cursor, text, parameters, context, executemany):  # type: ignore[no-untyped-def]
        note(" ".join(str(text).split()))

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "begin", lambda conn: note("(transaction begun)"))
    event.listen(Pool, "connect", lambda dbapi, record: note("(connection opened)"))

    def write() -> None:
        with lock:
            data = dict(counts)
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump({"pid": os.getpid(), "counts": data}, out, ensure_ascii=False)
        os.replace(tmp, path)

    def flush() -> None:
        while True:
            changed.wait()
            changed.clear()
            with contextlib.suppress(OSError):
                write()
            threading.Event().wait(0.5)

    threading.Thread(target=flush, name="bench-sql-trace", daemon=True).start()
    atexit.register(write)


_prefix = os.environ.get("BANSHI_BENCH_SQL_TRACE")
if _prefix:
    _install(_prefix)


def _install_loop_probe(prefix: str) -> None:
    """Every event loop this process creates gets a probe: a 10 ms sleep, again and again;
    how late it wakes is the loop's lag (callbacks queued behind blocking or busy code). Per
    second of the machine's monotonic clock (shared by every process) the probe keeps the
    wake-ups, their summed and largest lag, a histogram, and the loop thread's own CPU time,
    and rewrites ``<prefix>.<pid>.loop.json`` every second."""
    import asyncio
    import contextlib
    import json
    import time

    bins = (1, 2, 5, 10, 25, 50, 100, 250, 500)  # ms, upper edges; one more bin above
    buckets: dict[int, list[float]] = {}
    path = f"{prefix}.{os.getpid()}.loop.json"
    interval = 0.01

    def note(now: float, lag_ms: float) -> None:
        second = int(now)
        row = buckets.get(second)
        if row is None:
            # count, lag sum, lag max, thread CPU s at the first wake-up, histogram …
            row = buckets[second] = [0, 0.0, 0.0, time.thread_time()] + [0] * (len(bins) + 1)
            for old in [s for s in buckets if s < second - 900]:
                del buckets[old]
        row[0] += 1
        row[1] += lag_ms
        row[2] = max(row[2], lag_ms)
        row[4 + next((i for i, edge in enumerate(bins) if lag_ms < edge), len(bins))] += 1

    async def probe() -> None:
        written = time.monotonic()
        while True:
            began = time.monotonic()
            await asyncio.sleep(interval)
            now = time.monotonic()
            note(now, max(0.0, (now - began - interval) * 1000))
            if now - written >= 1.0:
                written = now
                with contextlib.suppress(OSError):
                    tmp = f"{path}.tmp"
                    with open(tmp, "w", encoding="utf-8") as out:
                        json.dump({"pid": os.getpid(), "bins": bins, "seconds": buckets}, out)
                    os.replace(tmp, path)

    original = asyncio.new_event_loop

    def new_event_loop():  # type: ignore[no-untyped-def]
        loop = original()
        loop.call_soon(lambda: loop.create_task(probe()))
        return loop

    asyncio.new_event_loop = new_event_loop


_loop_prefix = os.environ.get("BANSHI_BENCH_LOOP_PROBE")
if _loop_prefix:
    _install_loop_probe(_loop_prefix)
