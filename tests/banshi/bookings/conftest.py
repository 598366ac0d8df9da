"""Booking fixtures: the demo catalog and the 2026 calendar, synced once per module and
database; each test gets it back with the booking tables emptied.

Syncing the catalog takes about two seconds; the booking tests only change booking rows,
hall exceptions and policy overrides, which the ``db`` fixture deletes after each test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, text
from sqlalchemy.engine import Engine

from app.settings import load_settings
from banshi.bookings import BookingConfig
from banshi.bookings.models import (
    Booking,
    BookingClaim,
    BookingCounter,
    BookingDraft,
    BookingPolicyOverride,
    BookingSlot,
)
from banshi.bookings.people import Applicant
from banshi.calendar import seed_from_chinesecalendar
from banshi.calendar.models import CalendarYear, HallDay
from banshi.db import make_engine, migrate, session_scope
from banshi.privacy.crypto import FieldCipher
from banshi.privacy.idnumbers import id_check_char
from tests.conftest import HALLS, ITEMS, PG_URL

NOW = datetime(2026, 12, 7, 10, 0)  # a Monday
ID_CARD_RENEWAL = "11139900MB1A00010P3002011001002"  # 居民身份证换领, 政务服务中心, 60 a day
RESIDENCE_PERMIT = "11139900MB1A00010P3002011004000"  # 居住证申领, 社区中心, weekends limited
MARRIAGE = "11139900MB1A00020K3000721001000"  # 内地居民结婚登记: both parties
DRIVING_LICENCE = "11139900MB1A00011D3000112001001"  # 驾驶证期满换证, 车管所 09:00-17:00
CENTRE = "H139900001"  # 示范市政务服务中心
COMMUNITY = "H139900004"  # 桥西区社区事务受理服务中心 (open every day)
VEHICLES = "H139900003"  # 示范市车辆管理所
CIPHER = FieldCipher(b"booking-tests-secret-0123456789abcdef")
CONFIG = BookingConfig()


def make_id(n: int) -> str:
    """A valid 18-digit ID number, different for each ``n`` (0 … 36,499)."""
    birth = date(1960, 1, 1) + timedelta(days=n // 10)
    first17 = f"110105{birth:%Y%m%d}{n % 10:02d}1"
    return first17 + id_check_char(first17)


def person(n: int, **extra: str) -> Applicant:
    return Applicant(f"张{'一二三四五六七八九十'[n % 10]}", f"138{n:08d}", make_id(n), **extra)


def _sync(engine: Engine, var: Path) -> None:
    from catalog_sync.service import run_sync

    settings = replace(
        load_settings({}),
        database_url=str(engine.url),
        redis_url=None,
        var_dir=var,
        jieba_dir=var / "jieba",
    )
    run_sync(str(ITEMS), engine, settings)
    run_sync(str(HALLS), engine, settings)
    with session_scope(engine) as session:
        seed_from_chinesecalendar(session, [2026])


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def synced(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The demo catalog and the 2026 calendar, once per module and database."""
    tmp = tmp_path_factory.mktemp("bookings")
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp / 'banshi.db'}")
        migrate(eng)
        _sync(eng, tmp / "var")
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
        _sync(eng, tmp / "var")
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(synced: Engine) -> Iterator[Engine]:
    """The synced database; booking rows, hall exceptions and overrides removed afterwards."""
    yield synced
    with session_scope(synced) as session:
        for model in (BookingClaim, Booking, BookingSlot, BookingCounter, BookingDraft):
            session.execute(delete(model))
        session.execute(delete(BookingPolicyOverride))
        session.execute(delete(HallDay))
        session.execute(delete(CalendarYear).where(CalendarYear.year != 2026))
