"""工单 for the dispatcher: the queue (by type, state, department, due date; near-due and
overdue flagged) and one ticket with its history, the reply box and every move of the closed
loop — dispatch, sign for, return, re-route, extend, merge, call back, close — each with its
reason where the rules ask for one, each recorded in the audit log.

Everything shown is masked; the original of a masked content and a call-back number are shown
only on request, and the audit log says who saw them (:func:`console.pagekit.record_reveal`).
A reply goes to the citizen through the outbox: the page says whether their 48-hour window
for 客服消息 is open, i.e. whether it arrives at once or by a template message.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from banshi.calendar.workdays import WorkCalendar
from banshi.privacy.crypto import FieldCipher
from banshi.ratings.invitations import invite
from banshi.ratings.services import Service, ServiceKind
from banshi.staff.roles import Role, roles
from banshi.tickets import lifecycle
from banshi.tickets.audit import StaffAction, record_action
from banshi.tickets.config import TicketConfig
from banshi.tickets.deadlines import Urgency, WorkingDays, due_date, urgency_counts, urgency_of
from banshi.tickets.duplicates import possible_duplicates
from banshi.tickets.errors import TicketError
from banshi.tickets.kinds import Source, TicketKind, TicketState
from banshi.tickets.models import Ticket
from banshi.tickets.outbox import window_open
from banshi.tickets.replies import MAX_REPLY_CHARS, record_reply
from banshi.tickets.views import known_departments, original_content, queue, ticket_view
from console.pagekit import field as form_field
from console.pagekit import record_reveal, redirect, render, services_of, staff_of, transaction
from console.security import client_address
from console.services import CardTone, CardView, ConsolePage, DashboardCard, PageRoute, StaffUser

DISPATCHERS = roles(Role.DISPATCHER)
PAGE_SIZE = 20
MAX_EXTENSION = 30  # working days in one extension

# Confirmations after a redirect (``?ok=…``).
DONE = {
    "reply": "答复已保存，将发送给群众。",
    "dispatch": "已派单。",
    "take": "已签收，进入办理。",
    "return": "已退单，工单回到待派单。",
    "reroute": "已改派。",
    "extend": "已延期，新的期限已记入工单。",
    "merge": "已合并到所选工单。",
    "visit": "回访情况已记录。",
    "close": "工单已办结，已邀请群众评价。",
}
WINDOW_OPEN = "群众 48 小时内发过消息：答复将以客服消息即时送达。"
WINDOW_CLOSED = (
    "群众已超过 48 小时未发消息：答复将以模板消息通知群众打开答复页面查看；"
    "微信拒收时，在群众下次发消息时送达。"
)
SOURCES = {
    Source.CHAT.value: "公众号留言",
    Source.UNANSWERED.value: "助手未答上的提问，转为咨询",
    Source.HANDOFF.value: "转人工未接通，转为咨询",
}
NO_CITIZEN = "该工单已与群众解除关联（群众已取消关注），答复只保存在工单中。"
URGENCY_CLASS = {
    Urgency.OVERDUE: "overdue",
    Urgency.NEAR_DUE: "near",
    Urgency.DUE_UNKNOWN: "unknown",
}
LATE_LINK = "/tickets?due=near"


@dataclass(frozen=True)
class TicketConsole:
    """What the ticket pages need beyond the console: the key of the encrypted originals,
    the deadline rules and working calendar, and a UTC clock for the 48-hour window (the
    channel records it in UTC)."""

    cipher: FieldCipher
    config: TicketConfig = field(default_factory=TicketConfig)
    calendar: Callable[[Session], WorkingDays] = WorkCalendar
    utc_clock: Callable[[], datetime] = datetime.utcnow


def audit_action(
    session: Session,
    request: Request,
    action: StaffAction,
    target: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a staff action of issue 16 (tickets, 转人工, ratings) in the audit log."""
    record_action(
        session,
        staff_of(request).username,
        action,
        target,
        summary=summary,
        detail=detail,
        address=client_address(request),
        at=services_of(request).now(),
    )


# ---------------------------------------------------------------------- the queue


class DueFilter(str, Enum):
    """The queue's due-date filter (``?due=``)."""

    ANY = ""
    NEAR = "near"  # unanswered, due within the warning period or already past it
    OVERDUE = "overdue"
    UNKNOWN = "unknown"  # the calendar lacks the year: no due date yet

    @property
    def label(self) -> str:
        return {"": "全部", "near": "临期及超期", "overdue": "已超期", "unknown": "期限未定"}[
            self.value
        ]


