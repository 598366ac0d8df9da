"""转人工 for window staff: the live inbox of citizens waiting for a person, taking one, the
conversation appearing as the citizen types, sending, closing.

Live by long polling: the inbox and a conversation's log each carry the version they show
(:mod:`banshi.handoff.live`) and ask for the next one with htmx (``hx-trigger="load"``, the
answer replacing the element re-arms it). The console holds the question, on the event loop
without a thread or a database session, until the version changes — the notifier wakes it
(Redis pub/sub), or a re-read every 150 ms without Redis — or :data:`LONG_POLL` seconds pass.
A failed request is retried by the element's ``every 5s`` trigger, which never overlaps a
waiting one (``hx-sync="this:drop"``).

While a person holds the conversation the assistant stays silent (the channel asks
:meth:`~banshi.handoff.service.HandoffService.is_held`); staff lines go out as 客服消息
through the outbox, which ``banshi run`` delivers every few seconds. Closing hands the
conversation back to the assistant and invites the citizen to rate it. The citizen is shown
by the last characters of their OpenID and their words masked; every take, line and close is
recorded in the audit log (the line's text is not: it stays in the conversation).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from banshi.handoff import inbox
from banshi.handoff.live import INBOX, topic_of, watch
from banshi.handoff.service import MAX_LINE_CHARS, HandoffService
from banshi.handoff.states import HandoffState
from banshi.staff.roles import Role, roles
from banshi.tickets.audit import StaffAction
from banshi.tickets.errors import TicketError
from console.pagekit import field, redirect, render, services_of, staff_of, transaction
from console.pages.tickets import audit_action
from console.services import CardTone, CardView, ConsolePage, DashboardCard, PageRoute, StaffUser

WINDOW_STAFF = roles(Role.WINDOW)
LONG_POLL = 25.0  # seconds a page's question is held when nothing changes (proxies allow 30+)
STOP_POLLING = 286  # htmx stops polling an element answered with this status
DONE = {
    "closed": "本次人工服务已结束，智能助手恢复应答，并已邀请群众评价。",
}
GONE = "该会话已结束（群众取消、超时转为咨询工单，或已由工作人员结束）。"


class HandoffPages:
    """The handlers, over one :class:`~banshi.handoff.service.HandoffService`."""

    def __init__(self, service: HandoffService, long_poll: float = LONG_POLL) -> None:
        self.service = service
        self.long_poll = long_poll

    async def _wait(self, request: Request, topic: str, probe: Callable[[], str]) -> None:
        """Hold the request until ``probe()`` differs from the page's ``?seen=`` (at once when
        it has none), the long poll's time is up, or the page went away."""

        async def read() -> str:
            return await run_in_threadpool(probe)

        seen = request.query_params.get("seen", "")
        notifier = self.service.notifier
        await watch(notifier, [topic], read, seen, self.long_poll, request.is_disconnected)

    # ------------------------------------------------------------------ the inbox

    def _inbox(self, request: Request) -> dict[str, Any]:
        me = staff_of(request).username
        version = self.service.inbox_version()  # before reading: a change in between shows
        held = self.service.held()
        return {
            "waiting": self.service.list_waiting(services_of(request).now()),
            "mine": [h for h in held if h.staff == me],
            "others": [h for h in held if h.staff != me],
            "version": version,
        }

    def inbox_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        context = {**self._inbox(request), "error": error}
        context["done"] = DONE.get(request.query_params.get("ok", ""), "")
        return render(request, "handoff/inbox.html", context, status)

    async def inbox_part(self, request: Request) -> Response:
        """The inbox once it changed (long poll)."""
        await self._wait(request, INBOX, self.service.inbox_version)
        return await run_in_threadpool(
            lambda: render(request, "handoff/_inbox.html", self._inbox(request))
        )

    # ------------------------------------------------------------------ one conversation

    def _talk(self, request: Request, handoff_id: int) -> dict[str, Any] | None:
        version = self.service.log_version(handoff_id)  # before reading: see _inbox
        line = self.service.get(handoff_id)
        if line is None:
            return None
        held = line.state is HandoffState.HELD
        return {
            "line": line,
            "log": self.service.conversation(handoff_id),
            "held": held,
            "mine": held and line.staff == staff_of(request).username,
            "gone": GONE if line.state is HandoffState.CLOSED else "",
            "max_chars": MAX_LINE_CHARS,
            "version": version,
            "talk_error": "",
        }

    def talk_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        context = self._talk(request, request.path_params["handoff_id"])
        if context is None:
            return render(request, "handoff/missing.html", {}, 404)
        return render(request, "handoff/talk.html", {**context, "error": error}, status)

    async def log_part(self, request: Request) -> Response:
        """The conversation once a line came or its state changed (long poll); once it ended,
        the answer tells htmx to stop asking."""
        handoff_id: int = request.path_params["handoff_id"]
        await self._wait(
            request, topic_of(handoff_id), lambda: self.service.log_version(handoff_id)
        )
        return await run_in_threadpool(self._log, request, handoff_id)

    def _log(self, request: Request, handoff_id: int) -> Response:
        context = self._talk(request, handoff_id)
        if context is None:
            return render(request, "handoff/_log.html", {"log": [], "gone": GONE}, STOP_POLLING)
        status = STOP_POLLING if context["gone"] else 200
        return render(request, "handoff/_log.html", context, status)

    # ------------------------------------------------------------------ staff actions

    def _do(
        self,
        request: Request,
        action: StaffAction,
        summary: str,
        work: Callable[[Session, int, str, datetime], None],
    ) -> str:
        """Run ``work`` and its audit entry in one transaction; the refusal's reason or ''."""
        handoff_id: int = request.path_params["handoff_id"]
        try:
            with transaction(request) as session:
                work(session, handoff_id, staff_of(request).username, services_of(request).now())
                audit_action(session, request, action, f"handoff:{handoff_id}", summary)
        except TicketError as exc:
            return str(exc)
        return ""

    def take(self, request: Request) -> Response:
        def work(session: Session, handoff_id: int, staff: str, now: datetime) -> None:
            self.service.take(handoff_id, staff, now, session=session)

        refused = self._do(request, StaffAction.HANDOFF_TAKE, "接入人工服务", work)
        if refused:
            return self.inbox_page(request, refused, 409)
        return redirect(f"/handoff/{request.path_params['handoff_id']}")

    def send(self, request: Request) -> Response:
        text = field(request, "text")

        def work(session: Session, handoff_id: int, staff: str, now: datetime) -> None:
            self.service.send(handoff_id, staff, text, now, session=session)

        refused = self._do(request, StaffAction.HANDOFF_SEND, "人工服务回复一条消息", work)
        if request.headers.get("hx-request"):
            # an empty box (or the reason it was refused); the line itself reaches the log
            # through the log's own long poll, which the change just woke — replacing the log
            # here would orphan that waiting request
            line = self.service.get(request.path_params["handoff_id"])
            if line is None:
                return render(request, "handoff/missing.html", {}, 404)
            context = {"line": line, "max_chars": MAX_LINE_CHARS, "talk_error": refused}
            # 200 even when refused: htmx swaps in only successful answers
            return render(request, "handoff/_send.html", context)
        if refused:
            return self.talk_page(request, refused, 409)
        return redirect(f"/handoff/{request.path_params['handoff_id']}")

    def close(self, request: Request) -> Response:
        def work(session: Session, handoff_id: int, staff: str, now: datetime) -> None:
            self.service.close(handoff_id, staff, now, session=session)

        refused = self._do(request, StaffAction.HANDOFF_CLOSE, "结束人工服务", work)
        if refused:
            return self.talk_page(request, refused, 409)
        return redirect("/handoff", ok="closed")


