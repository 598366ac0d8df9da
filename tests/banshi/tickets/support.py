"""Shared set-up for the ticket, handoff and rating tests.

One migrated database per test module and backend (migrating takes about a second; the
root ``engine`` fixture would do it per test), with the working calendar 2004–2026 loaded
from chinesecalendar, a few catalog items and halls. Tests keep out of each other's way by
using an OpenID of their own (:func:`new_openid`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from banshi.calendar import seed_from_chinesecalendar
from banshi.conversation import Gist, ItemPick, Message, Request
from banshi.db import make_engine, migrate, session_scope
from banshi.models import Hall, Item
from banshi.privacy.crypto import FieldCipher

PG_URL = os.environ.get("BANSHI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = b"test-secret-for-tickets-0123456789abcdef"
NOW = datetime(2026, 12, 7, 10, 0)  # a Monday, inside service hours

DRIVING_RENEW = "11139900MB1A00011D3000112001001"
DRIVING_LOST = "11139900MB1A00011D3000112001002"
MARRIAGE = "11139900MB1A00020K3000721001000"
ITEMS = {
    DRIVING_RENEW: ("机动车驾驶证有效期满换证", "示范市公安局交通警察支队", ("驾驶证", "换证")),
    DRIVING_LOST: ("机动车驾驶证遗失补证", "示范市公安局交通警察支队", ("驾驶证", "补证")),
    MARRIAGE: ("内地居民结婚登记", "示范市民政局", ("结婚登记", "婚姻登记")),
}
HALLS = {
    "H139900001": "示范市政务服务中心",
    "H139900003": "示范市车辆管理所",
}


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_from_chinesecalendar(session)
        for code, (name, dept, _words) in ITEMS.items():
            session.execute(
                insert(Item).values(
                    task_code=code,
                    task_guid=code[-12:],
                    catalog_code=code[-12:],
                    name=name,
                    task_type="20",
                    version=1,
                    state="1",
                    dept_name=dept,
                    content_hash="x",
                    synced_at=NOW,
                )
            )
        for code, name in HALLS.items():
            session.execute(
                insert(Hall).values(
                    code=code,
                    name=name,
                    weekly_hours={},
                    holiday_rule="closed",
                    content_hash="x",
                    synced_at=NOW,
                )
            )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database shared by one test module, calendar and a small catalog loaded."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("tickets") / "banshi.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        _seed(engine)
        yield engine
        engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        migrate(engine)
        _seed(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def cipher() -> FieldCipher:
    return FieldCipher(SECRET)


def new_openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def say(
    text: str,
    openid: str,
    gist: Gist = Gist.UNCLEAR,
    request: Request | None = None,
    now: datetime = NOW,
) -> Message:
    return Message(text=text, openid=openid, gist=gist, now=now, request=request)


class WordPicker:
    """The runner's item resolution, reduced to the test catalog's words: one item named →
    its code; several → a numbered list; none → nothing fits."""

    def pick(self, text: str, candidates: Sequence[str], hint: str | None = None) -> ItemPick:
        said = text.strip()
        if candidates and said.isdigit() and 1 <= int(said) <= len(candidates):
            return ItemPick(candidates[int(said) - 1])
        found = [
            code
            for code, (_name, _dept, words) in ITEMS.items()
            if any(w in said for w in words) or (hint and hint in _name)
        ]
        narrowed = [c for c in found if all(w in said for w in ITEMS[c][2])]
        if len(narrowed) == 1:
            return ItemPick(narrowed[0])
        if len(found) == 1:
            return ItemPick(found[0])
        if found:
            lines = [f"{n}. {ITEMS[c][0]}" for n, c in enumerate(found, 1)]
            return ItemPick(None, ["请问您说的是哪个事项？\n" + "\n".join(lines)], found)
        return ItemPick(None, ["没有找到相关事项。"], [])


def add_photo(engine: Engine, openid: str, when: datetime = NOW) -> int:
    """An image message as the WeChat channel stores it; its id."""
    with session_scope(engine) as session:
        session.execute(
            text(
                "INSERT INTO wechat_attachment (openid, kind, msg_id, media_id, url, title,"
                " description, received_at) VALUES (:o, 'image', '', 'm', '', '', '', :t)"
            ),
            {"o": openid, "t": when},
        )
        return int(
            session.execute(
                text("SELECT max(id) FROM wechat_attachment WHERE openid = :o"), {"o": openid}
            ).scalar_one()
        )


def seen(engine: Engine, openid: str, when_utc: datetime) -> None:
    """The citizen wrote at ``when_utc``: their 48-hour window for 客服消息 opened."""
    with session_scope(engine) as session:
        session.execute(text("DELETE FROM wechat_contact WHERE openid = :o"), {"o": openid})
        session.execute(
            text("INSERT INTO wechat_contact (openid, last_seen_at) VALUES (:o, :t)"),
            {"o": openid, "t": when_utc},
        )
