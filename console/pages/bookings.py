"""预约 in the console: a hall's day window by window, with check-in and no-show; one
booking's personal data shown in full (recorded in the audit log first); the day as CSV
(masked); the upcoming bookings a change disrupted.

Roles: 窗口人员 keep their own hall's day (``StaffUser.hall_code``) and nobody else's;
管理员 every hall, and the booking settings (:mod:`console.pages.calendar`: the calendar, the
halls' exceptions, each item's policy). Every action is in the audit log, in its own
transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from itertools import groupby
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from banshi.bookings.attendance import check_in, mark_no_show
from banshi.bookings.cli import list_json
from banshi.bookings.config import BookingConfig
from banshi.bookings.ledger import find_booking
from banshi.bookings.models import Booking
from banshi.bookings.states import BookingRefused, BookingStatus, Refusal
from banshi.models import Hall
from banshi.privacy.crypto import CipherError, FieldCipher
from banshi.staff.audit import AuditAction
from banshi.staff.models import AuditEntry
from banshi.staff.roles import Role, roles
from console.pagekit import (
    field,
    record_reveal,
    redirect,
    refuse,
    render,
    services_of,
    staff_of,
    transaction,
)
from console.security import client_address
from console.services import CardView, ConsolePage, DashboardCard, PageRoute, StaffUser

WINDOW_STAFF = roles(Role.WINDOW)

# ------------------------------------------------------------------ what staff read
STATUS_LABELS = {
    BookingStatus.CONFIRMED.value: "待签到",
    BookingStatus.CHECKED_IN.value: "已签到",
    BookingStatus.NO_SHOW.value: "爽约",
    BookingStatus.CANCELLED.value: "已取消",
}
DISRUPTION_LABELS = {
    "item_cancelled": "事项已取消",
    "item_suspended": "事项暂停办理",
    "hall_closed": "大厅当天闭厅",
    "hours_changed": "办公时间调整，时段不在开放时间内",
}
NO_HALL = "您的账号未绑定大厅，看不到预约。请联系管理员在账号中设置所在大厅。"
NO_HALLS = "还没有大厅信息：请先同步大厅数据（banshi catalog sync halls.json）。"
OTHER_HALL = "该预约不属于您所在的大厅，不能查看或办理。"
NO_BOOKING = "没有这个预约编号，请核对（如 YY202612080001）。"
BAD_DATE = "日期应写作 YYYY-MM-DD，如 2026-12-08。"
REVEALED = "已显示该预约的完整个人信息；本次查看已记入审计日志。核对后请勿外传。"
ERASED = "（群众已取消关注，个人信息已删除）"
DONE = {
    "checked_in": "已签到。",
    "no_show": "已记为爽约；同一身份证号多次爽约将按规则暂停预约资格。",
}
REFUSALS = {
    Refusal.NOT_FOUND: NO_BOOKING,
    Refusal.NOT_ACTIVE: "该预约已取消、已签到或已记爽约，不能再办理此操作。",
    Refusal.WRONG_DAY: "只能在预约当天签到；请核对预约日期。",
}


def refusal_text(exc: Exception) -> str:
    """Why a check-in or no-show was refused, for staff (the console and the CLI)."""
    if not isinstance(exc, BookingRefused):
        return str(exc)
    if exc.refusal is Refusal.TOO_EARLY:
        late = exc.policy.late_minutes.value if exc.policy is not None else 0
        return f"时段开始后 {late} 分钟内到场都算按时，还不能记为爽约。"
    return REFUSALS.get(exc.refusal, f"无法办理（{exc.refusal.value}）。")


class BookingAudit(str, Enum):
    """Staff actions of this feature that :class:`AuditAction` has no member for yet; the
    audit log shows their code until it has (see the integration notes)."""

    NO_SHOW = "booking_no_show"
    POLICY_SET = "booking_policy_set"
    POLICY_CLEARED = "booking_policy_cleared"
    HALL_DAY_SET = "hall_day_set"
    HALL_DAY_CLEARED = "hall_day_cleared"
    CALENDAR_LOADED = "calendar_loaded"


def audit_entry(
    session: Session,
    actor: str,
    action: AuditAction | BookingAudit,
    target: str,
    summary: str,
    detail: Mapping[str, Any] | None = None,
    *,
    address: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """An audit entry in the action's transaction, as :func:`banshi.staff.audit.record`
    writes it, for this feature's actions too. ``detail`` never holds personal data."""
    entry = AuditEntry(
        at=(at or datetime.now()).replace(microsecond=0),
        actor=actor[:40],
        action=action.value,
        target=target[:200],
        summary=summary,
        detail=dict(detail or {}),
        address=address[:64],
    )
    session.add(entry)
    session.flush()
    return entry


