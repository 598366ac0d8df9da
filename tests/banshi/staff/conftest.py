"""Fixtures of the staff domain tests: cheap password hashing, a hall to serve."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.models import Hall
from banshi.staff.passwords import PasswordHashing

CHEAP = PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1)  # tests only
NOW = datetime(2026, 12, 7, 9, 0, 0)


@pytest.fixture
def hall(engine: Engine) -> str:
    with session_scope(engine) as session:
        session.add(
            Hall(
                code="H1",
                name="示范市政务服务中心",
                weekly_hours={},
                holiday_rule="closed",
                content_hash="x",
                synced_at=NOW,
            )
        )
    return "H1"
