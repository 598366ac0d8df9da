"""Sessions: the cookie token is never stored; idle and absolute limits; logout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.staff.accounts import add_staff
from banshi.staff.models import StaffSession
from banshi.staff.sessions import (
    SessionPolicy,
    close_other_sessions,
    close_session,
    open_session,
    purge_expired,
    resume_session,
)
from tests.banshi.staff.conftest import CHEAP, NOW

POLICY = SessionPolicy(idle_minutes=30, absolute_hours=2, touch_seconds=60)


def test_session_limits_and_logout(engine: Engine) -> None:
    with session_scope(engine) as session:
        account, _ = add_staff(session, "zhou", "dispatcher", None, "Right-pass-1", hashing=CHEAP)
        token = open_session(session, account, policy=POLICY, now=NOW)
        other = open_session(session, account, policy=POLICY, now=NOW)
        stored = [s.token_hash for s in session.execute(select(StaffSession)).scalars()]
        assert token not in stored and len(stored) == 2
    step = NOW
    with session_scope(engine) as session:
        for _ in range(4):  # active every 25 minutes: the idle limit never bites
            step += timedelta(minutes=25)
            found = resume_session(session, token, policy=POLICY, now=step)
            assert found is not None and found.username == "zhou"
        # 2 hours after sign-in the session ends, however active.
        assert resume_session(session, token, policy=POLICY, now=NOW + timedelta(hours=2)) is None
        assert resume_session(session, "made-up", policy=POLICY, now=NOW) is None
    with session_scope(engine) as session:
        assert (
            resume_session(session, other, policy=POLICY, now=NOW + timedelta(minutes=31)) is None
        )
        fresh = open_session(session, account, policy=POLICY, now=NOW)
        kept = open_session(session, account, policy=POLICY, now=NOW)
        assert close_other_sessions(session, account, kept) == 1
        assert resume_session(session, fresh, policy=POLICY, now=NOW) is None
        close_session(session, kept)
        assert resume_session(session, kept, policy=POLICY, now=NOW) is None


def test_purge_removes_only_expired_sessions(engine: Engine) -> None:
    with session_scope(engine) as session:
        account, _ = add_staff(session, "wu", "dispatcher", None, "Right-pass-1", hashing=CHEAP)
        open_session(session, account, policy=POLICY, now=NOW - timedelta(hours=3))
        live = open_session(session, account, policy=POLICY, now=NOW)
        assert purge_expired(session, policy=POLICY, now=NOW) == 1
        assert resume_session(session, live, policy=POLICY, now=NOW) is not None
