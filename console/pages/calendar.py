"""预约设置 for 管理员: the working calendar (years covered, the warning when bookings reach a
year whose holidays are unknown, loading the State Council's notice), the halls' exceptions
(a closed day, an extra opening day, changed hours — the bookings a change disrupts are
listed and their holders told), and each item's booking policy with the source of every
value and staff overrides. Every change is in the audit log.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from banshi.bookings.config import BookingConfig
from banshi.bookings.models import Booking, BookingPolicyOverride
from banshi.bookings.policy import BookingPolicy, Source, clear_override, policy_for, set_override
from banshi.bookings.rules import DayScope, NoShowRule, Span, SpanUnit
from banshi.bookings.slots import find_item, halls_for
from banshi.bookings.states import BookingStatus
from banshi.calendar import (
    CalendarFileError,
    HallDayKind,
    UnknownYear,
    WorkCalendar,
    calendar_status,
    clear_hall_day,
    load_calendar_file,
    opening_on,
    set_hall_day,
)
from banshi.calendar.halls import Period
from banshi.calendar.models import HallDay
from banshi.models import Hall, Item
from banshi.staff.roles import EVERYONE, Role, roles
from console.pagekit import (
    field,
    form_of,
    redirect,
    refuse,
    render,
    services_of,
    staff_of,
    transaction,
)
from console.pages.bookings import BookingAudit, done_text, parse_day, staff_audit
from console.services import CardTone, CardView, ConsolePage, DashboardCard, PageRoute, StaffUser

ADMINS = roles()
MAX_FILE_BYTES = 64 * 1024  # a year's notice is a few hundred bytes
Tell = Callable[[], str]  # tells the holders of disrupted bookings now; returns what happened

# ------------------------------------------------------------------ what staff read
DONE = {
    "loaded": "已录入 {year} 年节假日安排。",
    "cleared": "已撤销该大厅当天的例外安排，恢复按平常的办公时间。",
    "policy_set": "预约设置已保存，新的预约立即按此执行；已有的预约不受影响。",
    "policy_cleared": "已撤销工作人员设置，恢复按事项目录或系统默认执行。",
}
NO_FILE = "请选择通知文件，或把文件内容粘贴到文本框中。"
TOO_BIG = "文件过大：一年的节假日安排通常只有几百字节，请检查是否选错了文件。"
BAD_PERIODS = "办公时段请写作 09:00-12:00，多个时段用逗号分开。"
NO_ITEM = "没有这个实施编码的事项。"
CHOOSE_DAY = "请选择大厅、日期和例外类型。"
TOLD_LATER = "系统将在几分钟内通过微信告知受影响的群众（窗口关闭的在其下次发消息时告知）。"
KIND_LABELS = {
    HallDayKind.CLOSED.value: "临时闭厅",
    HallDayKind.OPEN.value: "额外开放",
    HallDayKind.HOURS.value: "调整办公时间",
}
ORIGIN_LABELS = {"chinesecalendar": "chinesecalendar 程序库", "file": "国务院通知（工作人员录入）"}
SOURCE_LABELS = {
    Source.DEFAULT: "系统默认",
    Source.CATALOG_FIELD: "事项目录字段",
    Source.RULE_TEXT: "预约规则说明",
    Source.STAFF_OVERRIDE: "工作人员设置",
}
FIELD_LABELS = {
    "bookable": ("是否开放预约", "是 / 否"),
    "daily_quota": ("每天可预约量（人）", "如 40"),
    "slot_minutes": ("时段长度（分钟）", "如 30；0 表示上午、下午两个时段"),
    "day_scope": ("放号日期", "开放日 / 工作日"),
    "weekend_share": ("周末放号比例", "0 到 1，如 0.5"),
    "lead": ("最早可约（提前）", "数量，配合单位，如 1"),
    "horizon": ("最远可约", "数量，配合单位，如 7"),
    "cancel_before_minutes": ("取消、改约截止（开始前分钟）", "如 120"),
    "late_minutes": ("迟到时限（分钟）", "如 30"),
    "arrive_before_minutes": ("提前到场（分钟）", "如 15"),
    "max_reschedules": ("最多改约次数", "如 2"),
    "one_per_person_per_day": ("同一身份证号每天限约1次", "是 / 否"),
    "one_open_per_item": ("同一事项只能有1个未办理的预约", "是 / 否"),
    "parties": ("到场人数", "1 或 2（如结婚登记须双方到场）"),
    "no_show": ("爽约规则", "次数/天数/暂停天数，如 3/30/30"),
}
UNITS = {
    SpanUnit.WORKING_DAYS.value: "个工作日",
    SpanUnit.DAYS.value: "天",
    SpanUnit.WEEK.value: "本周内",
}
SCOPES = {DayScope.HALL_DAYS.value: "开放日", DayScope.WORKING_DAYS.value: "工作日"}
BOOLS = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False}
_PERIOD = re.compile(r"(\d{1,2}:\d{2})\s*[-–~～至到]\s*(\d{1,2}:\d{2})")


# ------------------------------------------------------------------ the calendar


def years_text(years: list[int]) -> str:
    """2004–2026, 2028: runs of covered years."""
    runs: list[list[int]] = []
    for y in sorted(years):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return "、".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def unknown_warning(unknown: list[int]) -> str:
    if not unknown:
        return ""
    years = "、".join(f"{y}年" for y in unknown)
    return (
        f"{years}节假日安排尚未录入：这些日期群众约不上、按工作日计算的期限也无法确定。"
        "国务院通知发布后请在此录入。"
    )


def calendar_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
    status = calendar_status(session, now.date())
    covered = [y["year"] for y in status["years"]]
    link = "/calendar" if staff.role is Role.ADMIN else None
    lines = [f"已录入：{years_text(covered)} 年" if covered else "尚未录入任何年份。"]
    if status["unknown_years"]:
        lines.append(unknown_warning(status["unknown_years"]))
        missing = "、".join(str(y) for y in status["unknown_years"])
        return CardView(f"缺 {missing} 年", "节假日安排", tuple(lines), link, CardTone.ATTENTION)
    last = status["years"][-1]
    lines.append(f"{last['year']} 年来源：{last['source']}")
    return CardView(f"已录入至 {last['year']} 年", "节假日安排", tuple(lines), link)


def _upload(request: Request) -> tuple[bytes, str]:
    """The notice file's bytes, from the file chosen or the text pasted; or an error."""
    chosen = form_of(request).get("file")
    if isinstance(chosen, UploadFile) and chosen.filename:
        data = chosen.file.read(MAX_FILE_BYTES + 1)
    else:
        pasted = form_of(request).get("text")
        data = pasted.encode("utf-8") if isinstance(pasted, str) else b""
    if not data.strip():
        return b"", NO_FILE
    return (b"", TOO_BIG) if len(data) > MAX_FILE_BYTES else (data, "")


