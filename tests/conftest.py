"""Shared fixtures: a fresh database on SQLite and on PostgreSQL, the demo catalog, Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from app.settings import PROJECT_ROOT, Settings, load_settings
from banshi.db import make_engine, migrate

DEMO = PROJECT_ROOT / "demo" / "catalog"
ITEMS = DEMO / "items.jsonl"
HALLS = DEMO / "halls.json"
DELTA = DEMO / "delta-20261120.jsonl"

PG_URL = os.environ.get("BANSHI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BANSHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@contextmanager
def sql_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis (database 15), or the test is skipped when it does not run."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    finally:
        client.close()
    yield REDIS_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; each test gets a copy (migrating every time
    cost 0.7 s a test)."""
    path = tmp_path_factory.mktemp("template") / "banshi.db"
    eng = make_engine(f"sqlite:///{path}")
    migrate(eng)
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> str | None:
    """The migrated schema as a script (pg_dump of a schema migrated once, rows that the
    migrations seed included), with the schema name as ``{schema}``; None when pg_dump is
    not there (each test then migrates, 0.7 s a test)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return None
    schema = f"tmpl_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        eng = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
        migrate(eng)
        eng.dispose()
        dump = subprocess.run(
            [pg_dump, "--no-owner", "--no-privileges", "--inserts", "-n", schema, PG_URL],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if dump.returncode != 0:
            return None
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    # psql meta-commands (\\restrict …, in newer pg_dump) are not SQL
    sql = "\n".join(line for line in dump.stdout.splitlines() if not line.startswith("\\"))
    return sql.replace("{", "{{").replace("}", "}}").replace(schema, "{schema}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or a fresh schema in PostgreSQL's `test`."""
    if request.param == "sqlite":
        path = tmp_path / "banshi.db"
        shutil.copyfile(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    template: str | None = request.getfixturevalue("pg_template")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    if template is None:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    else:
        raw = admin.raw_connection()
        try:
            with raw.cursor() as cursor:
                cursor.execute(template.format(schema=schema))
            raw.commit()
        finally:
            raw.close()
    eng = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        if template is None:
            migrate(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    """Settings pointing at the test database and a private var/ directory, no Redis."""
    base = load_settings({})
    return replace(
        base,
        database_url=str(engine.url),
        redis_url=None,
        var_dir=tmp_path / "var",
        jieba_dir=tmp_path / "var" / "jieba",
    )


@pytest.fixture
def catalog(engine: Engine, settings: Settings) -> Engine:
    """The demo catalog (items and halls, not the delta) synced into the test database."""
    from catalog_sync.service import run_sync

    run_sync(str(ITEMS), engine, settings)
    run_sync(str(HALLS), engine, settings)
    return engine