def card(service: HandoffService) -> DashboardCard:
    """等待人工接待: how many citizens wait now, and the longest wait."""

    def render_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
        waiting = inbox.waiting(session, now)
        if not waiting:
            return CardView("0", "位市民等待人工接待", ("目前没有等待接入的市民。",), "/handoff")
        longest = max(w.waited_minutes for w in waiting)
        lines = (
            f"最长已等待 {longest} 分钟",
            f"超过 {service.config.wait_minutes} 分钟未接入将转为咨询工单",
        )
        return CardView(
            str(len(waiting)), "位市民等待人工接待", lines, "/handoff", CardTone.ATTENTION
        )

    return DashboardCard("handoffs", "等待人工接待", WINDOW_STAFF, render_card)


def page(service: HandoffService, long_poll: float = LONG_POLL) -> ConsolePage:
    pages = HandoffPages(service, long_poll)
    post = ("POST",)
    return ConsolePage(
        key="handoff",
        title="人工服务",
        path="/handoff",
        roles=WINDOW_STAFF,
        order=18,
        routes=(
            PageRoute("/handoff", pages.inbox_page, name="handoff"),
            PageRoute("/handoff/inbox", pages.inbox_part, name="handoff_inbox"),
            PageRoute("/handoff/{handoff_id:int}", pages.talk_page, name="handoff_talk"),
            PageRoute("/handoff/{handoff_id:int}/log", pages.log_part, name="handoff_log"),
            PageRoute("/handoff/{handoff_id:int}/take", pages.take, post),
            PageRoute("/handoff/{handoff_id:int}/send", pages.send, post),
            PageRoute("/handoff/{handoff_id:int}/close", pages.close, post),
        ),
    )
