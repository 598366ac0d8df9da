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