@dataclass(frozen=True)
class QueueFilter:
    kind: TicketKind | None
    state: TicketState | None
    dept: str
    due: DueFilter
    page: int

    @classmethod
    def of(cls, request: Request) -> QueueFilter:
        q = request.query_params

        def parsed(parse: Callable[[str], Any], value: str) -> Any:
            try:
                return parse(value) if value else None
            except ValueError:
                return None

        page = q.get("p", "1")
        return cls(
            kind=parsed(TicketKind.parse, q.get("kind", "")),
            state=parsed(TicketState.parse, q.get("state", "")),
            dept=q.get("dept", "").strip()[:200],
            due=parsed(DueFilter, q.get("due", "")) or DueFilter.ANY,
            page=int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1,
        )

    def query(self, **changes: Any) -> str:
        values = {
            "kind": self.kind.value if self.kind else "",
            "state": self.state.value if self.state else "",
            "dept": self.dept,
            "due": self.due.value,
            "p": str(self.page),
        }
        values.update({k: str(v) for k, v in changes.items()})
        return urllib.parse.urlencode({k: v for k, v in values.items() if v and v != "1"})


def _row(ticket: Ticket, urgency: Urgency | None) -> dict[str, Any]:
    kind, state = TicketKind(ticket.kind), TicketState(ticket.state)
    return {
        "number": ticket.number,
        "kind": kind.label,
        "state": state.label,
        "concerned": "，".join(x for x in (ticket.item_name, ticket.hall_name) if x),
        "dept": ticket.dept_name or "",
        "created_at": ticket.created_at,
        "due_on": ticket.due_on,
        "urgency": urgency.label if urgency else "",
        "urgency_class": URGENCY_CLASS[urgency] if urgency else "",
    }


