"""Signing in, with throttling: repeated wrong passwords lock the account for a while, and
many wrong logins from one address are refused for a while, whichever account they try.

Counts live in the database, so every console process sees the same ones. An unknown
username costs the same hashing work as a known one and gets the same answer, so the login
form does not tell which usernames exist; a lock, once reached, is said plainly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from banshi.staff.accounts import get_account
from banshi.staff.audit import AuditAction, record
from banshi.staff.models import LoginFailure, StaffAccount
from banshi.staff.passwords import DEFAULT_HASHING, PasswordHashing


@dataclass(frozen=True)
class LoginPolicy:
    """How many wrong passwords are tolerated. Defaults follow common 等保 practice: five
    wrong passwords lock an account for 15 minutes."""

    max_failures: int = 5  # consecutive wrong passwords for one account
    lock_minutes: int = 15
    address_max_failures: int = 20  # wrong logins from one address, any account ...
    address_window_minutes: int = 15  # ... within this many minutes


DEFAULT_LOGIN_POLICY = LoginPolicy()


class LoginOutcome(str, Enum):
    OK = "ok"
    WRONG = "wrong"  # unknown username or wrong password: the same answer for both
    LOCKED = "locked"  # too many wrong passwords for this account
    THROTTLED = "throttled"  # too many wrong logins from this address
    DISABLED = "disabled"  # right password, disabled account


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    account: StaffAccount | None = None
    until: datetime | None = None  # when a lock or throttle ends


_DUMMY_HASHES: dict[PasswordHashing, str] = {}


def _dummy_verify(hashing: PasswordHashing, password: str) -> None:
    """Spend the hashing time a real account would, so timing does not reveal usernames."""
    if hashing not in _DUMMY_HASHES:
        _DUMMY_HASHES[hashing] = hashing.hash("not a password of anyone")
    hashing.verify(_DUMMY_HASHES[hashing], password)


def _address_throttle(
    session: Session, address: str, policy: LoginPolicy, now: datetime
) -> datetime | None:
    """When the address may try again, if it has failed too often lately."""
    since = now - timedelta(minutes=policy.address_window_minutes)
    session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    count, oldest = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.address == address, LoginFailure.at >= since
        )
    ).one()
    if count >= policy.address_max_failures and oldest is not None:
        return oldest + timedelta(minutes=policy.address_window_minutes)
    return None


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    address: str = "",
    policy: LoginPolicy = DEFAULT_LOGIN_POLICY,
    hashing: PasswordHashing = DEFAULT_HASHING,
    now: datetime | None = None,
) -> LoginResult:
    """Check a login and count it. Commit the session whatever the outcome: the counts and the
    audit entries must stay even when the login is refused."""
    now = (now or datetime.now()).replace(microsecond=0)
    address = address[:64]
    until = _address_throttle(session, address, policy, now)
    if until is not None:
        return LoginResult(LoginOutcome.THROTTLED, until=until)
    found = get_account(session, username)
    account = (
        session.execute(
            select(StaffAccount).where(StaffAccount.id == found.id).with_for_update()
        ).scalar_one()
        if found is not None
        else None
    )
    if account is None:
        _dummy_verify(hashing, password)
        session.add(LoginFailure(address=address, at=now))
        return LoginResult(LoginOutcome.WRONG)
    if account.locked_until is not None and account.locked_until > now:
        return LoginResult(LoginOutcome.LOCKED, account, until=account.locked_until)
    if not hashing.verify(account.password_hash, password):
        return _wrong_password(session, account, address, policy, now)
    if not account.active:
        return LoginResult(LoginOutcome.DISABLED, account)
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    if hashing.needs_rehash(account.password_hash):
        account.password_hash = hashing.hash(password)
    record(session, account.username, AuditAction.LOGIN, address=address, at=now)
    return LoginResult(LoginOutcome.OK, account)


def _wrong_password(
    session: Session, account: StaffAccount, address: str, policy: LoginPolicy, now: datetime
) -> LoginResult:
    session.add(LoginFailure(address=address, at=now))
    account.failed_logins = (account.failed_logins or 0) + 1
    if account.failed_logins >= policy.max_failures:
        account.failed_logins = 0
        account.locked_until = now + timedelta(minutes=policy.lock_minutes)
        record(
            session,
            account.username,
            AuditAction.LOGIN_LOCKED,
            summary=f"连续 {policy.max_failures} 次密码错误，锁定 {policy.lock_minutes} 分钟",
            address=address,
            at=now,
        )
        return LoginResult(LoginOutcome.LOCKED, account, until=account.locked_until)
    record(session, account.username, AuditAction.LOGIN_FAILED, address=address, at=now)
    return LoginResult(LoginOutcome.WRONG, account)
