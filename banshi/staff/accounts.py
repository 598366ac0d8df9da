"""Staff accounts: add, list, disable, reset and change passwords.

These are the functions behind ``banshi staff add|list|disable`` and the console's 账号管理
page. Every change is written to the audit log in the same transaction. Accounts are never
deleted, only disabled, so the audit log keeps pointing at them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from banshi.models import Hall
from banshi.staff.audit import CLI_ACTOR, AuditAction, record
from banshi.staff.models import StaffAccount, StaffSession
from banshi.staff.passwords import (
    DEFAULT_HASHING,
    PasswordHashing,
    check_password_rule,
    one_time_password,
)
from banshi.staff.roles import Role

_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,39}$")


class StaffError(ValueError):
    """An account change that cannot be made; the message says why, in Chinese."""


class InvalidUsername(StaffError):
    """The username is not 2–40 lower-case letters, digits, ``_ . -``, starting with a letter."""


class StaffExists(StaffError):
    """An account with this username exists already (perhaps disabled)."""


class StaffNotFound(StaffError):
    """No account has this username."""


class UnknownHall(StaffError):
    """The hall code is not a synced hall, or a 窗口人员 was given none."""


class LastAdmin(StaffError):
    """The change would leave no active 管理员 to manage the console."""


def normalize_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise InvalidUsername(
            f"用户名“{username}”不合规：请用 2 到 40 个小写字母、数字或 _ . -，以字母开头。"
        )
    return name


def get_account(session: Session, username: str) -> StaffAccount | None:
    return session.execute(
        select(StaffAccount).where(StaffAccount.username == username.strip().lower())
    ).scalar_one_or_none()


def _require(session: Session, username: str) -> StaffAccount:
    account = get_account(session, username)
    if account is None:
        raise StaffNotFound(f"没有用户名为“{username}”的账号。")
    return account


def _check_hall(session: Session, role: Role, hall_code: str | None) -> str | None:
    code = (hall_code or "").strip() or None
    if code is None:
        if role is Role.WINDOW:
            raise UnknownHall(
                "窗口人员账号须指定所在大厅：--hall 大厅编码（见 halls.json 的 HALL_CODE）。"
            )
        return None
    if session.execute(select(Hall.id).where(Hall.code == code)).first() is None:
        raise UnknownHall(
            f"没有编码为“{code}”的大厅。请先同步大厅数据（banshi catalog sync halls.json），"
            "或核对大厅编码。"
        )
    return code


def add_staff(
    session: Session,
    username: str,
    role: Role | str,
    hall_code: str | None,
    password: str | None,
    *,
    hashing: PasswordHashing = DEFAULT_HASHING,
    actor: str = CLI_ACTOR,
    now: datetime | None = None,
) -> tuple[StaffAccount, str | None]:
    """Create an account. Without ``password`` a one-time password is made and returned (show
    it once); it must be changed at first login. Raises a :class:`StaffError` or
    :class:`~banshi.staff.passwords.WeakPassword`."""
    name = normalize_username(username)
    the_role = Role.parse(role)
    if get_account(session, name) is not None:
        raise StaffExists(f"用户名“{name}”已被使用（可能是已停用的账号）。")
    hall = _check_hall(session, the_role, hall_code)
    otp = None
    if password is None:
        otp = password = one_time_password()
    else:
        check_password_rule(password, name)
    when = (now or datetime.now()).replace(microsecond=0)
    account = StaffAccount(
        username=name,
        role=the_role.value,
        hall_code=hall,
        password_hash=hashing.hash(password),
        must_change_password=otp is not None,
        active=True,
        failed_logins=0,
        created_at=when,
        password_changed_at=None if otp else when,
    )
    session.add(account)
    session.flush()
    record(
        session,
        actor,
        AuditAction.STAFF_ADDED,
        f"staff:{name}",
        summary=f"新增{the_role.label}账号 {name}" + (f"（大厅 {hall}）" if hall else ""),
        detail={"role": the_role.value, "hall": hall},
        at=when,
    )
    return account, otp


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def list_staff(session: Session) -> list[dict[str, Any]]:
    """Every account, as ``banshi staff list --json`` prints it."""
    accounts = session.execute(select(StaffAccount).order_by(StaffAccount.username)).scalars()
    return [
        {
            "username": a.username,
            "role": a.role,
            "hall": a.hall_code,
            "active": bool(a.active),
            "must_change_password": bool(a.must_change_password),
            "created_at": _iso(a.created_at),
            "last_login_at": _iso(a.last_login_at),
        }
        for a in accounts
    ]


def _end_sessions(session: Session, account: StaffAccount) -> None:
    session.execute(delete(StaffSession).where(StaffSession.staff_id == account.id))
    session.expire(account, ["sessions"])


def _active_admins(session: Session) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(StaffAccount)
            .where(StaffAccount.role == Role.ADMIN.value, StaffAccount.active.is_(True))
        ).scalar_one()
    )


def disable_staff(
    session: Session,
    username: str,
    *,
    actor: str = CLI_ACTOR,
    now: datetime | None = None,
) -> StaffAccount:
    """Disable an account and sign it out everywhere. Disabling it again changes nothing.

    The last active 管理员 can be disabled only from the command line, where a new one can be
    added at once."""
    account = _require(session, username)
    if not account.active:
        return account
    if account.role == Role.ADMIN.value and actor != CLI_ACTOR and _active_admins(session) <= 1:
        raise LastAdmin("这是最后一个可用的管理员账号，不能停用。")
    when = (now or datetime.now()).replace(microsecond=0)
    account.active = False
    account.disabled_at = when
    _end_sessions(session, account)
    record(
        session,
        actor,
        AuditAction.STAFF_DISABLED,
        f"staff:{account.username}",
        summary=f"停用账号 {account.username}",
        at=when,
    )
    return account


def reset_password(
    session: Session,
    username: str,
    *,
    hashing: PasswordHashing = DEFAULT_HASHING,
    actor: str = CLI_ACTOR,
    now: datetime | None = None,
) -> str:
    """Give an account a new one-time password (returned; show it once), lift a lock, and sign
    it out everywhere."""
    account = _require(session, username)
    when = (now or datetime.now()).replace(microsecond=0)
    otp = one_time_password()
    account.password_hash = hashing.hash(otp)
    account.must_change_password = True
    account.failed_logins = 0
    account.locked_until = None
    _end_sessions(session, account)
    record(
        session,
        actor,
        AuditAction.STAFF_PASSWORD_RESET,
        f"staff:{account.username}",
        summary=f"重置账号 {account.username} 的密码",
        at=when,
    )
    return otp


def change_password(
    session: Session,
    account: StaffAccount,
    current: str,
    new: str,
    *,
    hashing: PasswordHashing = DEFAULT_HASHING,
    now: datetime | None = None,
) -> None:
    """The staff member's own change (also the forced one after a one-time password).
    Raises :class:`StaffError` when ``current`` is wrong, or
    :class:`~banshi.staff.passwords.WeakPassword`."""
    if not hashing.verify(account.password_hash, current):
        raise StaffError("当前密码不正确。")
    if new == current:
        raise StaffError("新密码不能与当前密码相同。")
    check_password_rule(new, account.username)
    when = (now or datetime.now()).replace(microsecond=0)
    account.password_hash = hashing.hash(new)
    account.must_change_password = False
    account.password_changed_at = when
    record(
        session,
        account.username,
        AuditAction.PASSWORD_CHANGED,
        f"staff:{account.username}",
        summary="修改了自己的密码",
        at=when,
    )