def staff_audit(
    session: Session,
    request: Request,
    action: AuditAction | BookingAudit,
    target: str,
    summary: str,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    return audit_entry(
        session,
        staff_of(request).username,
        action,
        target,
        summary,
        detail,
        address=client_address(request),
        at=services_of(request).now(),
    )


def done_text(request: Request, messages: Mapping[str, str]) -> str:
    """The confirmation of the last action, by its key; only numbers come from the query
    string, never words (a link must not put text on a page)."""
    message = messages.get(request.query_params.get("done", ""), "")
    numbers = {k: int(v) for k, v in request.query_params.items() if k != "done" and v.isdigit()}
    try:
        return message.format(**numbers)
    except (KeyError, IndexError):
        return ""


def may_see(staff: StaffUser, hall_code: str) -> bool:
    """管理员 every hall; window staff their own."""
    return staff.role is Role.ADMIN or (bool(staff.hall_code) and staff.hall_code == hall_code)


def parse_day(text: str, default: date) -> date | None:
    """``YYYY-MM-DD``, or ``default`` when empty; None when it is not a date."""
    if not text:
        return default
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


# ------------------------------------------------------------------ the day


@dataclass(frozen=True)
class Place:
    """The hall a page shows and the halls the staff member may switch to."""

    hall: Hall | None
    halls: list[tuple[str, str]]


def place_for(session: Session, staff: StaffUser, wanted: str) -> Place:
    halls = list(session.execute(select(Hall).order_by(Hall.code)).scalars())
    if staff.role is not Role.ADMIN:
        mine = next((h for h in halls if h.code == staff.hall_code), None)
        return Place(mine, [(mine.code, mine.name)] if mine else [])
    chosen = next((h for h in halls if h.code == wanted), halls[0] if halls else None)
    return Place(chosen, [(h.code, h.name) for h in halls])


def _groups(hall: Hall, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {w.window_no: w.name for w in hall.windows}
    rows = sorted(rows, key=lambda r: (r["window"] or "~", r["slot"], r["number"]))
    return [
        {
            "window": window,
            "name": names.get(window, "") if window else "未指定窗口",
            "rows": list(members),
        }
        for window, members in groupby(rows, key=lambda r: r["window"] or "")
    ]


def affected_of(session: Session, hall_code: str, today: date) -> list[dict[str, Any]]:
    """Upcoming bookings at the hall a change disrupted, and whether their holder was told."""
    rows = session.execute(
        select(Booking)
        .where(
            Booking.hall_code == hall_code,
            Booking.day >= today,
            Booking.status == BookingStatus.CONFIRMED.value,
            Booking.change_told.is_not(None),
        )
        .order_by(Booking.day, Booking.start, Booking.number)
    ).scalars()
    return [
        {
            "number": b.number,
            "day": b.day,
            "slot": f"{b.start}-{b.end}",
            "item_name": b.item_name,
            "why": DISRUPTION_LABELS.get(str(b.change_told), str(b.change_told)),
            "told": b.change_told_at is not None,
        }
        for b in rows
    ]


def _reveal(booking: Booking, cipher: FieldCipher) -> dict[str, str]:
    def plain(token: str | None) -> str:
        if not token:
            return ERASED
        try:
            return cipher.decrypt(token)
        except CipherError:
            return "（无法解密，请联系管理员核对密钥）"

    companion = booking.companion_name_enc
    return {
        "name": plain(booking.name_enc),
        "mobile": plain(booking.mobile_enc),
        "id_number": plain(booking.id_enc),
        "companion": f"{plain(companion)} {plain(booking.companion_id_enc)}" if companion else "",
    }


class BookingPages:
    """The pages, given what the composition root provides: the cipher of personal fields and
    the booking settings."""

    def __init__(self, cipher: FieldCipher, config: BookingConfig | None = None) -> None:
        self.cipher = cipher
        self.config = config or BookingConfig()

    def _day_page(
        self,
        request: Request,
        day: date | None,
        wanted: str,
        *,
        revealed: Mapping[str, Mapping[str, str]] | None = None,
        error: str = "",
        status: int = 200,
    ) -> Response:
        staff = staff_of(request)
        today = services_of(request).now().date()
        if day is None:
            day, error, status = today, BAD_DATE, 400
        with transaction(request) as session:
            place = place_for(session, staff, wanted)
            hall = place.hall
            rows = list_json(session, day, hall.code) if hall is not None else []
            groups = _groups(hall, rows) if hall is not None else []
            affected = affected_of(session, hall.code, today) if hall is not None else []
        if hall is None and not error:
            error = NO_HALLS if staff.role is Role.ADMIN else NO_HALL
        counts = {label: 0 for label in STATUS_LABELS.values()}
        for r in rows:
            counts[STATUS_LABELS.get(r["status"], r["status"])] += 1
        return render(
            request,
            "bookings/day.html",
            {
                "day": day,
                "today": today,
                "previous": day - timedelta(days=1),
                "next": day + timedelta(days=1),
                "place": place,
                "groups": groups,
                "counts": counts,
                "affected": affected,
                "revealed": revealed or {},
                "revealed_note": REVEALED,
                "labels": STATUS_LABELS,
                "is_admin": staff.role is Role.ADMIN,
                "done": done_text(request, DONE),
                "error": error,
            },
            status,
        )

    def day(self, request: Request) -> Response:
        today = services_of(request).now().date()
        query = request.query_params
        return self._day_page(
            request, parse_day(query.get("date", ""), today), query.get("hall", "")
        )

    def _attend(self, request: Request, no_show: bool) -> Response:
        staff = staff_of(request)
        number = field(request, "number")
        now = services_of(request).now()
        with transaction(request) as session:
            booking = find_booking(session, number) if number else None
            if booking is None:
                return refuse(request, 404, NO_BOOKING)
            if not may_see(staff, booking.hall_code):
                return refuse(request, 403, OTHER_HALL)
            day, hall, n = booking.day, booking.hall_code, booking.number
            action, said = (
                (BookingAudit.NO_SHOW, "记录爽约") if no_show else (AuditAction.CHECK_IN, "签到")
            )
            try:
                if no_show:
                    mark_no_show(session, n, self.config, now)
                else:
                    check_in(session, n, now)
            except BookingRefused as exc:
                refused = refusal_text(exc)
            else:
                refused = ""
                staff_audit(session, request, action, f"booking:{n}", f"{said} {n}")
        if refused:
            return self._day_page(request, day, hall, error=refused, status=409)
        done = "no_show" if no_show else "checked_in"
        return redirect("/bookings", done, date=day.isoformat(), hall=hall)

    def check_in(self, request: Request) -> Response:
        return self._attend(request, no_show=False)

    def no_show(self, request: Request) -> Response:
        return self._attend(request, no_show=True)

    def reveal(self, request: Request) -> Response:
        staff = staff_of(request)
        number = field(request, "number")
        with transaction(request) as session:
            booking = find_booking(session, number) if number else None
            if booking is None:
                return refuse(request, 404, NO_BOOKING)
            if not may_see(staff, booking.hall_code):
                return refuse(request, 403, OTHER_HALL)
            record_reveal(
                session, request, f"booking:{booking.number}", "预约人姓名、手机号和身份证号"
            )
            shown = {booking.number: _reveal(booking, self.cipher)}
            day, hall = booking.day, booking.hall_code
        return self._day_page(request, day, hall, revealed=shown)

    def export(self, request: Request) -> Response:
        staff = staff_of(request)
        today = services_of(request).now().date()
        day = parse_day(request.query_params.get("date", ""), today)
        if day is None:
            return refuse(request, 400, BAD_DATE)
        out = io.StringIO()
        with transaction(request) as session:
            hall = place_for(session, staff, request.query_params.get("hall", "")).hall
            if hall is None:
                return refuse(request, 403, NO_HALL)
            rows = list_json(session, day, hall.code)
            writer = csv.writer(out)
            writer.writerow(
                ["预约编号", "事项", "大厅", "窗口", "日期", "时段", "状态"]
                + ["姓名（打码）", "手机号（打码）", "身份证号（打码）", "另一方（打码）"]
            )
            for r in rows:
                writer.writerow(
                    [r["number"], r["item_name"], hall.name, r["window"], r["date"], r["slot"]]
                    + [STATUS_LABELS.get(r["status"], r["status"]), r["name"], r["mobile"]]
                    + [r["id_number"], r["companion"] or ""]
                )
            staff_audit(
                session,
                request,
                AuditAction.EXPORT,
                f"bookings:{hall.code}:{day.isoformat()}",
                f"导出 {hall.name} {day.isoformat()} 的 {len(rows)} 条预约（已打码）",
                {"rows": len(rows)},
            )
        filename = f"bookings-{hall.code}-{day:%Y%m%d}.csv"
        return Response(
            "\ufeff" + out.getvalue(),  # the BOM makes Excel read UTF-8
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )


# ------------------------------------------------------------------ the dashboard


def bookings_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
    """Today's bookings per hall (window staff: their hall)."""
    query = (
        select(Booking.hall_code, Booking.status, func.count())
        .where(Booking.day == now.date(), Booking.status != BookingStatus.CANCELLED.value)
        .group_by(Booking.hall_code, Booking.status)
    )
    if staff.role is not Role.ADMIN:
        if not staff.hall_code:
            return CardView("—", "今日预约", (NO_HALL,))
        query = query.where(Booking.hall_code == staff.hall_code)
    counts: dict[str, dict[str, int]] = {}
    for hall_code, status, n in session.execute(query).all():
        counts.setdefault(str(hall_code), {})[str(status)] = int(n)
    names = dict(session.execute(select(Hall.code, Hall.name)).all())
    lines = tuple(
        f"{names.get(code, code)}：待签到 {c.get(BookingStatus.CONFIRMED.value, 0)}，"
        f"已签到 {c.get(BookingStatus.CHECKED_IN.value, 0)}，爽约 {c.get(BookingStatus.NO_SHOW.value, 0)}"
        for code, c in sorted(counts.items())
    )
    total = sum(sum(c.values()) for c in counts.values())
    return CardView(str(total), "今日预约", lines or ("今天没有预约。",), "/bookings")


def card() -> DashboardCard:
    return DashboardCard("bookings", "今日预约（各大厅）", WINDOW_STAFF, bookings_card)


def page(cipher: FieldCipher, config: BookingConfig | None = None) -> ConsolePage:
    pages = BookingPages(cipher, config)
    return ConsolePage(
        key="bookings",
        title="预约",
        path="/bookings",
        roles=WINDOW_STAFF,
        order=15,
        routes=(
            PageRoute("/bookings", pages.day, name="bookings"),
            PageRoute("/bookings/check-in", pages.check_in, methods=("POST",)),
            PageRoute("/bookings/no-show", pages.no_show, methods=("POST",)),
            PageRoute("/bookings/reveal", pages.reveal, methods=("POST",)),
            PageRoute("/bookings/export.csv", pages.export),
        ),
    )
