"""What a page handler uses: the signed-in staff member, the form, a transaction, rendering,
audit entries, redirects. Features' pages use exactly these, like the built-in ones.

A handler is a plain function ``(request) -> Response`` (run in a worker thread, so it may
use the database) or a coroutine that must not block. The guard has already checked the
sign-in, the role and the CSRF token before it is called.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from banshi.db import session_scope
from banshi.staff.audit import AuditAction, record
from banshi.staff.models import AuditEntry
from console.rendering import Renderer
from console.security import client_address
from console.services import ConsoleServices, StaffUser


def services_of(request: Request) -> ConsoleServices:
    services: ConsoleServices = request.app.state.services
    return services


def staff_of(request: Request) -> StaffUser:
    """The signed-in staff member (every non-public route has one)."""
    staff: StaffUser | None = request.state.staff
    if staff is None:
        raise RuntimeError("staff_of() on a public route: nobody is signed in")
    return staff


def form_of(request: Request) -> FormData:
    """The posted form, already read (and CSRF-checked) by the guard."""
    form: FormData | None = getattr(request.state, "form", None)
    return form if form is not None else FormData()


def field(request: Request, name: str) -> str:
    """A form field as stripped text ('' when missing)."""
    value = form_of(request).get(name)
    return value.strip() if isinstance(value, str) else ""


@contextmanager
def transaction(request: Request) -> Iterator[Session]:
    """One database transaction (commit on success), as :func:`banshi.db.session_scope`."""
    with session_scope(services_of(request).engine) as session:
        yield session


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    return renderer.render(request, template, context, status)


def refuse(request: Request, status: int, message: str) -> HTMLResponse:
    """The error page (403, 404 …) with a Chinese explanation."""
    return render(request, "error.html", {"status": status, "message": message}, status)


def redirect(path: str, done: str | None = None, **params: str) -> RedirectResponse:
    """Post/redirect/get: ``done`` names a confirmation in :data:`console.texts.DONE`."""
    query = dict(params)
    if done:
        query["done"] = done
    if not query:
        return RedirectResponse(path, status_code=303)
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(path + joiner + urllib.parse.urlencode(query), status_code=303)


def audit(
    session: Session,
    request: Request,
    action: AuditAction,
    target: str = "",
    *,
    summary: str = "",
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record what the signed-in staff member did, in the action's own transaction."""
    return record(
        session,
        staff_of(request).username,
        action,
        target,
        summary=summary,
        detail=detail,
        address=client_address(request),
        at=services_of(request).now(),
    )


def record_reveal(session: Session, request: Request, target: str, what: str) -> AuditEntry:
    """Before showing personal data unmasked (a full phone or ID number, a conversation):
    record who saw what of whom. ``target`` names the record (``booking:12``), ``what`` says
    in Chinese what was shown (“预约人手机号”); neither holds the data itself."""
    return audit(session, request, AuditAction.REVEAL, target, summary=f"查看完整{what}")
