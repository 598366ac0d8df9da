"""The trained model and an action server, each started once per test session.

``Agent.load`` takes about 25 s and 1.6 GB, so one agent serves every model test. The model is
trained by ``scripts/test`` (``banshi train``) before pytest runs; a missing model is an error,
not a skip.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest

from app.run import ActionServer, start_action_server
from app.settings import load_settings
from app.training import model_path
from banshi.db import make_engine, migrate
from banshi.text import normalize_message
from tests.conftest import HALLS, ITEMS

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One loop for the session: the agent's stores and HTTP sessions live on it."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    """``rasa run actions`` on a free port, over a SQLite copy of the demo catalog."""
    from catalog_sync.service import run_sync

    var = tmp_path_factory.mktemp("action-server-var")
    env = {"BANSHI_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var / 'banshi.db'}"}
    settings = load_settings(env)
    engine = make_engine(settings.database_url)
    migrate(engine)
    run_sync(str(ITEMS), engine, settings)
    run_sync(str(HALLS), engine, settings)
    engine.dispose()
    server = start_action_server(var / "action-server.log", env=env)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def agent(action_server: ActionServer) -> Any:
    """The trained model, loaded once, with its custom actions on ``action_server``."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    model = model_path()
    if not model.exists():
        pytest.fail(
            f"{model} is missing: run 'banshi train' (scripts/test does) before the model tests"
        )
    return Agent.load(str(model), action_endpoint=EndpointConfig(action_server.url))


@pytest.fixture(scope="session")
def parse(agent: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """Parse a citizen's message as the bot does: normalised first, then the NLU."""

    def _parse(text: str) -> dict[str, Any]:
        return loop.run_until_complete(agent.parse_message(normalize_message(text)))

    return _parse


@pytest.fixture(scope="session")
def raw_parse(agent: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """Parse the text exactly as a channel hands it over, without normalising it first."""

    def _parse(text: str) -> dict[str, Any]:
        return loop.run_until_complete(agent.parse_message(text))

    return _parse
