"""Signing in and out, throttling, session expiry, one-time passwords, CSRF, headers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from banshi.db import session_scope
from banshi.staff.accounts import add_staff, disable_staff
from banshi.staff.audit import AuditAction, entries
from banshi.staff.login import LoginPolicy
from console import texts
from tests.console.conftest import CHEAP, PASSWORD, Clock, Site, csrf, login, refused, signed_in


def _account(
    site: Site, name: str, role: str = "dispatcher", password: str | None = PASSWORD
) -> str | None:
    with session_scope(site.engine) as session:
        _, otp = add_staff(session, name, role, None, password, hashing=CHEAP)
    return otp


def test_sign_in_sets_a_hardened_cookie_and_goes_where_asked(make_client: Any) -> None:
    client = make_client()
    first = client.get("/catalog/syncs")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Fcatalog%2Fsyncs"
    page = client.get(first.headers["location"])
    assert page.status_code == 200 and "工作人员登录" in page.text
    token = csrf(page.text)
    response = client.post(
        "/login?next=%2Fcatalog%2Fsyncs",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/catalog/syncs"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("banshi_console=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert client.get("/catalog/syncs").status_code == 200


def test_secure_cookies_use_the_host_prefix(make_client: Any) -> None:
    client = make_client(cookie_secure=True)
    page = client.get("/login")
    assert texts.INSECURE_TRANSPORT in page.text  # http://testserver: the cookie would be lost
    assert texts.INSECURE_TRANSPORT not in client.get("https://testserver/login").text
    assert texts.INSECURE_TRANSPORT not in make_client().get("/login").text
    assert any(
        c.startswith("__Host-banshi_console_pre=") and "Secure" in c
        for c in page.headers.get_list("set-cookie")
    )


def test_next_never_leaves_the_console(make_client: Any) -> None:
    client = make_client()
    token = csrf(client.get("/login").text)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["location"] == "/"


def test_a_wrong_password_says_so_and_warns_of_the_lock(make_client: Any) -> None:
    client = make_client()
    response = login(client, "admin", "not the password")
    assert response.status_code == 401
    assert texts.LOGIN_WRONG in response.text
    assert "连续输错 5 次密码，账号将锁定 15 分钟" in response.text
    unknown = login(client, "nobody-here", "not the password")
    assert unknown.status_code == 401 and texts.LOGIN_WRONG in unknown.text


def test_repeated_wrong_passwords_lock_the_account_for_a_while(
    make_client: Any, site: Site
) -> None:
    _account(site, "lockme")
    clock = Clock()
    client = make_client(clock=clock, login_policy=LoginPolicy(max_failures=3, lock_minutes=15))
    for _ in range(2):
        assert login(client, "lockme", "wrong password!").status_code == 401
    locked = login(client, "lockme", "wrong password!")
    assert locked.status_code == 429
    assert "账号已锁定，请于 10:15 后再试" in locked.text
    # Even the right password is refused while locked.
    assert login(client, "lockme").status_code == 429
    clock.advance(minutes=15)
    assert login(client, "lockme").status_code == 303
    with session_scope(site.engine) as session:
        actions = [e.action for e in entries(session, actor="lockme")]
    assert AuditAction.LOGIN_LOCKED.value in actions and actions[0] == AuditAction.LOGIN.value


def test_many_failures_from_one_address_are_throttled(make_client: Any) -> None:
    client = make_client(login_policy=LoginPolicy(address_max_failures=3))
    for name in ("ghost-a", "ghost-b", "ghost-c"):
        assert login(client, name, "whatever-password").status_code == 401
    throttled = login(client, "admin")
    assert throttled.status_code == 429 and "本机登录失败次数过多" in throttled.text
    assert make_client().get("/login").status_code == 200  # another address is not affected


def test_a_disabled_account_is_signed_out_at_once(make_client: Any, site: Site) -> None:
    _account(site, "leaver")
    client = make_client()
    signed_in(client, "leaver")
    assert client.get("/").status_code == 200
    with session_scope(site.engine) as session:
        disable_staff(session, "leaver")
    assert client.get("/").status_code == 303
    again = login(client, "leaver")
    assert again.status_code == 403 and texts.LOGIN_DISABLED in again.text


def test_logout_ends_the_session_everywhere_it_was_copied(make_client: Any) -> None:
    client = make_client()
    token = signed_in(client, "reviewer")
    stolen = client.cookies.get("banshi_console")
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login?done=logout"
    assert texts.LOGGED_OUT in client.get(out.headers["location"]).text
    replay = make_client()
    replay.cookies.set("banshi_console", stolen)
    assert replay.get("/").status_code == 303


def test_sessions_expire_when_idle_and_after_a_working_day(make_client: Any) -> None:
    clock = Clock()
    client = make_client(clock=clock)
    signed_in(client, "window")
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=31)
    idle = client.get("/")
    assert idle.headers["location"] == "/login?next=%2F&expired=1"
    assert texts.LOGIN_EXPIRED in client.get(idle.headers["location"]).text

    signed_in(client, "window")
    for _ in range(12 * 3):  # busy all day: a request every 20 minutes
        clock.advance(minutes=20)
        status = client.get("/").status_code
        if status != 200:
            break
    assert status == 303
    assert clock.now == datetime(2026, 12, 7, 23, 0)  # signed in at 11:00: the 12-hour limit


def test_a_one_time_password_must_be_changed_first(make_client: Any, site: Site) -> None:
    with session_scope(site.engine) as session:
        _, otp = add_staff(session, "newcomer", "reviewer", None, None, hashing=CHEAP)
    assert otp
    client = make_client()
    first = login(client, "newcomer", otp)
    assert first.headers["location"] == "/password"
    assert client.get("/catalog").headers["location"] == "/password"
    page = client.get("/password")
    assert texts.PASSWORD_MUST_CHANGE in page.text and 'class="main"' not in page.text
    token = csrf(page.text)
    weak = client.post(
        "/password", data={"csrf_token": token, "current": otp, "new": "short", "repeat": "short"}
    )
    assert weak.status_code == 400 and "至少需要 10 个字符" in weak.text
    mismatch = client.post(
        "/password",
        data={"csrf_token": token, "current": otp, "new": "A-new-pass-1", "repeat": "A-new-pass-2"},
    )
    assert texts.PASSWORD_MISMATCH in mismatch.text
    done = client.post(
        "/password",
        data={"csrf_token": token, "current": otp, "new": "A-new-pass-1", "repeat": "A-new-pass-1"},
    )
    assert done.headers["location"] == "/?done=password"
    assert client.get("/catalog").status_code == 200
    assert login(make_client(), "newcomer", otp).status_code == 401
    assert login(make_client(), "newcomer", "A-new-pass-1").headers["location"] == "/"


def test_every_post_without_its_token_is_refused(make_client: Any, site: Site) -> None:
    client = make_client()
    token = signed_in(client, "admin")
    posts = [
        "/logout",
        "/password",
        "/catalog/syncs",
        "/lexicon/words",
        "/lexicon/words/1/remove",
        "/unanswered/handled",
        "/conversations/reveal",
        "/staff",
        "/staff/dispatcher/disable",
        "/staff/dispatcher/reset",
    ]
    for path in posts:
        missing = client.post(path, data={"ids": "1", "username": "x1"})
        assert missing.status_code == 403, path
        assert refused(missing.text) == texts.CSRF_REFUSED
        wrong = client.post(path, data={"csrf_token": token[:-2] + "00"})
        assert wrong.status_code == 403, path
    foreign = client.post(
        "/unanswered/handled",
        data={"csrf_token": token, "ids": ""},
        headers={"origin": "http://evil.example"},
    )
    assert foreign.status_code == 403
    proxied = client.post(
        "/unanswered/handled",
        data={"csrf_token": token, "ids": ""},
        headers={
            "origin": "https://console.hall.example",
            "x-forwarded-host": "console.hall.example",
        },
    )
    assert proxied.status_code == 303
    by_header = client.post(
        "/unanswered/handled", data={"ids": ""}, headers={"x-csrf-token": token}
    )
    assert by_header.status_code == 303
    # The login form too: no token, no login (and no session).
    anonymous = make_client()
    anonymous.get("/login")
    bare = anonymous.post("/login", data={"username": "admin", "password": PASSWORD})
    assert bare.status_code == 403 and "banshi_console" not in anonymous.cookies
    # Nothing was done: the dispatcher can still sign in with the same password.
    assert login(make_client(), "dispatcher").status_code == 303


def test_pages_carry_security_headers(make_client: Any) -> None:
    client = make_client()
    signed_in(client, "admin")
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    static = client.get("/static/console.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")
    assert client.get("/static/htmx.min.js").text.startswith("(function(e,t)")