class TicketPages:
    """The handlers, over one :class:`TicketConsole`."""

    def __init__(self, desk: TicketConsole) -> None:
        self.desk = desk

    # ------------------------------------------------------------------ reading

    def queue_page(self, request: Request) -> Response:
        chosen = QueueFilter.of(request)
        today = services_of(request).now().date()
        near_due = self.desk.config.deadlines.near_due
        with transaction(request) as session:
            calendar = self.desk.calendar(session)
            filters: dict[str, Any] = {"kind": chosen.kind, "dept": chosen.dept or None}
            if chosen.due is DueFilter.NEAR:
                filters.update(awaiting=True, undated=False)
                due_by = due_date(calendar, today, near_due)
                if due_by is not None:  # an unknown year on the way: every dated one is near
                    filters["due_by"] = due_by
            elif chosen.due is DueFilter.OVERDUE:
                filters.update(awaiting=True, due_by=today - timedelta(days=1))
            elif chosen.due is DueFilter.UNKNOWN:
                filters.update(awaiting=True, undated=True)
            offset = (chosen.page - 1) * PAGE_SIZE
            found = queue(session, chosen.state, limit=PAGE_SIZE + 1, offset=offset, **filters)
            rows = [_row(t, urgency_of(t, calendar, today, near_due)) for t in found[:PAGE_SIZE]]
            departments = known_departments(session)
        return render(
            request,
            "tickets/queue.html",
            {
                "rows": rows,
                "chosen": chosen,
                "kinds": [(k.value, k.label) for k in TicketKind],
                "states": [(s.value, s.label) for s in TicketState],
                "due_filters": [(d.value, d.label) for d in DueFilter],
                "departments": departments,
                "previous": chosen.query(p=chosen.page - 1) if chosen.page > 1 else None,
                "next": chosen.query(p=chosen.page + 1) if len(found) > PAGE_SIZE else None,
            },
        )

    def _context(
        self,
        request: Request,
        session: Session,
        ticket: Ticket,
        revealed: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        today = services_of(request).now().date()
        state = TicketState(ticket.state)
        calendar = self.desk.calendar(session)
        urgency = urgency_of(ticket, calendar, today, self.desk.config.deadlines.near_due)
        if not ticket.openid:
            window = NO_CITIZEN
        elif window_open(session, ticket.openid, self.desk.utc_clock()):
            window = WINDOW_OPEN
        else:
            window = WINDOW_CLOSED
        return {
            "view": ticket_view(session, ticket),
            "urgency": urgency.label if urgency else "",
            "urgency_class": URGENCY_CLASS[urgency] if urgency else "",
            "window": window,
            "window_open": window == WINDOW_OPEN,
            "duplicates": [d.number for d in possible_duplicates(session, ticket)],
            "departments": known_departments(session),
            "has_original": bool(ticket.content_encrypted),
            "has_phone": bool(ticket.phone_encrypted) and not ticket.anonymous,
            "revealed": revealed or {},
            "max_reply": MAX_REPLY_CHARS,
            "sources": SOURCES,
            "max_extension": MAX_EXTENSION,
            "can": {
                "reply": state.is_open,
                "dispatch": state is TicketState.ACCEPTED,
                "take": state is TicketState.DISPATCHED,
                "return": state in (TicketState.DISPATCHED, TicketState.HANDLING),
                "extend": state.awaits_answer,
                "merge": state.is_open and bool(ticket.openid),
                "visit": state in (TicketState.ANSWERED, TicketState.EVALUATED),
                "close": state
                in (TicketState.ANSWERED, TicketState.VISITED, TicketState.EVALUATED),
            },
            "done": DONE.get(request.query_params.get("ok", ""), ""),
        }

    def _show(self, request: Request, number: str, error: str = "", status: int = 200) -> Response:
        with transaction(request) as session:
            ticket = lifecycle.find_ticket(session, number)
            if ticket is None:
                return render(request, "tickets/missing.html", {"number": number[:40]}, 404)
            context = self._context(request, session, ticket)
        return render(request, "tickets/ticket.html", {**context, "error": error}, status)

    def ticket_page(self, request: Request) -> Response:
        return self._show(request, request.path_params["number"])

    def reveal(self, request: Request) -> Response:
        """The original content, or the call-back number, in full: recorded, then shown."""
        what = form_field(request, "what")
        with transaction(request) as session:
            ticket = lifecycle.find_ticket(session, request.path_params["number"])
            if ticket is None:
                return render(request, "tickets/missing.html", {"number": ""}, 404)
            shown: dict[str, str] = {}
            if what == "content" and ticket.content_encrypted:
                record_reveal(session, request, f"ticket:{ticket.number}", "工单原文")
                shown["content"] = original_content(ticket, self.desk.cipher)
            elif what == "phone" and ticket.phone_encrypted and not ticket.anonymous:
                record_reveal(session, request, f"ticket:{ticket.number}", "回电号码")
                shown["phone"] = self.desk.cipher.decrypt(ticket.phone_encrypted)
            context = self._context(request, session, ticket, shown)
        return render(request, "tickets/ticket.html", context)

    # ------------------------------------------------------------------ moves

    def act(self, move: Move) -> Callable[[Request], Response]:
        """The handler of one move: the domain call and its audit entry in one transaction,
        then back to the ticket with a confirmation, or the ticket again with the reason it
        was refused."""

        def handler(request: Request) -> Response:
            number = request.path_params["number"]
            form = {
                k: form_field(request, k)
                for k in ("text", "dept", "reason", "days", "into", "note")
            }
            try:
                with transaction(request) as session:
                    ticket = lifecycle.get_ticket(session, number)
                    number = ticket.number
                    staff, now = staff_of(request).username, services_of(request).now()
                    summary, detail = move.run(self.desk, session, ticket, form, staff, now)
                    target = f"ticket:{ticket.number}"
                    audit_action(session, request, move.action, target, summary, detail)
            except TicketError as exc:
                return self._show(request, number, str(exc), 400)
            return redirect(f"/tickets/{urllib.parse.quote(number)}", ok=move.done)

        handler.__name__ = f"ticket_{move.done}"
        return handler


Form = dict[str, str]
Audited = tuple[str, dict[str, Any] | None]  # the audit entry's summary and detail


@dataclass(frozen=True)
class Move:
    """One staff move on a ticket: its URL's last part, its audit action, and what it does."""

    done: str  # the path's last part and the confirmation's key
    action: StaffAction
    run: Callable[[TicketConsole, Session, Ticket, Form, str, datetime], Audited]


def _reply(d: TicketConsole, s: Session, t: Ticket, f: Form, who: str, now: datetime) -> Audited:
    record_reply(s, t, f["text"], who, now)
    return f"答复工单 {t.number}", {"chars": len(f["text"])}


def _dispatch(d: TicketConsole, s: Session, t: Ticket, f: Form, who: str, now: datetime) -> Audited:
    lifecycle.dispatch(s, t, f["dept"][:200], who, now, f["reason"])
    return f"工单 {t.number} 派给 {t.dept_name}", None


def _take(d: TicketConsole, s: Session, t: Ticket, f: Form, who: str, now: datetime) -> Audited:
    lifecycle.take(s, t, who, now)
    return f"签收工单 {t.number}", None


def _return(d: TicketConsole, s: Session, t: Ticket, f: Form, who: str, now: datetime) -> Audited:
    lifecycle.send_back(s, t, who, f["reason"], now)
    return f"工单 {t.number} 退单（原因见工单记录）", None


def _reroute(d: TicketConsole, s: Session, t: Ticket, f: Form, who: str, now: datetime) -> Audited:
    lifecycle.reroute(s, t, f["dept"][:200], who, f["reason"], now)
    return f"工单 {t.number} 改派 {t.dept_name}（原因见工单记录）", None


def _extend(d: TicketConsole, s: Session, t: Ticket, f: Form, who: str, now: datetime) -> Audited:
    days = int(f["days"]) if f["days"].isdigit() else 0
    if days > MAX_EXTENSION:
        raise TicketError(f"一次延期最多 {MAX_EXTENSION} 个工作日。")
    due = lifecycle.extend(s, t, days, who, f["reason"], d.calendar(s), now)
    return f"工单 {t.number} 延期 {days} 个工作日至 {due or '待定'}", {"days": days}


def _merge(d: TicketConsole, s: Session, t: Ticket, f: Form, who: str, now: datetime) -> Audited:
    into = lifecycle.get_ticket(s, f["into"]) if f["into"] else None
    if into is None:
        raise TicketError("请填写要并入的工单编号。")
    lifecycle.merge(s, t, into, who, f["reason"], now)
    return f"工单 {t.number} 并入 {into.number}", {"into": into.number}


def _visit(d: TicketConsole, s: Session, t: Ticket, f: Form, who: str, now: datetime) -> Audited:
    if not f["note"]:
        raise TicketError("请填写回访情况。")
    lifecycle.visit(s, t, who, f["note"], now)
    return f"回访工单 {t.number}", None


def _close(d: TicketConsole, s: Session, t: Ticket, f: Form, who: str, now: datetime) -> Audited:
    """办结, and invite the citizen once to rate it (as ``banshi tickets close`` does)."""
    lifecycle.close(s, t, who, now, f["note"])
    what = f"您的{TicketKind(t.kind).label}工单 {t.number} 已办结"
    invite(s, Service(ServiceKind.TICKET, t.number), t.openid, what, now)
    return f"办结工单 {t.number}", None


MOVES = (
    Move("reply", StaffAction.REPLY, _reply),
    Move("dispatch", StaffAction.DISPATCH, _dispatch),
    Move("take", StaffAction.TAKE, _take),
    Move("return", StaffAction.RETURN, _return),
    Move("reroute", StaffAction.REROUTE, _reroute),
    Move("extend", StaffAction.EXTEND, _extend),
    Move("merge", StaffAction.MERGE, _merge),
    Move("visit", StaffAction.VISIT, _visit),
    Move("close", StaffAction.CLOSE, _close),
)


# ---------------------------------------------------------------------- wiring


def card(desk: TicketConsole) -> DashboardCard:
    """临近期限的工单: unanswered tickets overdue, near due, or without a due date."""

    def render_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
        counts = urgency_counts(session, desk.calendar(session), desk.config.deadlines, now.date())
        late = counts[Urgency.OVERDUE] + counts[Urgency.NEAR_DUE]
        shown = (Urgency.OVERDUE, Urgency.NEAR_DUE, Urgency.DUE_UNKNOWN)
        lines = tuple(f"{u.label} {counts[u]} 件" for u in shown if counts[u])
        tone = CardTone.ATTENTION if late or counts[Urgency.DUE_UNKNOWN] else CardTone.NORMAL
        caption = "件临期或已超期（尚未答复）"
        return CardView(str(late), caption, lines or ("没有临期或超期的工单。",), LATE_LINK, tone)

    return DashboardCard("tickets", "临近期限的工单", DISPATCHERS, render_card)


def page(desk: TicketConsole) -> ConsolePage:
    pages = TicketPages(desk)
    post = ("POST",)
    return ConsolePage(
        key="tickets",
        title="工单",
        path="/tickets",
        roles=DISPATCHERS,
        order=25,
        routes=(
            PageRoute("/tickets", pages.queue_page, name="tickets"),
            PageRoute("/tickets/{number}", pages.ticket_page, name="ticket"),
            *(PageRoute(f"/tickets/{{number}}/{m.done}", pages.act(m), post) for m in MOVES),
            PageRoute("/tickets/{number}/reveal", pages.reveal, post),
        ),
    )
