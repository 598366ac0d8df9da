"""Shared fixtures: a fresh database on SQLite and on PostgreSQL, the demo catalog, Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from banshi.db import make_engine, migrate
from banshi.settings import PROJECT_ROOT, Settings, load_settings

DEMO = PROJECT_ROOT / "demo" / "catalog"
ITEMS = DEMO / "items.jsonl"
HALLS = DEMO / "halls.json"
DELTA = DEMO / "delta-20261120.jsonl"

PG_URL = os.environ.get("BANSHI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BANSHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or a fresh schema in PostgreSQL's `test`."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'banshi.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
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
