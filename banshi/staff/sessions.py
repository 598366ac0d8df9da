"""Signed-in browsers, kept in the database so that logout, a disabled account or a password
reset end them at once in every console process.

The browser holds a random token in a cookie; the table holds only its SHA-256. A session ends
after ``idle_minutes`` without a request or ``absolute_hours`` after sign-in, whichever is first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from banshi.staff.models import StaffAccount, StaffSession


@dataclass(frozen=True)
class SessionPolicy:
    """How long a sign-in lasts. A hall shift is under 12 hours; a screen left alone for half
    an hour at a window must not stay signed in."""

    idle_minutes: int = 30
    absolute_hours: int = 12
    touch_seconds: int = 60  # last_seen_at is written at most this often, not on every request


DEFAULT_SESSION_POLICY = SessionPolicy()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    session: Session,
    account: StaffAccount,
    *,
    policy: SessionPolicy = DEFAULT_SESSION_POLICY,
    now: datetime | None = None,
) -> str:
    """Start a session for ``account``; returns the token for the cookie (never stored)."""
    now = (now or datetime.now()).replace(microsecond=0)
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_digest(token),
            staff_id=account.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=policy.absolute_hours),
        )
    )
    session.flush()
    return token


def resume_session(
    session: Session,
    token: str,
    *,
    policy: SessionPolicy = DEFAULT_SESSION_POLICY,
    now: datetime | None = None,
) -> StaffAccount | None:
    """The signed-in account for a cookie's token, or ``None`` when the session is unknown,
    expired (then it is deleted) or its account was disabled."""
    if not token:
        return None
    now = (now or datetime.now()).replace(microsecond=0)
    row = session.execute(
        select(StaffSession).where(StaffSession.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None:
        return None
    idle_limit = row.last_seen_at + timedelta(minutes=policy.idle_minutes)
    if now >= row.expires_at or now >= idle_limit:
        session.delete(row)
        return None
    account = session.get(StaffAccount, row.staff_id)
    if account is None or not account.active:
        session.delete(row)
        return None
    if (now - row.last_seen_at).total_seconds() >= policy.touch_seconds:
        row.last_seen_at = now
    return account


def close_session(session: Session, token: str) -> None:
    """Logout: the token no longer signs anyone in."""
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))


def close_other_sessions(session: Session, account: StaffAccount, keep_token: str) -> int:
    """After a password change: sign out every other browser of this account."""
    result = session.execute(
        delete(StaffSession).where(
            StaffSession.staff_id == account.id, StaffSession.token_hash != _digest(keep_token)
        )
    )
    return int(result.rowcount or 0)


def purge_expired(
    session: Session, *, policy: SessionPolicy = DEFAULT_SESSION_POLICY, now: datetime | None = None
) -> int:
    """Delete sessions past either limit (housekeeping; expired ones never sign anyone in)."""
    now = now or datetime.now()
    result = session.execute(
        delete(StaffSession).where(
            (StaffSession.expires_at <= now)
            | (StaffSession.last_seen_at <= now - timedelta(minutes=policy.idle_minutes))
        )
    )
    return int(result.rowcount or 0)
