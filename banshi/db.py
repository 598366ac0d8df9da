"""Engine, sessions and schema migrations (alembic) for SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# Connections kept open per SQLite engine between sessions; more are opened when needed
# (never waited for) and closed when given back to a full pool.
SQLITE_POOL_SIZE = 5


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys and a busy timeout like a real server.

    A SQLite file database keeps its connections between sessions (SQLAlchemy 1.4 would open
    a new one, with its PRAGMAs, for every session): a pool of ``SQLITE_POOL_SIZE``, used
    from any thread (``check_same_thread=False``: a connection is used by one thread at a
    time, the pool hands it over), with unlimited overflow so a burst of threads never
    waits for a connection. Every pooled engine refuses a connection inherited across
    ``fork`` (two processes on one SQLite file handle, or one PostgreSQL socket, corrupt it).
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        in_memory = not path or path == ":memory:" or "mode=memory" in url
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if in_memory:  # one connection per thread is the database itself: keep the default
            engine = create_engine(url, future=True, connect_args={"timeout": 30})
        else:
            engine = create_engine(
                url,
                future=True,
                connect_args={"timeout": 30, "check_same_thread": False},
                poolclass=QueuePool,
                pool_size=SQLITE_POOL_SIZE,
                max_overflow=-1,
            )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    _refuse_forked_connections(engine)
    return engine


def _refuse_forked_connections(engine: Engine) -> None:
    """SQLAlchemy's recipe ("Using Connection Pools with Multiprocessing or os.fork()"): a
    connection opened by another process is discarded, never used, and a fresh one opened."""

    @event.listens_for(engine, "connect")
    def _remember_pid(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _check_pid(_dbapi_conn, record, proxy):  # type: ignore[no-untyped-def]
        if record.info.get("pid", os.getpid()) != os.getpid():
            record.dbapi_connection = proxy.dbapi_connection = None
            raise exc.DisconnectionError(
                f"connection opened by process {record.info['pid']}, not {os.getpid()}"
            )


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """The process-wide engine for ``url`` (one pool per database and process)."""
    return make_engine(url)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception (Ctrl-C included)."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is already there."""
    command.upgrade(alembic_config(engine), "head")


def conflict_insert(session: Session, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT DO NOTHING / DO UPDATE (PostgreSQL and SQLite both
    have it; the dialect's own construct is needed for the clause)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    raise NotImplementedError(f"{name} is not supported (PostgreSQL and SQLite are)")
