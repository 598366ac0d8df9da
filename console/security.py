"""Sign-in cookies, CSRF tokens, the role guard every route goes through, security headers.

One guard wraps every route (:func:`guard`), so a page cannot forget a check:

1. the session cookie is resolved to a :class:`~console.services.StaffUser` (or none);
2. a route that needs a sign-in sends strangers to the login page (an expired session says
   so); a one-time password must be changed before anything else;
3. every POST must carry the CSRF token of this session (or, on the login form, of the
   pre-login cookie): a form field ``csrf_token`` or an ``X-CSRF-Token`` header. Without it:
   403, nothing done;
4. a route outside the staff member's role: 403.

The CSRF token is an HMAC of the session token under a key derived from the console's secret,
so it needs no storage and changes with every sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import logging
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from banshi.db import session_scope
from banshi.privacy.crypto import derive_key
from banshi.staff.roles import Role, allows
from banshi.staff.sessions import resume_session
from console import texts
from console.services import ConsoleServices, Endpoint, StaffUser

log = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Content-Security-Policy: only our own files; htmx needs no inline script or eval.
_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


@dataclass(frozen=True)
class CookieNames:
    session: str
    pre_login: str


class Security:
    """Cookie names and CSRF tokens for one console (one secret)."""

    def __init__(self, services: ConsoleServices) -> None:
        self.services = services
        self._csrf_key = derive_key(services.secret_key, "console-csrf")
        # "__Host-" cookies are refused by browsers unless Secure, Path=/ and without Domain:
        # a sub-domain cannot plant its own session cookie on us.
        prefix = "__Host-" if services.cookie_secure else ""
        self.cookies = CookieNames(f"{prefix}banshi_console", f"{prefix}banshi_console_pre")

    def _sign(self, purpose: str, value: str) -> str:
        mac = hmac.new(self._csrf_key, f"{purpose}:{value}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def csrf_token(self, request: Request) -> str:
        """The token forms of this page must carry."""
        token = getattr(request.state, "session_token", None)
        if token:
            return self._sign("session", token)
        pre = getattr(request.state, "pre_login", None) or request.cookies.get(
            self.cookies.pre_login, ""
        )
        return self._sign("pre", pre) if pre else ""

    def csrf_ok(self, request: Request, sent: str) -> bool:
        expected = self.csrf_token(request)
        return bool(expected) and bool(sent) and hmac.compare_digest(expected, sent)

    def set_cookie(self, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            httponly=True,
            secure=self.services.cookie_secure,
            samesite="strict",
            path="/",
        )

    def clear_cookie(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name, path="/", secure=self.services.cookie_secure, httponly=True, samesite="strict"
        )

    def pre_login_seed(self, request: Request) -> bool:
        """Make sure the login page has a pre-login CSRF seed; True when a new one was made
        (then :meth:`keep_pre_login` must put it in the response's cookie)."""
        if request.cookies.get(self.cookies.pre_login):
            return False
        request.state.pre_login = secrets.token_urlsafe(24)
        return True

    def keep_pre_login(self, request: Request, response: Response) -> None:
        self.set_cookie(response, self.cookies.pre_login, request.state.pre_login)


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def _same_origin(request: Request) -> bool:
    """A browser's Origin header, when sent, names our host (a second line behind CSRF).
    Behind a reverse proxy that rewrites Host, the proxy's X-Forwarded-Host counts too (a
    cross-site form cannot set that header)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")}
    return urllib.parse.urlsplit(origin).netloc in hosts - {""}


def _login_redirect(request: Request, expired: bool) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = {"next": target} if request.method in SAFE_METHODS else {}
    if expired:
        query["expired"] = "1"
    url = "/login" + ("?" + urllib.parse.urlencode(query) if query else "")
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _resolve(services: ConsoleServices, token: str) -> StaffUser | None:
    with session_scope(services.engine) as session:
        account = resume_session(session, token, policy=services.session_policy, now=services.now())
        if account is None:
            return None
        return StaffUser(
            id=account.id,
            username=account.username,
            role=Role(account.role),
            hall_code=account.hall_code,
            must_change_password=bool(account.must_change_password),
        )


Refusal = Callable[[Request, int, str], Response]


def guard(
    endpoint: Endpoint,
    roles: frozenset[Role] | None,
    *,
    refuse: Refusal,
    password_page: bool = False,
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a page handler with sign-in, CSRF and role checks (see the module docstring).

    ``roles=None`` marks a public route (the login page). ``password_page`` lets a staff member
    with a one-time password through (the password page and logout)."""
    is_async = inspect.iscoroutinefunction(endpoint)

    async def guarded(request: Request) -> Response:
        security: Security = request.app.state.security
        services = security.services
        token = request.cookies.get(security.cookies.session, "")
        staff = await run_in_threadpool(_resolve, services, token) if token else None
        request.state.staff = staff
        request.state.session_token = token if staff else None
        if roles is not None:
            if staff is None:
                response = _login_redirect(request, expired=bool(token))
                if token:
                    security.clear_cookie(response, security.cookies.session)
                return response
            if staff.must_change_password and not password_page:
                return RedirectResponse("/password", status_code=303)
        request.state.form = None
        if request.method not in SAFE_METHODS:
            form = await request.form()
            request.state.form = form
            sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
            if not _same_origin(request) or not security.csrf_ok(request, sent):
                log.warning("CSRF check failed: %s %s", request.method, request.url.path)
                return refuse(request, 403, texts.CSRF_REFUSED)
        if roles is not None and staff is not None and not allows(roles, staff.role):
            return refuse(request, 403, texts.FORBIDDEN)
        if is_async:
            return await cast(Callable[[Request], Awaitable[Response]], endpoint)(request)
        return cast(Response, await run_in_threadpool(endpoint, request))

    guarded.__name__ = getattr(endpoint, "__name__", "endpoint")
    return guarded


class SecurityHeaders:
    """Adds the security headers to every response, and ``no-store`` to pages (they show
    personal data and must not stay in a shared hall computer's cache)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {k.decode("latin-1").lower() for k, _ in headers}
                extra = dict(_HEADERS)
                if not is_static:
                    extra["cache-control"] = "no-store"
                for key, value in extra.items():
                    if key not in present:
                        headers.append((key.encode("latin-1"), value.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
