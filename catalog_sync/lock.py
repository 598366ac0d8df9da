"""One sync at a time: a Redis lock when REDIS_URL is set, a file lock otherwise."""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_KEY = "banshi:lock:catalog-sync"
LOCK_TTL_MS = 30 * 60 * 1000

# Release only our own lock: the token guards against deleting a lock that expired and was
# taken by another sync in the meantime.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class SyncBusy(RuntimeError):
    """Another catalog sync holds the lock."""


@contextmanager
def sync_lock(redis_url: str | None, lock_dir: Path) -> Iterator[None]:
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
        token = uuid.uuid4().hex
        if not client.set(LOCK_KEY, token, nx=True, px=LOCK_TTL_MS):
            raise SyncBusy("另一个目录同步正在进行（Redis 锁被占用），请稍后再试")
        try:
            yield
        finally:
            client.eval(_RELEASE, 1, LOCK_KEY, token)
            client.close()
        return
    lock_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_dir / "catalog-sync.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise SyncBusy("另一个目录同步正在进行（文件锁被占用），请稍后再试") from exc
        yield
    finally:
        os.close(fd)