def parse_periods(text: str) -> list[list[str]]:
    """``09:00-12:00，13:30-17:00`` → ``[["09:00", "12:00"], …]``; ValueError when unreadable."""
    found = [[a.zfill(5), b.zfill(5)] for a, b in _PERIOD.findall(text)]
    if text.strip() and not found:
        raise ValueError(BAD_PERIODS)
    return found


def disrupted_on(session: Session, hall: Hall, day: date, row: HallDay) -> list[Booking]:
    """The day's confirmed bookings at the hall that its new opening no longer covers."""
    bookings = list(
        session.execute(
            select(Booking)
            .where(
                Booking.hall_code == hall.code,
                Booking.day == day,
                Booking.status == BookingStatus.CONFIRMED.value,
            )
            .order_by(Booking.start, Booking.number)
        ).scalars()
    )
    try:
        opening = opening_on(WorkCalendar(session), hall, day, row)
    except UnknownYear:
        return bookings  # nobody can say: staff see them all
    return [b for b in bookings if not _inside(b, opening.periods)]


def _inside(booking: Booking, periods: tuple[Period, ...]) -> bool:
    slot = Period.parse([booking.start, booking.end])
    return any(p.start <= slot.start and slot.end <= p.end for p in periods)


# ------------------------------------------------------------------ the policy


def value_text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Span):
        return value.text()
    if isinstance(value, NoShowRule):
        return f"{value.window_days}天内爽约{value.limit}次，暂停预约{value.ban_days}天"
    if isinstance(value, DayScope):
        return "大厅开放的每一天" if value is DayScope.HALL_DAYS else "仅工作日"
    if name == "slot_minutes":
        return "上午、下午两个时段" if value == 0 else f"每{value}分钟一个时段"
    if name == "weekend_share":
        return f"平日的{value:.0%}"
    return f"{value}分钟" if name.endswith("minutes") else str(value)


def override_text(name: str, raw: Any) -> str:
    """A stored override (JSON) as staff read it."""
    try:
        if name in ("lead", "horizon"):
            return value_text(name, Span(int(raw["n"]), SpanUnit(raw["unit"])))
        if name == "no_show":
            return value_text(name, NoShowRule(raw["limit"], raw["window_days"], raw["ban_days"]))
        return value_text(name, DayScope(raw) if name == "day_scope" else raw)
    except (KeyError, TypeError, ValueError):
        return str(raw)


