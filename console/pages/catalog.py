"""The catalog as staff see it: search items, an item with its versions and what changed,
sync history with rejected records and reasons, and a sync triggered from a URL."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload
from starlette.requests import Request
from starlette.responses import Response

from banshi.catalog import place_of
from banshi.lexicon_overlay import LexiconOverlayEntry, list_entries
from banshi.models import (
    STATE_LABELS,
    Item,
    ItemAlias,
    ItemChange,
    ItemVersion,
    SyncRejection,
    SyncRun,
)
from banshi.staff.audit import AuditAction
from banshi.staff.roles import ADMIN_ONLY, EVERYONE
from console import texts
from console.pagekit import audit, field, refuse, render, services_of, staff_of, transaction
from console.pages.dashboard import SYNC_STATUS, cards_for
from console.pages.lexicon import EDITORS
from console.services import ConsolePage, PageRoute

log = logging.getLogger(__name__)

SEARCH_LIMIT = 50
SYNC_LIST_LIMIT = 50

# Export field names (SCHEMA.md) as staff read them.
FIELD_LABELS = {
    "TASK_NAME": "事项名称",
    "TASK_STATE": "事项状态",
    "TASK_VERSION": "版本",
    "UPDATE_DATE": "更新时间",
    "DEPT_NAME": "实施主体",
    "SEARCH_KEYWORDS": "检索关键词",
    "BY_LAW": "设定依据",
    "ACCEPT_CONDITION": "受理条件",
    "ANTICIPATE_DAY": "法定办结时限",
    "ANTICIPATE_TYPE": "法定时限单位",
    "PROMISE_DAY": "承诺办结时限",
    "PROMISE_TYPE": "承诺时限单位",
    "HANDLE_FLOW": "办理流程",
    "IS_FEE": "是否收费",
    "CHARGES": "收费项目",
    "IS_ONLINE": "是否网办",
    "ONLINE_HANDLE_URL": "网办地址",
    "LIMIT_SCENE_NUM": "到现场次数",
    "CENTER_NAME": "进驻大厅",
    "TRANSACT_ADDR": "办理地点",
    "TRANSACT_TIME": "办理时间",
    "IS_SCHEDULE": "是否可预约",
    "SCHEDULE_NUM": "每天可预约量",
    "SCHEDULE_RULE": "预约规则",
    "CONSULT_PHONE": "咨询电话",
    "COMPLAIN_PHONE": "投诉电话",
    "RESULT_NAME": "办理结果",
    "SITUATIONS": "办理情形",
    "MATERIALS": "申请材料",
    "QUESTIONS": "常见问题",
}
# For list fields: the key naming each entry, to say what was added and removed.
_ENTRY_NAME = {
    "MATERIALS": "MATERIAL_NAME",
    "SITUATIONS": "NAME",
    "QUESTIONS": "QUESTION",
    "CHARGES": "FEE_NAME",
}
CHANGE_KINDS = {"created": "新增", "updated": "更新", "cancelled": "取消", "reinstated": "恢复"}
COUNT_LABELS = {
    "created": "新增",
    "updated": "更新",
    "cancelled": "其中取消",
    "unchanged": "未变",
    "stale": "旧版本跳过",
    "superseded": "同文件低版本",
    "rejected": "拒收",
}
REJECTION_KINDS = {"invalid": "无效记录", "superseded": "同文件低版本", "stale": "旧于库中版本"}


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


def _short(value: Any, limit: int = 120) -> str:
    text = "—" if value in (None, "", []) else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def describe_change(
    fields: Sequence[str], old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> list[FieldChange]:
    """What changed between two stored versions of an item, field by field, for people."""
    out: list[FieldChange] = []
    for name in fields:
        label = FIELD_LABELS.get(name, name)
        before = (old or {}).get(name)
        after = (new or {}).get(name)
        key = _ENTRY_NAME.get(name)
        if key is not None:
            was = [str(e.get(key, "")) for e in before or [] if isinstance(e, dict)]
            now = [str(e.get(key, "")) for e in after or [] if isinstance(e, dict)]
            added = [n for n in now if n not in was]
            removed = [n for n in was if n not in now]
            if not added and not removed:
                out.append(FieldChange(label, "内容有调整", "内容有调整"))
                continue
            out.append(
                FieldChange(
                    label,
                    "删除：" + ("、".join(removed) or "—"),
                    "新增：" + ("、".join(added) or "—"),
                )
            )
            continue
        out.append(FieldChange(label, _short(before), _short(after)))
    return out


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_items(session: Session, query: str, limit: int = SEARCH_LIMIT) -> list[Item]:
    """Items whose name, alias, colloquial word or code contains / starts with ``query``."""
    text = " ".join(query.split())
    if not text:
        return []
    inside = f"%{_escape_like(text)}%"
    prefix = f"{_escape_like(text.upper())}%"
    by_alias = select(ItemAlias.item_id).where(ItemAlias.alias.like(inside, escape="\\"))
    by_word = select(LexiconOverlayEntry.task_code).where(
        LexiconOverlayEntry.word.like(inside, escape="\\"),
        LexiconOverlayEntry.removed_at.is_(None),
    )
    return list(
        session.execute(
            select(Item)
            .where(
                or_(
                    Item.name.like(inside, escape="\\"),
                    Item.task_code.like(prefix, escape="\\"),
                    Item.catalog_code.like(prefix, escape="\\"),
                    Item.id.in_(by_alias),
                    Item.task_code.in_(by_word),
                )
            )
            .order_by(Item.state, Item.name)
            .limit(limit)
        ).scalars()
    )


def catalog_page(request: Request) -> Response:
    services = services_of(request)
    staff = staff_of(request)
    query = request.query_params.get("q", "").strip()[:100]
    word = request.query_params.get("word", "").strip()[:20]
    with transaction(request) as session:
        items = search_items(session, query) if query else []
        rows = [
            (i.task_code, i.name, STATE_LABELS.get(i.state, i.state), i.dept_name) for i in items
        ]
    calendar = cards_for(
        services.engine, staff, services.now(), services.cards, frozenset({"calendar"})
    )
    context = {
        "q": query,
        "word": word,
        "rows": rows,
        "can_edit_words": staff.may(EDITORS),
        "calendar": calendar,
    }
    template = "catalog_results.html" if request.headers.get("hx-request") else "catalog.html"
    return render(request, template, context)


def item_page(request: Request) -> Response:
    code = request.path_params["task_code"]
    staff = staff_of(request)
    with transaction(request) as session:
        item = session.execute(
            select(Item)
            .where(Item.task_code == code)
            .options(selectinload(Item.situations), selectinload(Item.aliases))
        ).scalar_one_or_none()
        if item is None:
            return refuse(request, 404, texts.NOT_FOUND)
        place = place_of(session, item)
        versions = list(
            session.execute(
                select(ItemVersion)
                .where(ItemVersion.task_code == code)
                .order_by(ItemVersion.version.desc(), ItemVersion.id.desc())
            ).scalars()
        )
        records = {v.version: v.record for v in reversed(versions)}
        changes = session.execute(
            select(ItemChange, SyncRun.source)
            .join(SyncRun, SyncRun.id == ItemChange.sync_id)
            .where(ItemChange.task_code == code)
            .order_by(ItemChange.id.desc())
        ).all()
        history = [
            {
                "change": change,
                "kind": CHANGE_KINDS.get(change.kind, change.kind),
                "source": source,
                "fields": describe_change(
                    change.fields or [],
                    records.get(change.from_version) if change.from_version else None,
                    records.get(change.to_version),
                ),
            }
            for change, source in changes
        ]
        words = list_entries(session, task_code=code)
        context = {
            "item": item,
            "state": STATE_LABELS.get(item.state, item.state),
            "hall": place.hall.name if place.hall else item.center_name,
            "window": f"{place.window.window_no} {place.window.name}" if place.window else "",
            "versions": versions,
            "history": history,
            "words": words,
            "can_edit_words": staff.may(EDITORS),
        }
        return render(request, "item.html", context)


def syncs_page(request: Request) -> Response:
    with transaction(request) as session:
        runs = list(
            session.execute(
                select(SyncRun).order_by(SyncRun.id.desc()).limit(SYNC_LIST_LIMIT)
            ).scalars()
        )
        return render(
            request,
            "syncs.html",
            {
                "runs": runs,
                "statuses": SYNC_STATUS,
                "can_sync": staff_of(request).may(ADMIN_ONLY),
                "available": services_of(request).trigger_sync is not None,
            },
        )


def sync_page(request: Request) -> Response:
    try:
        sync_id = int(request.path_params["sync_id"])
    except ValueError:
        return refuse(request, 404, texts.NOT_FOUND)
    with transaction(request) as session:
        run = session.get(SyncRun, sync_id)
        if run is None:
            return refuse(request, 404, texts.NOT_FOUND)
        rejections = list(
            session.execute(
                select(SyncRejection)
                .where(SyncRejection.sync_id == sync_id)
                .order_by(SyncRejection.line)
            ).scalars()
        )
        changes = session.execute(
            select(ItemChange, Item.name)
            .outerjoin(Item, Item.task_code == ItemChange.task_code)
            .where(ItemChange.sync_id == sync_id)
            .order_by(ItemChange.id)
        ).all()
        return render(
            request,
            "sync.html",
            {
                "run": run,
                "status": SYNC_STATUS.get(run.status, run.status),
                "rejections": rejections,
                "rejection_kinds": REJECTION_KINDS,
                "changes": [
                    (
                        c,
                        name or "",
                        CHANGE_KINDS.get(c.kind, c.kind),
                        [FIELD_LABELS.get(f, f) for f in c.fields or []],
                    )
                    for c, name in changes
                ],
            },
        )


def trigger_sync(request: Request) -> Response:
    services = services_of(request)
    url = field(request, "url")
    if services.trigger_sync is None:
        return _sync_result(request, url, error=texts.SYNC_NOT_AVAILABLE, status=503)
    # A web form must not make the server read its own files: URLs only.
    if not url.lower().startswith(("http://", "https://")) or len(url) > 2000:
        return _sync_result(request, url, error=texts.SYNC_URL_ONLY, status=400)
    try:
        summary = dict(services.trigger_sync(url))
        error = ""
    except Exception as exc:  # the sync's own errors (fetch failed, busy) say what went wrong
        log.warning("sync triggered from the console failed: %s", type(exc).__name__)
        summary, error = {}, texts.sync_failed(str(exc) or type(exc).__name__)
    with transaction(request) as session:
        audit(
            session,
            request,
            AuditAction.SYNC_TRIGGERED,
            f"sync:{summary.get('sync_id', '')}",
            summary=f"从 {url} 同步：{summary.get('status') or '失败'}",
            detail={"url": url, "status": summary.get("status"), "error": bool(error)},
        )
    return _sync_result(
        request, url, summary=summary, error=error, status=200 if not error else 502
    )


def _sync_result(
    request: Request,
    url: str,
    *,
    summary: Mapping[str, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    summary = summary or {}
    counts = summary.get("counts") or {}
    return render(
        request,
        "sync_result.html",
        {
            "url": url,
            "error": error,
            "summary": summary,
            "status_label": SYNC_STATUS.get(
                str(summary.get("status")), str(summary.get("status") or "")
            ),
            "counts": counts,
            "count_labels": COUNT_LABELS,
            "rejections": summary.get("rejections") or [],
            "message": summary.get("message") or "",
        },
        status,
    )


def page() -> ConsolePage:
    return ConsolePage(
        key="catalog",
        title="事项目录",
        path="/catalog",
        roles=EVERYONE,
        order=10,
        routes=(
            PageRoute("/catalog", catalog_page, name="catalog"),
            PageRoute("/catalog/items/{task_code}", item_page, name="item"),
            PageRoute("/catalog/syncs", syncs_page, name="syncs"),
            PageRoute("/catalog/syncs", trigger_sync, methods=("POST",), roles=ADMIN_ONLY),
            PageRoute("/catalog/syncs/{sync_id}", sync_page, name="sync"),
        ),
    )
