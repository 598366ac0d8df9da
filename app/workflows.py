"""Work that spans several parts: what a catalog sync sets off.

A sync (``catalog_sync``) changes the catalog; the holders of recent notices must then be told
what changed (``banshi.notices``), at once by 客服消息 when their 48-hour window is open
(``bot.wechat.push``), otherwise with their next message. The command line, a schedule and the
console all run it through :func:`sync_and_notify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.engine import Engine

from app.settings import Settings, load_wechat_settings
from banshi.db import session_scope
from banshi.notices import changes_for_notices
from banshi.privacy.retention import PurgeReport, RetentionPolicy, purge
from bot.wechat.config import SettingsError
from bot.wechat.push import PushResult, push_now
from catalog_sync.service import SyncReport, run_sync


@dataclass
class SyncOutcome:
    report: SyncReport
    told: int = 0  # change messages queued for holders of notices
    pushed: PushResult | None = None  # None: nothing was pushed (nothing to tell, or not asked)


def queue_notice_changes(engine: Engine, settings: Settings, sync_id: int | None) -> int:
    """Queue what the sync changed for the holders of recent notices."""
    with session_scope(engine) as session:
        changes = changes_for_notices(session, sync_id, date.today(), links=settings.links())
        return len(changes)


def push_pending_changes(engine: Engine) -> PushResult:
    """Push queued changes as 客服消息 to holders whose 48-hour window is open. Never raises:
    whatever WeChat says, the changes wait for the citizen's next message."""
    try:
        wechat = load_wechat_settings()
    except SettingsError as exc:
        return PushResult(unreachable=f"微信配置有误：{exc}")
    return push_now(engine, wechat)


def sync_and_notify(
    source: str, engine: Engine, settings: Settings, *, kind: str | None = None, push: bool = True
) -> SyncOutcome:
    """Sync one export; when it changed items, tell the holders of notices (and push).

    Raises what the sync raises (:class:`catalog_sync.source.FetchError`,
    :class:`catalog_sync.lock.SyncBusy`); once the sync succeeded nothing here can undo it.
    """
    report = run_sync(source, engine, settings, kind=kind)
    outcome = SyncOutcome(report)
    if report.kind == "items" and report.status == "ok":
        outcome.told = queue_notice_changes(engine, settings, report.sync_id)
        if outcome.told and push:
            outcome.pushed = push_pending_changes(engine)
    return outcome


def retention_policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        conversation_days=settings.retention_days,
        delivered_update_days=settings.notice_update_retention_days,
    )


def purge_expired(engine: Engine, settings: Settings, now: datetime | None = None) -> PurgeReport:
    """Apply the retention policy now (``banshi privacy purge``, and daily in ``banshi run``):
    database rows, and log files under ``var/log`` not written to within the period (logs are
    masked, but a masked log is still a record of who asked what). Conversations in Redis
    expire on their own (the tracker store's TTL)."""
    now = now or datetime.utcnow()
    with session_scope(engine) as session:
        report = purge(session, retention_policy(settings), now)
    cutoff = (
        (now - timedelta(days=settings.retention_days)).replace(tzinfo=timezone.utc).timestamp()
    )
    old_logs = [
        p
        for p in (settings.var_dir / "log").glob("*.log*")
        if p.is_file() and p.stat().st_mtime < cutoff
    ]
    for path in old_logs:
        path.unlink(missing_ok=True)
    report.deleted["log files"] = len(old_logs)
    return report