def posted_value(name: str, text: str, unit: str) -> Any:
    """What staff typed, as :func:`banshi.bookings.policy.set_override` takes it."""
    text = text.strip()
    if name in ("bookable", "one_per_person_per_day", "one_open_per_item"):
        if text.lower() not in BOOLS:
            raise ValueError("请填写“是”或“否”。")
        return BOOLS[text.lower()]
    if name == "day_scope":
        return {label: code for code, label in SCOPES.items()}.get(text, text)
    if name in ("lead", "horizon"):
        if not text and unit != SpanUnit.WEEK.value:
            raise ValueError("请填写天数。")
        return {"n": text or "0", "unit": unit}
    if name == "no_show":
        parts = [p for p in re.split(r"[/／、,，\s]+", text) if p]
        if len(parts) != 3:
            raise ValueError("爽约规则请写作 次数/天数/暂停天数，如 3/30/30。")
        return dict(zip(("limit", "window_days", "ban_days"), parts, strict=True))
    try:
        return float(text) if name == "weekend_share" else int(text)
    except ValueError:
        raise ValueError(f"“{text}”不是数字。") from None


def policy_rows(policy: BookingPolicy) -> list[tuple[str, str, str, str, str]]:
    """(field, label, value, source, basis) of every policy value, for the table."""
    rows = []
    for f in fields(policy):
        sourced = getattr(policy, f.name)
        label, value = FIELD_LABELS[f.name][0], value_text(f.name, sourced.value)
        rows.append((f.name, label, value, SOURCE_LABELS[sourced.source], sourced.basis))
    return rows


def _error(exc: Exception) -> str:
    return str(exc.args[0]) if exc.args else str(exc)


