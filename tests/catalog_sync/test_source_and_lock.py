"""Fetching exports over HTTP (conditional GET) and the one-sync-at-a-time lock (real Redis)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import Engine

from app.settings import Settings
from catalog_sync.lock import LOCK_KEY, SyncBusy, sync_lock
from catalog_sync.service import run_sync
from catalog_sync.source import FetchError, fetch
from tests.conftest import HALLS, REDIS_URL


class _ExportServer(http.server.BaseHTTPRequestHandler):
    body = HALLS.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    requests: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).requests.append(dict(self.headers))
        if self.path == "/broken":
            self.send_response(404)
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == self.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", self.etag)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def export_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ExportServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _ExportServer.requests.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_sync_uses_a_conditional_get(
    engine: Engine, settings: Settings, export_url: str
) -> None:
    first = run_sync(f"{export_url}/halls.json", engine, settings)
    assert first.status == "ok" and first.counts["created"] == 5

    second = run_sync(f"{export_url}/halls.json", engine, settings)

    assert second.status == "not_modified"
    assert _ExportServer.requests[-1].get("If-None-Match") == _ExportServer.etag


def test_an_unreachable_export_is_a_clear_error(export_url: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="无法下载"):
        fetch(f"{export_url}/broken", retries=0)
    with pytest.raises(FetchError, match="无法读取文件"):
        fetch(str(tmp_path / "missing.jsonl"))


@pytest.mark.redis
def test_redis_lock_keeps_two_syncs_apart(settings: Settings, tmp_path: Path) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(LOCK_KEY)
    with sync_lock(REDIS_URL, tmp_path):
        assert client.get(LOCK_KEY) is not None
        with pytest.raises(SyncBusy), sync_lock(REDIS_URL, tmp_path):
            pass
    assert client.get(LOCK_KEY) is None
    with sync_lock(REDIS_URL, tmp_path):  # free again
        pass


@pytest.mark.redis
def test_sync_refuses_to_run_while_another_holds_the_lock(
    engine: Engine, settings: Settings
) -> None:
    with_redis = replace(settings, redis_url=REDIS_URL)
    client = redis.Redis.from_url(REDIS_URL)
    client.set(LOCK_KEY, "someone-else", px=60_000)
    try:
        with pytest.raises(SyncBusy):
            run_sync(str(HALLS), engine, with_redis)
        assert client.get(LOCK_KEY) == b"someone-else"  # not released by the loser
    finally:
        client.delete(LOCK_KEY)


def test_file_lock_without_redis(tmp_path: Path) -> None:
    with sync_lock(None, tmp_path), pytest.raises(SyncBusy), sync_lock(None, tmp_path):
        pass
