"""Fixtures shared by the domain's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.settings import Settings
from tests.banshi.districts import sync_districts


@pytest.fixture
def districts(catalog: Engine, settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The demo's passport also implemented by two districts (task codes by district)."""
    return sync_districts(catalog, settings, tmp_path)