class CalendarPages:
    """The pages, given the booking settings and, optionally, a way to tell the holders of
    disrupted bookings at once (without it the ``banshi run`` chore tells them within minutes)."""

    def __init__(self, config: BookingConfig | None = None, tell: Tell | None = None) -> None:
        self.config = config or BookingConfig()
        self.tell = tell

    # -------------------------------------------------------------- calendar and halls

    def show(
        self, request: Request, errors: list[str] | None = None, status: int = 200
    ) -> Response:
        today = services_of(request).now().date()
        with transaction(request) as session:
            state = calendar_status(session, today)
            halls = dict(session.execute(select(Hall.code, Hall.name).order_by(Hall.code)).all())
            exceptions = session.execute(
                select(HallDay).where(HallDay.day >= today).order_by(HallDay.day, HallDay.hall_code)
            ).scalars()
            context = {
                "status": state,
                "warning": unknown_warning(state["unknown_years"]),
                "origins": ORIGIN_LABELS,
                "halls": halls,
                "exceptions": list(exceptions),
                "kinds": KIND_LABELS,
                "errors": errors or [],
                "today": today,
                "done": done_text(request, DONE),
            }
        return render(request, "calendar/calendar.html", context, status)

    def load(self, request: Request) -> Response:
        data, problem = _upload(request)
        if problem:
            return self.show(request, [problem], 400)
        handle, name = tempfile.mkstemp(prefix="calendar-", suffix=".yml")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            with transaction(request) as session:
                report = load_calendar_file(session, Path(name))
                said = f"录入 {report.year} 年节假日安排（{report.source}）"
                counts = {"holidays": report.holidays, "makeup_workdays": report.makeup_workdays}
                target = f"calendar:{report.year}"
                staff_audit(session, request, BookingAudit.CALENDAR_LOADED, target, said, counts)
        except CalendarFileError as exc:  # a file not in UTF-8 is one of its errors too
            return self.show(request, exc.errors, 400)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(name)
        return redirect("/calendar", "loaded", year=str(report.year))

    def set_day(self, request: Request) -> Response:
        day = parse_day(field(request, "day"), date.min)
        hall_code, kind = field(request, "hall"), field(request, "kind")
        if day is None or day == date.min or kind not in KIND_LABELS:
            return self.show(request, [CHOOSE_DAY], 400)
        staff, now = staff_of(request).username, services_of(request).now()
        try:
            periods = parse_periods(field(request, "periods"))
            with transaction(request) as session:
                note = field(request, "note")[:200]
                row = set_hall_day(
                    session,
                    hall_code,
                    day,
                    HallDayKind(kind),
                    periods,
                    note=note,
                    set_by=staff,
                    now=now,
                )
                hall = session.execute(select(Hall).where(Hall.code == hall_code)).scalar_one()
                affected = disrupted_on(session, hall, day, row)
                said = f"{hall.name} {day.isoformat()} {KIND_LABELS[kind]}"
                detail = {"kind": kind, "periods": row.periods, "affected": len(affected)}
                target = f"hall:{hall_code}:{day.isoformat()}"
                staff_audit(session, request, BookingAudit.HALL_DAY_SET, target, said, detail)
        except (ValueError, LookupError) as exc:
            return self.show(request, [_error(exc)], 400)
        told = (self.tell() if self.tell is not None else TOLD_LATER) if affected else ""
        context = {"hall": hall, "day": day, "row": row, "kinds": KIND_LABELS, "told": told}
        return render(request, "calendar/hall_day.html", {**context, "affected": affected})

    def clear_day(self, request: Request) -> Response:
        day = parse_day(field(request, "day"), date.min)
        hall_code = field(request, "hall")
        if day is None or day == date.min:
            return self.show(request, [CHOOSE_DAY], 400)
        with transaction(request) as session:
            if clear_hall_day(session, hall_code, day):
                target = f"hall:{hall_code}:{day.isoformat()}"
                said = f"撤销 {hall_code} {day.isoformat()} 的例外安排"
                staff_audit(session, request, BookingAudit.HALL_DAY_CLEARED, target, said)
        return redirect("/calendar", "cleared")

    # -------------------------------------------------------------- the policy

    def policy(self, request: Request, error: str = "", status: int = 200) -> Response:
        code = field(request, "item") or request.query_params.get("item", "")
        hall_code = field(request, "hall") or request.query_params.get("hall", "")  # viewed
        overridden = select(BookingPolicyOverride.task_code)
        with transaction(request) as session:
            items = session.execute(
                select(Item.task_code, Item.name)
                .where(or_(Item.is_schedule == "1", Item.task_code.in_(overridden)))
                .order_by(Item.name)
            ).all()
            context: dict[str, Any] = {"items": list(items), "item": find_item(session, code)}
            item = context["item"]
            if item is not None:
                halls = [(h.code, h.name) for h, _ in halls_for(session, item)]
                hall_code = hall_code if hall_code in dict(halls) else ""
                overrides = session.execute(
                    select(BookingPolicyOverride)
                    .where(BookingPolicyOverride.task_code == item.task_code)
                    .order_by(BookingPolicyOverride.hall_code, BookingPolicyOverride.field)
                ).scalars()
                policy = policy_for(session, item, hall_code or None, self.config)
                context.update(halls=halls, rows=policy_rows(policy), overrides=list(overrides))
        if code and item is None:
            error, status = NO_ITEM, 404
        context.update(code=code, hall=hall_code, labels=FIELD_LABELS, units=UNITS, error=error)
        context["shown"] = override_text
        return render(
            request, "calendar/policy.html", {**context, "done": done_text(request, DONE)}, status
        )

    def set_policy(self, request: Request) -> Response:
        code, scope, name = field(request, "item"), field(request, "scope"), field(request, "field")
        label = FIELD_LABELS.get(name, (name, ""))[0]
        staff, now = staff_of(request).username, services_of(request).now()
        try:
            value = posted_value(name, field(request, "value"), field(request, "unit"))
            with transaction(request) as session:
                if find_item(session, code) is None:
                    return refuse(request, 404, NO_ITEM)
                note = field(request, "note")[:200]
                row = set_override(
                    session, code, name, value, hall_code=scope, note=note, set_by=staff, now=now
                )
                detail = {"field": name, "hall": scope, "value": row.value}
                said = f"预约设置“{label}”改为 {row.value}"
                staff_audit(session, request, BookingAudit.POLICY_SET, f"item:{code}", said, detail)
        except ValueError as exc:
            return self.policy(request, _error(exc), 400)
        hall = field(request, "hall")
        return redirect("/calendar/policy", "policy_set", item=code, hall=hall)

    def clear_policy(self, request: Request) -> Response:
        code, scope, name = field(request, "item"), field(request, "scope"), field(request, "field")
        with transaction(request) as session:
            if clear_override(session, code, name, hall_code=scope):
                said = f"撤销预约设置“{FIELD_LABELS.get(name, (name, ''))[0]}”"
                detail = {"field": name, "hall": scope}
                target = f"item:{code}"
                staff_audit(session, request, BookingAudit.POLICY_CLEARED, target, said, detail)
        return redirect(
            "/calendar/policy", "policy_cleared", item=code, hall=field(request, "hall")
        )


def card() -> DashboardCard:
    return DashboardCard("calendar", "节假日日历", EVERYONE, calendar_card)


def page(config: BookingConfig | None = None, tell: Tell | None = None) -> ConsolePage:
    pages = CalendarPages(config, tell)
    return ConsolePage(
        key="calendar",
        title="预约设置",
        path="/calendar",
        roles=ADMINS,
        order=16,
        routes=(
            PageRoute("/calendar", pages.show, name="calendar"),
            PageRoute("/calendar/load", pages.load, methods=("POST",)),
            PageRoute("/calendar/hall-day", pages.set_day, methods=("POST",)),
            PageRoute("/calendar/hall-day/clear", pages.clear_day, methods=("POST",)),
            PageRoute("/calendar/policy", pages.policy),
            PageRoute("/calendar/policy/set", pages.set_policy, methods=("POST",)),
            PageRoute("/calendar/policy/clear", pages.clear_policy, methods=("POST",)),
        ),
    )
