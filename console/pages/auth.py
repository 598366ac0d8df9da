"""Sign in, sign out, change the password (forced after a one-time password)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from banshi.staff.accounts import StaffError, change_password
from banshi.staff.audit import AuditAction
from banshi.staff.login import LoginOutcome, authenticate
from banshi.staff.models import StaffAccount
from banshi.staff.passwords import WeakPassword
from banshi.staff.roles import EVERYONE
from banshi.staff.sessions import close_other_sessions, close_session, open_session
from console import texts
from console.pagekit import (
    audit,
    field,
    redirect,
    render,
    services_of,
    staff_of,
    transaction,
)
from console.security import Refusal, Security, client_address, guard


def _next(request: Request) -> str:
    """Where to go after signing in: a local path only (never another site)."""
    target = request.query_params.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def _cookies_will_be_dropped(request: Request) -> bool:
    """Secure cookies over plain http (other than to this machine) are never stored: say so,
    instead of letting the login fail as an expired form."""
    secure = services_of(request).cookie_secure
    return secure and request.url.scheme == "http" and request.url.hostname not in _LOCAL_HOSTS


def _login_form(request: Request, error: str = "", status: int = 200) -> Response:
    security: Security = request.app.state.security
    fresh = security.pre_login_seed(request)
    notice = texts.LOGIN_EXPIRED if request.query_params.get("expired") else ""
    if _cookies_will_be_dropped(request):
        notice = texts.INSECURE_TRANSPORT
    context = {"error": error, "notice": notice, "username": field(request, "username")}
    response = render(request, "login.html", context, status)
    if fresh:
        security.keep_pre_login(request, response)
    return response


def login_page(request: Request) -> Response:
    if request.state.staff is not None:
        return RedirectResponse(_next(request), status_code=303)
    return _login_form(request)


def login(request: Request) -> Response:
    services = services_of(request)
    security: Security = request.app.state.security
    policy = services.login_policy
    with transaction(request) as session:
        result = authenticate(
            session,
            field(request, "username"),
            str(request.state.form.get("password") or ""),
            address=client_address(request),
            policy=policy,
            hashing=services.password_hashing,
            now=services.now(),
        )
        token = None
        if result.outcome is LoginOutcome.OK and result.account is not None:
            token = open_session(
                session, result.account, policy=services.session_policy, now=services.now()
            )
            must_change = bool(result.account.must_change_password)
    if token is None:
        if result.outcome is LoginOutcome.LOCKED and result.until is not None:
            return _login_form(request, texts.login_locked(result.until), 429)
        if result.outcome is LoginOutcome.THROTTLED and result.until is not None:
            return _login_form(request, texts.login_throttled(result.until), 429)
        if result.outcome is LoginOutcome.DISABLED:
            return _login_form(request, texts.LOGIN_DISABLED, 403)
        hint = texts.login_wrong_hint(policy.max_failures, policy.lock_minutes)
        return _login_form(request, f"{texts.LOGIN_WRONG}{hint}", 401)
    response = RedirectResponse("/password" if must_change else _next(request), status_code=303)
    security.set_cookie(response, security.cookies.session, token)
    security.clear_cookie(response, security.cookies.pre_login)
    return response


def logout(request: Request) -> Response:
    security: Security = request.app.state.security
    with transaction(request) as session:
        close_session(session, request.state.session_token or "")
        audit(session, request, AuditAction.LOGOUT)
    response = redirect("/login", "logout")
    security.clear_cookie(response, security.cookies.session)
    return response


def password_page(request: Request) -> Response:
    forced = staff_of(request).must_change_password
    return render(request, "password.html", {"forced": forced})


def password(request: Request) -> Response:
    services = services_of(request)
    staff = staff_of(request)
    form = request.state.form
    current, new = str(form.get("current") or ""), str(form.get("new") or "")
    if new != str(form.get("repeat") or ""):
        return _password_error(request, texts.PASSWORD_MISMATCH)
    try:
        with transaction(request) as session:
            account = session.get(StaffAccount, staff.id)
            assert account is not None  # the guard has just resolved it
            change_password(
                session,
                account,
                current,
                new,
                hashing=services.password_hashing,
                now=services.now(),
            )
            close_other_sessions(session, account, request.state.session_token or "")
    except (StaffError, WeakPassword) as exc:
        return _password_error(request, str(exc))
    return redirect("/", "password")


def _password_error(request: Request, message: str) -> Response:
    forced = staff_of(request).must_change_password
    return render(request, "password.html", {"forced": forced, "error": message}, 400)


def routes(refuse: Refusal) -> list[Route]:
    """The sign-in routes. They are not a :class:`ConsolePage`: the login form is public, and
    the password page and logout stay open to a one-time password."""
    return [
        Route("/login", guard(login_page, None, refuse=refuse), methods=["GET"], name="login"),
        Route("/login", guard(login, None, refuse=refuse), methods=["POST"]),
        Route(
            "/logout",
            guard(logout, EVERYONE, refuse=refuse, password_page=True),
            methods=["POST"],
            name="logout",
        ),
        Route(
            "/password",
            guard(password_page, EVERYONE, refuse=refuse, password_page=True),
            methods=["GET"],
            name="password",
        ),
        Route(
            "/password",
            guard(password, EVERYONE, refuse=refuse, password_page=True),
            methods=["POST"],
        ),
    ]
