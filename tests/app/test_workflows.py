"""The retention purge as `banshi privacy purge` runs it: rows and log files past the period."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from app.settings import Settings
from app.workflows import purge_expired
from banshi.db import session_scope
from banshi.models import Base


def test_the_purge_applies_the_configured_period(engine: Engine, settings: Settings) -> None:
    settings = replace(settings, retention_days=30)
    logs = settings.var_dir / "log"
    logs.mkdir(parents=True)
    old, fresh = logs / "rasa-server.log", logs / "console.log"
    old.write_text("old")
    fresh.write_text("fresh")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    contact = Base.metadata.tables["wechat_contact"]
    now = datetime.utcnow()
    with session_scope(engine) as session:
        session.execute(
            insert(contact),
            [
                {"openid": "o-old", "last_seen_at": now - timedelta(days=31)},
                {"openid": "o-new", "last_seen_at": now - timedelta(days=29)},
            ],
        )
    report = purge_expired(engine, settings, now)
    assert report.deleted["log files"] == 1 and not old.exists() and fresh.exists()
    assert report.deleted["wechat_contact"] == 1
    with session_scope(engine) as session:
        left = [row.openid for row in session.execute(contact.select())]
    assert left == ["o-new"]
