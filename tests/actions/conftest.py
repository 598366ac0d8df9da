"""The actions' services, built over the test database and installed for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from actions import services
from actions.services import Services
from app.services import build_services
from app.settings import Settings


@pytest.fixture
def installed(catalog: Engine, settings: Settings) -> Iterator[Services]:
    """The real services (guide, notice desk …) over the demo catalog, as the action server
    has them; removed again after the test."""
    built = build_services(settings, catalog)
    services.install(built)
    yield built
    services._services = services._factory = None
