"""Signing in: outcomes, the account lock, the per-address throttle, re-hashing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.staff.accounts import add_staff, disable_staff, get_account
from banshi.staff.audit import entries
from banshi.staff.login import LoginOutcome, LoginPolicy, authenticate
from banshi.staff.passwords import PasswordHashing
from tests.banshi.staff.conftest import CHEAP, NOW

POLICY = LoginPolicy(max_failures=3, lock_minutes=10, address_max_failures=5)


def _login(engine: Engine, user: str, password: str, minutes: float = 0, address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        result = authenticate(
            session,
            user,
            password,
            address=address,
            policy=POLICY,
            hashing=CHEAP,
            now=NOW + timedelta(minutes=minutes),
        )
        return result.outcome, result.until


def test_lock_after_repeated_wrong_passwords_then_release(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_staff(session, "wang", "dispatcher", None, "Right-pass-1", hashing=CHEAP)
    assert _login(engine, "wang", "nope")[0] is LoginOutcome.WRONG
    assert _login(engine, "wang", "Right-pass-1")[0] is LoginOutcome.OK  # success resets the count
    assert _login(engine, "wang", "nope")[0] is LoginOutcome.WRONG
    assert _login(engine, "wang", "nope")[0] is LoginOutcome.WRONG
    outcome, until = _login(engine, "wang", "nope", minutes=1)
    assert outcome is LoginOutcome.LOCKED and until == NOW + timedelta(minutes=11)
    assert _login(engine, "wang", "Right-pass-1", minutes=5)[0] is LoginOutcome.LOCKED
    assert _login(engine, "wang", "Right-pass-1", minutes=11)[0] is LoginOutcome.OK
    with session_scope(engine) as session:
        account = get_account(session, "wang")
        assert account is not None and account.last_login_at == NOW + timedelta(minutes=11)
        log = [e.action for e in entries(session, actor="wang")]
    assert log[:2] == ["login", "login_locked"] and log.count("login_failed") == 3


def test_one_address_guessing_across_accounts_is_throttled(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_staff(session, "zhao", "reviewer", None, "Right-pass-1", hashing=CHEAP)
    for name in ("a1", "a2", "a3", "a4", "a5"):
        assert _login(engine, name, "guess", address="10.9.9.9")[0] is LoginOutcome.WRONG
    outcome, until = _login(engine, "zhao", "Right-pass-1", minutes=1, address="10.9.9.9")
    assert outcome is LoginOutcome.THROTTLED and until == NOW + timedelta(minutes=15)
    assert (
        _login(engine, "zhao", "Right-pass-1", minutes=1, address="10.1.1.1")[0] is LoginOutcome.OK
    )
    assert (
        _login(engine, "zhao", "Right-pass-1", minutes=16, address="10.9.9.9")[0] is LoginOutcome.OK
    )


def test_disabled_accounts_and_rehashing(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_staff(session, "qian", "reviewer", None, "Right-pass-1", hashing=CHEAP)
        add_staff(session, "sun", "reviewer", None, "Right-pass-1", hashing=CHEAP)
        disable_staff(session, "sun")
    assert _login(engine, "sun", "wrong")[0] is LoginOutcome.WRONG  # says nothing of the account
    assert _login(engine, "sun", "Right-pass-1")[0] is LoginOutcome.DISABLED
    stronger = PasswordHashing(time_cost=2, memory_cost_kib=16, parallelism=1)
    with session_scope(engine) as session:
        result = authenticate(session, "qian", "Right-pass-1", hashing=stronger, now=NOW)
        assert result.outcome is LoginOutcome.OK
        account = get_account(session, "qian")
        assert account is not None and "m=16,t=2" in account.password_hash
