"""Look up a 一次性告知单 by its number: what the citizen was told, from which item version
(the notice's snapshot never changes), and whether the item has changed since."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from banshi.models import STATE_LABELS, Item, ItemChange, SyncRun
from banshi.notices import get_notice
from banshi.notices.texts import copies_text, fee_lines, need_text
from banshi.staff.roles import Role, roles
from console import texts
from console.pagekit import render, transaction
from console.pages.catalog import CHANGE_KINDS, FIELD_LABELS
from console.services import ConsolePage, PageRoute

ANSWERS = {True: "是", False: "否", None: "不确定"}


def _materials(snapshot: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "name": str(m.get("name", "")),
            "copies": copies_text(m),
            "need": need_text(m),
            "condition": str(m.get("condition") or ""),
        }
        for m in snapshot.get("materials") or []
    ]


def notices_page(request: Request) -> Response:
    number = request.query_params.get("number", "").strip()[:40]
    if not number:
        return render(request, "notice.html", {"number": "", "notice": None})
    with transaction(request) as session:
        notice = get_notice(session, number)
        if notice is None:
            missing = {"number": number, "notice": None, "error": texts.NOTICE_NOT_FOUND}
            return render(request, "notice.html", missing, 404)
        snapshot = notice.snapshot or {}
        item = session.execute(
            select(Item).where(Item.task_code == notice.task_code)
        ).scalar_one_or_none()
        since = session.execute(
            select(ItemChange, SyncRun.source)
            .join(SyncRun, SyncRun.id == ItemChange.sync_id)
            .where(
                ItemChange.task_code == notice.task_code,
                ItemChange.to_version > notice.item_version,
            )
            .order_by(ItemChange.id)
        ).all()
        context: dict[str, Any] = {
            "number": notice.number,
            "notice": notice,
            "item_info": snapshot.get("item") or {},
            "answers": [
                (a.get("condition", ""), ANSWERS.get(a.get("answer"), "不确定"))
                for a in snapshot.get("answers") or []
            ],
            "materials": _materials(snapshot),
            "fees": fee_lines(snapshot.get("fees") or {}, with_basis=False),
            "place": snapshot.get("place") or {},
            "catalog": snapshot.get("catalog") or {},
            "current": item,
            "current_state": STATE_LABELS.get(item.state, item.state) if item else "",
            "changes": [
                {
                    "at": change.changed_at,
                    "kind": CHANGE_KINDS.get(change.kind, change.kind),
                    "versions": f"{change.from_version or '—'} → {change.to_version}",
                    "fields": "、".join(FIELD_LABELS.get(f, f) for f in change.fields or []),
                    "source": source,
                }
                for change, source in since
            ],
        }
        return render(request, "notice.html", context)


def page() -> ConsolePage:
    return ConsolePage(
        key="notices",
        title="告知单",
        path="/notices",
        roles=roles(Role.WINDOW, Role.DISPATCHER),
        order=20,
        routes=(PageRoute("/notices", notices_page, name="notices"),),
    )
