"""Fixtures of the WeChat tests: real Redis (db 15, a private key prefix per test), the
stand-in's API side in a background thread."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Iterator
from typing import TypeVar

import pytest

from tests.conftest import REDIS_URL
from wechat_standin.api import StandinAPI
from wechat_standin.server import BackgroundStandin

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    """Run a coroutine to completion (the suite has no asyncio plugin)."""
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis key prefix of this test alone (db 15 is shared with other suites)."""
    import redis

    value = f"wechat-test-{uuid.uuid4().hex[:10]}"
    yield value
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{value}:*", count=1000))
        if keys:
            client.delete(*keys)
    except redis.ConnectionError:
        pass
    finally:
        client.close()


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    finally:
        client.close()
    yield REDIS_URL


@pytest.fixture
def standin() -> Iterator[BackgroundStandin]:
    server = BackgroundStandin(StandinAPI()).start()
    yield server
    server.stop()
