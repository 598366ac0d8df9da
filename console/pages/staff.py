"""账号管理 (管理员 only): accounts, adding one, disabling, resetting a password; and the
audit log."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from banshi.models import Hall
from banshi.staff.accounts import StaffError, add_staff, disable_staff, list_staff, reset_password
from banshi.staff.audit import AuditAction, entries
from banshi.staff.passwords import WeakPassword
from banshi.staff.roles import ADMIN_ONLY, Role
from console import texts
from console.pagekit import field, redirect, render, services_of, staff_of, transaction
from console.services import ConsolePage, PageRoute

AUDIT_LIMIT = 300


def staff_page(request: Request, message: str = "", error: str = "", status: int = 200) -> Response:
    with transaction(request) as session:
        accounts = list_staff(session)
        halls = list(session.execute(select(Hall.code, Hall.name).order_by(Hall.code)).all())
    labels = {r.value: r.label for r in Role}
    return render(
        request,
        "staff.html",
        {
            "accounts": accounts,
            "halls": halls,
            "roles": [(r.value, r.label) for r in Role],
            "role_labels": labels,
            "message": message,
            "error": error,
        },
        status,
    )


def add(request: Request) -> Response:
    services = services_of(request)
    username = field(request, "username")
    try:
        with transaction(request) as session:
            account, otp = add_staff(
                session,
                username,
                field(request, "role"),
                field(request, "hall") or None,
                None,  # always a one-time password: nobody else should know a colleague's
                hashing=services.password_hashing,
                actor=staff_of(request).username,
                now=services.now(),
            )
            name = account.username
    except (StaffError, WeakPassword) as exc:
        return staff_page(request, error=str(exc), status=400)
    return staff_page(request, message=texts.staff_added(name, otp))


def disable(request: Request) -> Response:
    try:
        with transaction(request) as session:
            disable_staff(
                session,
                request.path_params["username"],
                actor=staff_of(request).username,
                now=services_of(request).now(),
            )
    except StaffError as exc:
        return staff_page(request, error=str(exc), status=400)
    return redirect("/staff", "disabled")


def reset(request: Request) -> Response:
    services = services_of(request)
    username = request.path_params["username"]
    try:
        with transaction(request) as session:
            otp = reset_password(
                session,
                username,
                hashing=services.password_hashing,
                actor=staff_of(request).username,
                now=services.now(),
            )
    except StaffError as exc:
        return staff_page(request, error=str(exc), status=400)
    return staff_page(request, message=texts.password_reset(username, otp))


def audit_page(request: Request) -> Response:
    actor = request.query_params.get("actor", "").strip()[:40] or None
    code = request.query_params.get("action", "")
    action = next((a for a in AuditAction if a.value == code), None)
    with transaction(request) as session:
        rows = entries(session, actor=actor, action=action, limit=AUDIT_LIMIT)
    return render(
        request,
        "audit.html",
        {
            "rows": rows,
            "actor": actor or "",
            "action": action.value if action else "",
            "actions": [(a.value, a.label) for a in AuditAction],
        },
    )


def page() -> ConsolePage:
    return ConsolePage(
        key="staff",
        title="账号与审计",
        path="/staff",
        roles=ADMIN_ONLY,
        order=90,
        routes=(
            PageRoute("/staff", staff_page, name="staff"),
            PageRoute("/staff", add, methods=("POST",)),
            PageRoute("/staff/{username}/disable", disable, methods=("POST",)),
            PageRoute("/staff/{username}/reset", reset, methods=("POST",)),
            PageRoute("/staff/audit", audit_page, name="audit"),
        ),
    )
