"""What citizens asked that the assistant could not resolve, grouped; from a group staff add
a colloquial word for an item (:mod:`console.pages.lexicon`) or mark it handled."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from banshi.staff.audit import AuditAction
from banshi.staff.roles import Role, roles
from banshi.unanswered import mark_handled, unanswered_groups
from console.pagekit import audit, field, redirect, render, services_of, staff_of, transaction
from console.pages.lexicon import EDITORS, MAX_SUGGESTED
from console.services import ConsolePage, PageRoute

READERS = roles(Role.DISPATCHER, Role.REVIEWER)
DAY_CHOICES = (1, 7, 30, 90)


def _days(request: Request) -> int:
    try:
        days = int(request.query_params.get("days", "7"))
    except ValueError:
        return 7
    return days if days in DAY_CHOICES else 7


def unanswered_page(request: Request) -> Response:
    services = services_of(request)
    days = _days(request)
    include_handled = request.query_params.get("all") == "1"
    since = services.now() - timedelta(days=days)
    with transaction(request) as session:
        groups = unanswered_groups(session, since, include_handled=include_handled)
        shown = [
            {
                "label": g.label,
                "count": g.count,
                "reasons": "、".join(r.label for r in g.reasons),
                "last_asked": g.last_asked,
                "examples": g.examples(),
                "word": next((w for w in g.key_words if len(w) <= MAX_SUGGESTED), ""),
                "ids": ",".join(str(i) for i in g.ids),
            }
            for g in groups
        ]
    return render(
        request,
        "unanswered.html",
        {
            "groups": shown,
            "days": days,
            "day_choices": DAY_CHOICES,
            "include_handled": include_handled,
            "can_edit_words": staff_of(request).may(EDITORS),
        },
    )


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()][:5000]


def handled(request: Request) -> Response:
    ids = _ids(field(request, "ids"))
    with transaction(request) as session:
        count = mark_handled(
            session, ids, by=staff_of(request).username, now=services_of(request).now()
        )
        audit(
            session,
            request,
            AuditAction.QUESTIONS_HANDLED,
            "unanswered",
            summary=f"标记 {count} 条未解决提问为已处理",
            detail={"count": count},
        )
    return redirect("/unanswered", "handled")


def export_csv(request: Request) -> Response:
    """The groups as CSV; the texts were masked when recorded, so the export is masked."""
    services = services_of(request)
    days = _days(request)
    since = services.now() - timedelta(days=days)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["分组", "次数", "原因", "最近提问时间", "提问（已打码）"])
    with transaction(request) as session:
        groups = unanswered_groups(session, since)
        for g in groups:
            for q in g.questions:
                writer.writerow([g.label, g.count, q.reason, q.asked_at.isoformat(), q.text])
        audit(
            session,
            request,
            AuditAction.EXPORT,
            "unanswered",
            summary=f"导出近 {days} 天未解决的提问",
            detail={"days": days, "groups": len(groups)},
        )
    filename = f"unanswered-{services.now():%Y%m%d}.csv"
    return Response(
        "\ufeff" + out.getvalue(),  # the BOM makes Excel read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def page() -> ConsolePage:
    return ConsolePage(
        key="unanswered",
        title="未解决提问",
        path="/unanswered",
        roles=READERS,
        order=30,
        routes=(
            PageRoute("/unanswered", unanswered_page, name="unanswered"),
            PageRoute("/unanswered/handled", handled, methods=("POST",)),
            PageRoute("/unanswered/export.csv", export_csv, name="unanswered_csv"),
        ),
    )
