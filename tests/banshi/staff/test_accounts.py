"""Accounts: adding (with a given or one-time password), listing, disabling, resetting."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.staff.accounts import (
    InvalidUsername,
    LastAdmin,
    StaffExists,
    StaffNotFound,
    UnknownHall,
    add_staff,
    change_password,
    disable_staff,
    get_account,
    list_staff,
    reset_password,
)
from banshi.staff.audit import entries
from banshi.staff.passwords import WeakPassword, check_password_rule, one_time_password
from banshi.staff.roles import Role
from banshi.staff.sessions import open_session, resume_session
from tests.banshi.staff.conftest import CHEAP, NOW


def test_add_list_disable_and_reset(engine: Engine, hall: str) -> None:
    with session_scope(engine) as session:
        account, otp = add_staff(
            session, "Admin", "admin", None, "Strong-pass-1", hashing=CHEAP, now=NOW
        )
        assert otp is None and account.username == "admin" and not account.must_change_password
        clerk, clerk_otp = add_staff(
            session, "zhang.san", "窗口人员", hall, None, hashing=CHEAP, now=NOW
        )
        assert clerk_otp is not None and clerk.must_change_password
        assert CHEAP.verify(clerk.password_hash, clerk_otp) and clerk_otp not in clerk.password_hash
        token = open_session(session, clerk, now=NOW)
    with session_scope(engine) as session:
        listed = list_staff(session)
        assert json.loads(json.dumps(listed)) == listed  # the --json shape is plain JSON
        assert listed == [
            {
                "username": "admin",
                "role": "admin",
                "hall": None,
                "active": True,
                "must_change_password": False,
                "created_at": "2026-12-07T09:00:00",
                "last_login_at": None,
            },
            {
                "username": "zhang.san",
                "role": "window",
                "hall": "H1",
                "active": True,
                "must_change_password": True,
                "created_at": "2026-12-07T09:00:00",
                "last_login_at": None,
            },
        ]
        new_otp = reset_password(session, "zhang.san", hashing=CHEAP)
        assert new_otp != clerk_otp
        assert resume_session(session, token, now=NOW) is None  # a reset signs out
        disable_staff(session, "zhang.san")
        disable_staff(session, "zhang.san")  # again: nothing more happens
    with session_scope(engine) as session:
        stored = get_account(session, "zhang.san")
        assert stored is not None and not stored.active and stored.disabled_at is not None
        actions = [e.action for e in entries(session, target="staff:zhang.san")]
        assert actions == ["staff_disabled", "staff_password_reset", "staff_added"]


def test_refusals_name_what_is_wrong(engine: Engine, hall: str) -> None:
    with session_scope(engine) as session:
        add_staff(session, "admin", Role.ADMIN, None, "Strong-pass-1", hashing=CHEAP)
        with pytest.raises(StaffExists):
            add_staff(session, "ADMIN", "reviewer", None, None, hashing=CHEAP)
        with pytest.raises(InvalidUsername, match="小写字母"):
            add_staff(session, "1x", "reviewer", None, None, hashing=CHEAP)
        with pytest.raises(ValueError, match="未知的角色"):
            add_staff(session, "bob", "boss", None, None, hashing=CHEAP)
        with pytest.raises(UnknownHall, match="须指定所在大厅"):
            add_staff(session, "bob", "window", None, None, hashing=CHEAP)
        with pytest.raises(UnknownHall, match="没有编码为“H9”的大厅"):
            add_staff(session, "bob", "dispatcher", "H9", None, hashing=CHEAP)
        with pytest.raises(WeakPassword, match="不能包含用户名"):
            add_staff(session, "bob", "dispatcher", None, "bob-is-great-1", hashing=CHEAP)
        with pytest.raises(StaffNotFound):
            disable_staff(session, "nobody")
        with pytest.raises(LastAdmin):
            disable_staff(session, "admin", actor="someone")
        disable_staff(session, "admin")  # from the command line it is allowed


def test_change_password_checks_the_current_one(engine: Engine) -> None:
    with session_scope(engine) as session:
        account, otp = add_staff(session, "li", "reviewer", None, None, hashing=CHEAP)
        assert otp is not None
        with pytest.raises(ValueError, match="当前密码不正确"):
            change_password(session, account, "wrong", "Brand-new-pass", hashing=CHEAP)
        change_password(session, account, otp, "Brand-new-pass", hashing=CHEAP)
        assert not account.must_change_password
        assert CHEAP.verify(account.password_hash, "Brand-new-pass")


def test_password_rule_and_one_time_passwords() -> None:
    for weak, reason in [
        ("short", "至少"),
        (" padded-pass ", "空格"),
        ("aaaaaaaaaaaa", "过于简单"),
    ]:
        with pytest.raises(WeakPassword, match=reason):
            check_password_rule(weak, "someone")
    check_password_rule("Hall-desk-2026!", "someone")
    otps = {one_time_password() for _ in range(50)}
    assert len(otps) == 50
    assert all(len(p) == 14 and p.count("-") == 2 and not set(p) & set("01lIoO") for p in otps)
