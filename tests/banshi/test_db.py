"""Engines (banshi.db): a SQLite file keeps its connections between sessions, each set up
once (foreign keys, WAL, the busy timeout), safely shared by threads, never by processes."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from banshi.db import SQLITE_POOL_SIZE, make_engine, session_scope


def _sqlite(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    return engine


def _connects(engine: Engine) -> list[int]:
    opened: list[int] = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    return opened


def test_sessions_reuse_one_connection_set_up_once(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    assert isinstance(engine.pool, QueuePool)
    opened = _connects(engine)
    for n in range(20):
        with session_scope(engine) as session:
            session.execute(text("INSERT INTO note (body) VALUES (:b)"), {"b": f"第{n}条"})
    assert opened == []  # the connection the table was made on served all twenty
    with session_scope(engine) as session:
        assert session.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert session.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert session.execute(text("PRAGMA busy_timeout")).scalar_one() == 30_000
        assert session.execute(text("SELECT count(*) FROM note")).scalar_one() == 20
    engine.dispose()


def test_threads_share_the_pool_and_a_burst_never_waits(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    opened = _connects(engine)
    errors: list[BaseException] = []
    start = threading.Barrier(4 * SQLITE_POOL_SIZE)

    def write(n: int) -> None:
        try:
            start.wait(10)
            for i in range(10):
                with session_scope(engine) as session:
                    session.execute(text("INSERT INTO note (body) VALUES (:b)"), {"b": f"{n}-{i}"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4 * SQLITE_POOL_SIZE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with session_scope(engine) as session:
        assert session.execute(text("SELECT count(*) FROM note")).scalar_one() == 200
    # more connections than the pool keeps were opened for the burst, and the extra closed
    assert len(opened) >= SQLITE_POOL_SIZE
    assert engine.pool.checkedin() <= SQLITE_POOL_SIZE  # type: ignore[attr-defined]
    engine.dispose()


def _child_writes(engine: Engine, done: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        with session_scope(engine) as session:
            session.execute(text("INSERT INTO note (body) VALUES ('子进程')"))
            opened_by = session.connection().info["pid"]
        done.put("ok" if opened_by == os.getpid() else f"used process {opened_by}'s connection")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        done.put(repr(exc))


def test_a_forked_process_opens_its_own_connection(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    with session_scope(engine) as session:  # the parent holds a pooled connection
        session.execute(text("INSERT INTO note (body) VALUES ('父进程')"))
        assert session.connection().info["pid"] == os.getpid()
    assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    fork = multiprocessing.get_context("fork")
    done = fork.Queue()
    child = fork.Process(target=_child_writes, args=(engine, done))
    child.start()
    child.join(30)
    assert done.get(timeout=5) == "ok" and child.exitcode == 0  # its own connection
    with session_scope(engine) as session:  # and the parent's still works
        bodies = session.execute(text("SELECT body FROM note ORDER BY id")).scalars().all()
    assert bodies == ["父进程", "子进程"]
    engine.dispose()
