"""Fixtures of the console tests: one prepared database per backend for the package (the demo
catalog and its delta synced, notices issued, staff of every role, unanswered questions), an
app over it, and helpers that sign in like a browser."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from app.settings import load_settings
from banshi.catalog import get_item
from banshi.db import make_engine, migrate, session_scope
from banshi.notices import issue_notice
from banshi.notices.conditions import situation_names
from banshi.staff.accounts import add_staff
from banshi.staff.passwords import PasswordHashing
from banshi.unanswered import UnansweredReason, record_unanswered
from console import ConsoleServices, create_app
from tests.conftest import DELTA, HALLS, ITEMS, PG_URL

CHEAP = PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1)  # tests only
SECRET = b"console-tests-secret-key-0123456789abcdef"
PASSWORD = "Hall-desk-2026!"
HALL = "H139900001"
NOW = datetime(2026, 12, 7, 10, 0, 0)
CHANGED_ITEM = "11139900MB1A00070G3000713002001"  # 存量房转移登记: the delta changes its materials
STEADY_ITEM = "11139900MB1A00010P3002011001001"  # 居民身份证首次申领: unchanged by the delta
CITIZEN = "oCitizen000000000000000000001"
PHONE = "13812345678"
STAFF = {"admin": "admin", "window": "window", "dispatcher": "dispatcher", "reviewer": "reviewer"}


class Clock:
    """A clock tests can move; the console reads it through ConsoleServices.clock."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Site:
    engine: Engine
    notice_changed: str  # a notice number whose item the delta changed
    notice_steady: str


def _database(kind: str, folder: Path) -> Iterator[Engine]:
    if kind == "sqlite":
        eng = make_engine(f"sqlite:///{folder / 'console.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    schema = f"c_{uuid.uuid4().hex[:12]}"
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


def _issue(engine: Engine, code: str) -> str:
    with session_scope(engine) as session:
        item = get_item(session, code)
        assert item is not None
        names = situation_names(item)
        notice = issue_notice(
            session, item, names[0] if names else None, {}, CITIZEN, date(2026, 11, 10)
        )
        return str(notice.number)


def _prepare(engine: Engine, folder: Path) -> Site:
    from catalog_sync.service import run_sync

    settings = replace(
        load_settings({}),
        database_url=str(engine.url),
        redis_url=None,
        var_dir=folder / "var",
        jieba_dir=folder / "var" / "jieba",
    )
    run_sync(str(ITEMS), engine, settings)
    run_sync(str(HALLS), engine, settings)
    changed, steady = _issue(engine, CHANGED_ITEM), _issue(engine, STEADY_ITEM)
    run_sync(str(DELTA), engine, settings)
    with session_scope(engine) as session:
        for role, name in STAFF.items():
            add_staff(
                session, name, role, HALL if role == "window" else None, PASSWORD, hashing=CHEAP
            )
        for i, question in enumerate(
            [
                "老年证怎么办",
                "我想办个老年证需要什么材料",
                f"老年证在哪里办，我电话{PHONE}",
                "公租房排队进度怎么查",
                "今天天气怎么样",
            ]
        ):
            record_unanswered(
                session, question, UnansweredReason.NO_ITEM, now=NOW - timedelta(hours=i + 1)
            )
    return Site(engine, changed, steady)


@pytest.fixture(
    scope="package", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The prepared database, shared by the package's tests: they add only what they name
    themselves (their own accounts, words, questions) and never rely on counts of others'."""
    folder = tmp_path_factory.mktemp(f"console-{request.param}")
    for engine in _database(request.param, folder):
        yield _prepare(engine, folder)


def conversation(openid: str) -> list[tuple[datetime, str, str]]:
    if openid == "broken":
        raise ConnectionError("tracker store down")
    if openid != CITIZEN:
        return []
    return [
        (NOW - timedelta(minutes=3), "user", f"我的手机号是{PHONE}，帮我查下预约"),
        (NOW - timedelta(minutes=2), "bot", "好的，请稍候。"),
    ]


def services_for(engine: Engine, **changes: Any) -> ConsoleServices:
    base = ConsoleServices(
        engine=engine,
        secret_key=SECRET,
        trigger_sync=None,
        conversation_reader=conversation,
        cookie_secure=False,
        password_hashing=CHEAP,
        clock=Clock(),
    )
    return replace(base, **changes)


@pytest.fixture
def make_client(site: Site) -> Iterator[Any]:
    """``make_client(**services_changes)`` → a TestClient over a fresh app on the shared site."""
    clients: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        # An address of its own: failed logins are counted per address, in the shared database.
        address = f"10.{len(clients)}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
        client = TestClient(
            create_app(services_for(site.engine, **changes)),
            follow_redirects=False,
            client=(address, 50000),
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _TOKEN.search(html)
    assert found, "no form with a CSRF token on this page"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in as a browser would: open the form, post it with its token."""
    page = client.get("/login")
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf(page.text)}
    )


def signed_in(client: TestClient, username: str) -> str:
    """Sign in and return the session's CSRF token (for the posts that follow)."""
    response = login(client, username)
    assert response.status_code == 303, response.text
    return csrf(client.get("/password").text)


def refused(html: str) -> str:
    """The refusal message of an error page."""
    found = re.search(r'<p class="refused" data-status="(\d+)">(.*?)</p>', html, re.S)
    return found.group(2) if found else ""
