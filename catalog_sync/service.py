"""``banshi catalog sync``: fetch, clean, validate and import one export, then report.

The whole import is one transaction: a crash or Ctrl-C part-way leaves the previous catalog
as it was. After a sync that changed items, the jieba user dictionary is regenerated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.db import session_scope
from banshi.lexicon import load_lexicon
from banshi.models import SyncRejection, SyncRun
from banshi.userdict import write_user_dict
from catalog_sync.importer import import_halls, import_items
from catalog_sync.lock import sync_lock
from catalog_sync.records import Rejection, detect_kind, parse_halls, parse_items
from catalog_sync.source import fetch, is_url

log = logging.getLogger(__name__)


class SyncSettings(Protocol):
    """What a sync needs to know (the composition root's settings satisfy it)."""

    @property
    def redis_url(self) -> str | None: ...  # the sync lock across processes, when set
    @property
    def var_dir(self) -> Path: ...  # the file lock without Redis
    @property
    def jieba_dir(self) -> Path: ...  # where the user dictionary is regenerated
    @property
    def lexicon_path(self) -> Path: ...


@dataclass
class SyncReport:
    sync_id: int
    source: str
    kind: str
    status: str  # ok / unchanged / not_modified
    counts: dict[str, int]
    rejections: list[Rejection] = field(default_factory=list)
    skipped: list[Rejection] = field(default_factory=list)  # superseded and stale records
    seconds: float = 0.0

    @property
    def message(self) -> str:
        c = self.counts
        if self.status == "not_modified":
            return "服务器返回 304：导出文件自上次同步以来没有变化。"
        if self.kind == "halls":
            head = f"大厅：新增 {c['created']}，更新 {c['updated']}，未变 {c['unchanged']}"
        else:
            head = (
                f"事项：新增 {c['created']}，更新 {c['updated']}（其中取消 {c['cancelled']}），"
                f"未变 {c['unchanged']}，旧版本跳过 {c['stale']}，同文件低版本 {c['superseded']}"
            )
        tail = f"；拒收 {c['rejected']} 条。"
        if self.status == "unchanged":
            return "目录没有变化（本次导出与库中一致）。" + head + tail
        return head + tail


def _previous_validators(session: Session, source: str) -> tuple[str, str]:
    row = session.execute(
        select(SyncRun.etag, SyncRun.last_modified)
        .where(SyncRun.source == source, SyncRun.status.in_(("ok", "unchanged", "not_modified")))
        .order_by(SyncRun.id.desc())
        .limit(1)
    ).first()
    return (row.etag, row.last_modified) if row else ("", "")


def _record_rejections(session: Session, sync_id: int, rows: list[Rejection], kind: str) -> None:
    session.add_all(
        SyncRejection(
            sync_id=sync_id,
            line=r.line,
            task_guid=r.task_guid[:64],
            task_code=r.task_code[:64],
            kind=kind,
            reason=r.reason,
        )
        for r in rows
    )


def run_sync(
    source: str,
    engine: Engine,
    settings: SyncSettings,
    *,
    kind: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Sync one export into the catalog under the sync lock; see the module docstring."""
    with sync_lock(settings.redis_url, settings.var_dir):
        return _sync_locked(source, engine, settings, kind, on_progress)


def _sync_locked(
    source: str,
    engine: Engine,
    settings: SyncSettings,
    kind: str | None,
    on_progress: Callable[[int], None] | None,
) -> SyncReport:
    started = time.monotonic()
    now = datetime.now().replace(microsecond=0)
    etag, last_modified = ("", "")
    if is_url(source):
        with session_scope(engine) as session:
            etag, last_modified = _previous_validators(session, source)
    fetched = fetch(source, etag, last_modified)
    if fetched.content is None:
        with session_scope(engine) as session:
            run = SyncRun(
                source=source,
                kind=kind or "items",
                started_at=now,
                finished_at=datetime.now().replace(microsecond=0),
                status="not_modified",
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                counts={"rejected": 0},
            )
            session.add(run)
            session.flush()
            return SyncReport(run.id, source, run.kind, "not_modified", {"rejected": 0})

    kind = kind or detect_kind(fetched.content)
    try:
        with session_scope(engine) as session:
            run = SyncRun(
                source=source,
                kind=kind,
                started_at=now,
                status="running",
                file_sha256=fetched.sha256,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                counts={},
            )
            session.add(run)
            session.flush()
            report = _import(session, run, fetched.content, now, on_progress)
            run.status = report.status
            run.counts = report.counts
            run.finished_at = datetime.now().replace(microsecond=0)
            run.message = report.message
    except BaseException as exc:
        _record_failure(engine, source, kind, now, fetched.sha256, exc)
        raise
    if report.status == "ok" or not (settings.jieba_dir / "banshi_userdict.txt").exists():
        with session_scope(engine) as session:
            write_user_dict(session, load_lexicon(settings.lexicon_path), settings.jieba_dir)
    report.seconds = time.monotonic() - started
    log.info("catalog sync %s from %s: %s", report.sync_id, source, report.message)
    return report


def _import(
    session: Session,
    run: SyncRun,
    content: bytes,
    now: datetime,
    on_progress: Callable[[int], None] | None,
) -> SyncReport:
    counts: dict[str, Any]
    if run.kind == "halls":
        halls = parse_halls(content)
        hall_result = import_halls(session, halls.records, now)
        _record_rejections(session, run.id, halls.rejections, "invalid")
        counts = {
            "records": len(halls.records),
            "created": len(hall_result.created),
            "updated": len(hall_result.updated),
            "unchanged": hall_result.unchanged,
            "rejected": len(halls.rejections),
        }
        status = "ok" if hall_result.changed else "unchanged"
        return SyncReport(run.id, run.source, run.kind, status, counts, halls.rejections)

    parsed = parse_items(content)
    result = import_items(session, parsed.records, run.id, now, on_progress)
    stale = [
        Rejection(r.line, str(r.data["TASK_GUID"]), r.task_code, "库中已有更高版本，本条未应用")
        for r in result.stale
    ]
    _record_rejections(session, run.id, parsed.rejections, "invalid")
    _record_rejections(session, run.id, parsed.superseded, "superseded")
    _record_rejections(session, run.id, stale, "stale")
    counts = {
        "lines": parsed.total_lines,
        "records": len(parsed.records),
        "created": len(result.created),
        "updated": len(result.updated),
        "cancelled": len(result.cancelled),
        "unchanged": result.unchanged,
        "stale": len(stale),
        "superseded": len(parsed.superseded),
        "rejected": len(parsed.rejections),
    }
    status = "ok" if result.changed else "unchanged"
    return SyncReport(
        run.id, run.source, run.kind, status, counts, parsed.rejections, parsed.superseded + stale
    )


def _record_failure(
    engine: Engine, source: str, kind: str, now: datetime, sha: str, exc: BaseException
) -> None:
    """Best effort: leave a trace of a failed or interrupted sync for `catalog status`."""
    try:
        with session_scope(engine) as session:
            session.add(
                SyncRun(
                    source=source,
                    kind=kind,
                    started_at=now,
                    finished_at=datetime.now().replace(microsecond=0),
                    status="failed",
                    file_sha256=sha,
                    counts={"rejected": 0},
                    message=f"{type(exc).__name__}: {exc}"[:2000],
                )
            )
    except Exception:  # the database itself may be what failed
        log.exception("could not record the failed sync of %s", source)
