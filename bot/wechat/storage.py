"""Reading and writing what the channel keeps per citizen (pending answers, attachments, when
they last opened the 48-hour window).

Plain SQLAlchemy 2.0-style functions over one session; :class:`CitizenStore` runs them in a
thread so the server's event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.db import conflict_insert, session_scope
from bot.wechat.models import Attachment, Contact, PendingAnswer


def keep_answers(session: Session, openid: str, parts: list[str], errcode: int | None) -> None:
    now = datetime.utcnow()
    session.add_all(
        PendingAnswer(openid=openid, text=part, errcode=errcode, created_at=now) for part in parts
    )


def take_answers(session: Session, openid: str) -> list[str]:
    """The citizen's pending answers, oldest first, removed from the table."""
    rows = list(
        session.execute(
            select(PendingAnswer).where(PendingAnswer.openid == openid).order_by(PendingAnswer.id)
        ).scalars()
    )
    if rows:
        session.execute(delete(PendingAnswer).where(PendingAnswer.id.in_([r.id for r in rows])))
    return [str(r.text) for r in rows]


def keep_attachment(session: Session, openid: str, kind: str, **fields: str) -> None:
    session.add(Attachment(openid=openid, kind=kind, received_at=datetime.utcnow(), **fields))


def record_contact(session: Session, openid: str, when: datetime) -> None:
    """Remember that ``openid`` opened the 客服消息 window at ``when`` (UTC)."""
    table = Contact.__table__
    session.execute(
        conflict_insert(session, table)
        .values(openid=openid, last_seen_at=when)
        .on_conflict_do_update(index_elements=["openid"], set_={"last_seen_at": when})
    )


def last_seen(session: Session, openid: str) -> datetime | None:
    return session.execute(
        select(Contact.last_seen_at).where(Contact.openid == openid)
    ).scalar_one_or_none()


def forget_citizen(session: Session, openid: str) -> int:
    """Delete everything kept about ``openid``; returns the number of rows deleted."""
    deleted = 0
    for model in (PendingAnswer, Attachment, Contact):
        result = session.execute(delete(model).where(model.openid == openid))
        deleted += int(result.rowcount or 0)
    return deleted


class PendingIndex(Protocol):
    """Which citizens have pending answers: checked on every message, so it must be cheaper
    than the database (a SQLite file opens a connection per transaction)."""

    async def mark(self, openid: str) -> None: ...

    async def unmark(self, openid: str) -> None: ...

    async def has(self, openid: str) -> bool: ...


class MemoryPendingIndex:
    def __init__(self) -> None:
        self._openids: set[str] = set()

    async def mark(self, openid: str) -> None:
        self._openids.add(openid)

    async def unmark(self, openid: str) -> None:
        self._openids.discard(openid)

    async def has(self, openid: str) -> bool:
        return openid in self._openids


class RedisPendingIndex:
    """Shared by every process: the next message may land on another one."""

    def __init__(self, redis: Redis, prefix: str = "wechat") -> None:
        self.redis = redis
        self.key = f"{prefix}:pending"

    async def mark(self, openid: str) -> None:
        await self.redis.sadd(self.key, openid)

    async def unmark(self, openid: str) -> None:
        await self.redis.srem(self.key, openid)

    async def has(self, openid: str) -> bool:
        return bool(await self.redis.sismember(self.key, openid))


def pending_openids(session: Session) -> list[str]:
    return [str(o) for o in session.execute(select(PendingAnswer.openid).distinct()).scalars()]


class CitizenStore:
    """The functions above, each in its own transaction, off the event loop.

    Keeping and taking a citizen's answers happen inside their serial lock, so the index and
    the table cannot disagree for them.
    """

    def __init__(self, engine: Engine, index: PendingIndex | None = None) -> None:
        self.engine = engine
        self.index = index or MemoryPendingIndex()

    def _run(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        with session_scope(self.engine) as session:
            return fn(session, *args, **kwargs)

    async def load_index(self) -> None:
        """Mark everyone with pending answers in the table (at start: the index may be new)."""
        for openid in await asyncio.to_thread(self._run, pending_openids):
            await self.index.mark(openid)

    async def keep_answers(self, openid: str, parts: list[str], errcode: int | None) -> None:
        await asyncio.to_thread(self._run, keep_answers, openid, parts, errcode)
        await self.index.mark(openid)

    async def take_answers(self, openid: str) -> list[str]:
        if not await self.index.has(openid):
            return []
        taken = list(await asyncio.to_thread(self._run, take_answers, openid))
        await self.index.unmark(openid)
        return taken

    async def keep_attachment(self, openid: str, kind: str, **fields: str) -> None:
        await asyncio.to_thread(self._run, keep_attachment, openid, kind, **fields)

    async def forget_citizen(self, openid: str) -> int:
        deleted = int(await asyncio.to_thread(self._run, forget_citizen, openid))
        await self.index.unmark(openid)
        return deleted
