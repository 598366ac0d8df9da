"""What ``banshi catalog status`` shows: the last syncs, items by state, rejected records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banshi.models import (
    STATE_ACTIVE,
    STATE_CANCELLED,
    STATE_SUSPENDED,
    Hall,
    Item,
    SyncRejection,
    SyncRun,
)


def _run_dict(run: SyncRun) -> dict[str, Any]:
    counts = dict(run.counts or {})
    return {
        "id": run.id,
        "source": run.source,
        "kind": run.kind,
        "status": run.status,
        "started_at": run.started_at.isoformat(sep=" "),
        "finished_at": run.finished_at.isoformat(sep=" ") if run.finished_at else None,
        "counts": counts,
        "rejected": int(counts.get("rejected", 0)),
        "message": run.message,
    }


def catalog_status(session: Session, last: int = 5) -> dict[str, Any]:
    by_state = dict(session.execute(select(Item.state, func.count()).group_by(Item.state)).all())
    runs = list(session.execute(select(SyncRun).order_by(SyncRun.id.desc()).limit(last)).scalars())
    latest = runs[0] if runs else None
    rejections = []
    if latest is not None:
        rejections = [
            {"line": r.line, "task_guid": r.task_guid, "task_code": r.task_code, "reason": r.reason}
            for r in session.execute(
                select(SyncRejection)
                .where(SyncRejection.sync_id == latest.id, SyncRejection.kind == "invalid")
                .order_by(SyncRejection.line)
            ).scalars()
        ]
    return {
        "items": {
            "active": int(by_state.get(STATE_ACTIVE, 0)),
            "suspended": int(by_state.get(STATE_SUSPENDED, 0)),
            "cancelled": int(by_state.get(STATE_CANCELLED, 0)),
            "total": int(sum(by_state.values())),
        },
        "halls": int(session.execute(select(func.count()).select_from(Hall)).scalar_one()),
        "last_sync": _run_dict(latest) | {"rejections": rejections} if latest else None,
        "syncs": [_run_dict(run) for run in runs],
    }


def format_status(status: dict[str, Any]) -> str:
    items = status["items"]
    lines = [
        f"事项：在用 {items['active']}，暂停 {items['suspended']}，取消 {items['cancelled']}"
        f"（共 {items['total']}）；大厅 {status['halls']} 个。",
        "",
        "最近的同步：",
    ]
    if not status["syncs"]:
        lines.append("  （还没有同步过。运行 banshi catalog sync PATH_OR_URL）")
    for run in status["syncs"]:
        lines.append(
            f"  #{run['id']} {run['started_at']} {run['kind']:<5} {run['status']:<12} "
            f"{run['source']}"
        )
        if run["message"]:
            lines.append(f"      {run['message']}")
    last = status["last_sync"]
    if last and last["rejections"]:
        lines += ["", f"最近一次同步拒收的记录（{len(last['rejections'])} 条）："]
        for r in last["rejections"]:
            lines.append(f"  第 {r['line']} 行 {r['task_guid'] or '-'}：{r['reason']}")
    return "\n".join(lines)
