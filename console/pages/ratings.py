"""好差评 for reviewers: the period's figures, the 差评 board (every 差评's follow-up, 核实 →
整改 → 反馈, due dates and overdue ones flagged), the ratings list, and one rating with its
follow-up's steps.

A reviewer records each step; the 反馈 note is sent to the citizen as written. A rating
judged mistaken or malicious is set aside with a reason — never deleted — and its follow-up
stops (国办发〔2019〕51号). Comments are shown masked; the original of a masked comment is
shown on request and the audit log says who saw it. Every step is in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from banshi.privacy.crypto import FieldCipher
from banshi.ratings import board
from banshi.ratings.followup import NEXT, Stage, advance, followup_of
from banshi.ratings.levels import Level
from banshi.ratings.models import Rating
from banshi.ratings.recording import original_comment
from banshi.ratings.review import set_aside
from banshi.ratings.services import ServiceKind
from banshi.staff.roles import Role, roles
from banshi.tickets.audit import StaffAction
from banshi.tickets.errors import TicketError
from console.pagekit import (
    field,
    record_reveal,
    redirect,
    render,
    services_of,
    staff_of,
    transaction,
)
from console.pages.tickets import audit_action
from console.services import CardTone, CardView, ConsolePage, DashboardCard, PageRoute, StaffUser

REVIEWERS = roles(Role.REVIEWER)
DAY_CHOICES = (7, 30, 90)
DONE = {
    "step": "已记录。",
    "feedback": "已记录，反馈内容将发送给群众。",
    "aside": "该评价已甄别为不计入，原因已记录；评价本身保留。",
}
# What the reviewer records next, by the stage the follow-up waits for.
STEP_LABELS = {
    Stage.VERIFY: ("核实情况", "记录核实情况"),
    Stage.RECTIFY: ("整改情况", "记录整改情况"),
    Stage.FEEDBACK: ("反馈群众的内容（将原文发送给群众）", "反馈群众"),
}


def _days(request: Request) -> int:
    value = request.query_params.get("days", "7")
    return int(value) if value.isdigit() and int(value) in DAY_CHOICES else 7


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def ratings_page(request: Request) -> Response:
    now = services_of(request).now()
    days = _days(request)
    bad_only = request.query_params.get("bad") == "1"
    kind = next((k for k in ServiceKind if k.value == request.query_params.get("service")), None)
    since = now - timedelta(days=days)
    with transaction(request) as session:
        figures = board.figures(session, since)
        running = board.board(session, now.date())
        rows = board.ratings_since(session, since, now.date(), bad_only=bad_only, service=kind)
    return render(
        request,
        "ratings/list.html",
        {
            "days": days,
            "day_choices": DAY_CHOICES,
            "bad_only": bad_only,
            "service": kind.value if kind else "",
            "services": [(k.value, k.label) for k in ServiceKind],
            "figures": figures,
            "levels": list(Level),
            "satisfaction": _percent(figures.satisfaction),
            "board": running,
            "rows": rows,
        },
    )


def _detail(
    request: Request, session: Session, rating_id: int, comment: str = ""
) -> dict[str, Any] | None:
    found = board.detail(session, rating_id, services_of(request).now().date())
    if found is None:
        return None
    stage = found.line.stage
    return {
        "d": found,
        "r": found.line,
        "step": STEP_LABELS.get(stage) if stage in NEXT else None,
        "original": comment,
        "done": DONE.get(request.query_params.get("ok", ""), ""),
    }


def rating_page(request: Request, error: str = "", status: int = 200) -> Response:
    with transaction(request) as session:
        context = _detail(request, session, request.path_params["rating_id"])
    if context is None:
        return render(request, "ratings/missing.html", {}, 404)
    return render(request, "ratings/rating.html", {**context, "error": error}, status)


def follow_up(request: Request) -> Response:
    """Record the step the follow-up waits for; the 反馈 goes to the citizen."""
    rating_id: int = request.path_params["rating_id"]
    try:
        with transaction(request) as session:
            followup = followup_of(session, rating_id)
            if followup is None:
                raise TicketError("该评价不是差评，无需核实整改。")
            now = services_of(request).now()
            reached = advance(
                session, followup, staff_of(request).username, field(request, "note"), now
            )
            summary = f"差评回访推进到“{reached.label}”"
            audit_action(session, request, StaffAction.FOLLOW_UP, f"rating:{rating_id}", summary)
    except TicketError as exc:
        return rating_page(request, str(exc), 400)
    return redirect(f"/ratings/{rating_id}", ok="feedback" if reached is Stage.DONE else "step")


def aside(request: Request) -> Response:
    rating_id: int = request.path_params["rating_id"]
    try:
        with transaction(request) as session:
            reviewer, now = staff_of(request).username, services_of(request).now()
            set_aside(session, rating_id, reviewer, field(request, "reason"), now)
            audit_action(
                session, request, StaffAction.SET_ASIDE, f"rating:{rating_id}", "甄别评价不计入"
            )
    except TicketError as exc:
        return rating_page(request, str(exc), 400)
    return redirect(f"/ratings/{rating_id}", ok="aside")


def revealer(cipher: FieldCipher) -> Callable[[Request], Response]:
    """The handler showing a comment as the citizen wrote it (only when masking changed it),
    recorded in the audit log first."""

    def reveal(request: Request) -> Response:
        rating_id: int = request.path_params["rating_id"]
        with transaction(request) as session:
            rating = session.get(Rating, rating_id)
            if rating is None:
                return render(request, "ratings/missing.html", {}, 404)
            shown = ""
            if rating.comment_encrypted:
                record_reveal(session, request, f"rating:{rating_id}", "评价原文")
                shown = original_comment(rating, cipher)
            context = _detail(request, session, rating_id, shown)
        assert context is not None
        return render(request, "ratings/rating.html", context)

    return reveal


def card() -> DashboardCard:
    """本周好差评: the last seven days' ratings, 差评 among them, follow-ups running."""

    def render_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
        figures = board.figures(session, now - timedelta(days=7))
        running = board.board(session, now.date())
        overdue = sum(1 for line in running if line.overdue)
        lines = [f"差评 {figures.bad} 条，满意率 {_percent(figures.satisfaction)}"]
        lines.append(
            f"差评整改进行中 {len(running)} 件" + (f"，超期 {overdue} 件" if overdue else "")
        )
        tone = CardTone.ATTENTION if overdue or figures.bad else CardTone.NORMAL
        return CardView(str(figures.total), "条评价（近 7 天）", tuple(lines), "/ratings", tone)

    return DashboardCard("ratings", "本周好差评", REVIEWERS, render_card)


def page(cipher: FieldCipher) -> ConsolePage:
    post = ("POST",)
    return ConsolePage(
        key="ratings",
        title="好差评",
        path="/ratings",
        roles=REVIEWERS,
        order=35,
        routes=(
            PageRoute("/ratings", ratings_page, name="ratings"),
            PageRoute("/ratings/{rating_id:int}", rating_page, name="rating"),
            PageRoute("/ratings/{rating_id:int}/follow-up", follow_up, post),
            PageRoute("/ratings/{rating_id:int}/set-aside", aside, post),
            PageRoute("/ratings/{rating_id:int}/reveal", revealer(cipher), post),
        ),
    )
