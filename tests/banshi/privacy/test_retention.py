"""purge() deletes what is older than the policy, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.models import ItemVersion, Notice, NoticeUpdate, SyncRun
from banshi.privacy.retention import PurgeReport, RetentionPolicy, purge
from bot.wechat.models import Attachment, Contact, PendingAnswer

NOW = datetime(2026, 12, 7, 12, 0, 0)


def _ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _seed(engine: Engine) -> None:
    """Rows of several ages: 1, 179, 181 and 400 days old."""
    with session_scope(engine) as s:
        run = SyncRun(source="t", kind="items", started_at=NOW, status="ok", counts={})
        s.add(run)
        s.flush()
        version = ItemVersion(
            task_code="T" * 31,
            version=1,
            content_hash="h",
            record={},
            sync_id=run.id,
            imported_at=NOW,
        )
        s.add(version)
        s.flush()
        notice = Notice(
            number="BS2026000001",
            openid="o1",
            task_code="T" * 31,
            item_version=1,
            item_version_id=version.id,
            sync_id=run.id,
            conditions={},
            snapshot={},
            issued_on=date(2026, 1, 1),
            created_at=_ago(400),
        )
        s.add(notice)
        s.flush()
        for i, age in enumerate((1, 179, 181, 400)):
            s.add(PendingAnswer(openid=f"o{i}", text="您好", created_at=_ago(age)))
            s.add(Attachment(openid=f"o{i}", kind="image", received_at=_ago(age)))
            s.add(Contact(openid=f"o{i}", last_seen_at=_ago(age)))
        # change messages: delivered 5 / 29 / 31 / 200 days ago; undelivered 10 / 190 days old
        for created, delivered in [
            (10, 5),
            (40, 29),
            (40, 31),
            (300, 200),
            (10, None),
            (190, None),
        ]:
            s.add(
                NoticeUpdate(
                    notice_id=notice.id,
                    openid="o1",
                    text="材料有变化",
                    from_version_id=version.id,
                    to_version_id=version.id,
                    created_at=_ago(created),
                    delivered_at=None if delivered is None else _ago(delivered),
                )
            )


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_purge_deletes_only_expired_rows(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        report = purge(s, RetentionPolicy(), NOW)
    assert report.deleted == {
        "wechat_pending_answer": 2,
        "wechat_attachment": 2,
        "wechat_contact": 2,
        "notice_update": 2,
        "notice_update (undelivered)": 1,
        "outbox_message": 0,  # the tickets' tables: tests/banshi/privacy/test_retention_tickets.py
        "outbox_message (undelivered)": 0,
        "handoff_message": 0,
        "handoff": 0,
    }
    assert report.total == 9
    assert "wechat_contact 2" in report.summary()
    assert _count(engine, PendingAnswer) == 2
    assert _count(engine, Attachment) == 2
    assert _count(engine, Notice) == 1  # notices are service records: never purged here
    with session_scope(engine) as s:
        kept = s.execute(select(Contact.openid).order_by(Contact.openid)).scalars().all()
        ages = sorted((NOW - u).days for u in s.execute(select(NoticeUpdate.created_at)).scalars())
    assert kept == ["o0", "o1"]
    assert ages == [10, 10, 40]

    # idempotent: a second run finds nothing
    with session_scope(engine) as s:
        assert purge(s, RetentionPolicy(), NOW).total == 0


def test_purge_follows_the_policy(engine: Engine) -> None:
    _seed(engine)
    policy = RetentionPolicy(
        conversation_days=30, delivered_update_days=300, undelivered_update_days=None
    )
    with session_scope(engine) as s:
        report = purge(s, policy, NOW)
    assert report.deleted["wechat_contact"] == 3
    assert report.deleted["notice_update"] == 0
    assert "notice_update (undelivered)" not in report.deleted
    assert _count(engine, NoticeUpdate) == 6


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="conversation_days"):
        RetentionPolicy(conversation_days=0)
    assert RetentionPolicy().conversation_seconds == 180 * 86400
    assert PurgeReport({"a": 1, "b": 2}).total == 3
