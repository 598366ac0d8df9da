"""Fetching an export from a local path or an http(s) URL.

URLs use a conditional GET (ETag / Last-Modified from the previous sync of that URL), a
timeout and bounded retries, so a scheduled sync is cheap when nothing changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

TIMEOUT = (5, 60)  # connect, read (seconds)
MAX_BYTES = 512 * 1024 * 1024


class FetchError(RuntimeError):
    """The export could not be read; the message says where and why."""


@dataclass(frozen=True)
class Fetched:
    content: bytes | None  # None: the server said 304 Not Modified
    etag: str = ""
    last_modified: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content or b"").hexdigest()


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _session(retries: int) -> requests.Session:
    session = requests.Session()
    retry = Retry(
        total=retries,
        backoff_factor=0.5,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET",),
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def fetch(source: str, etag: str = "", last_modified: str = "", retries: int = 3) -> Fetched:
    """Read ``source``; for a URL send the validators of the previous sync."""
    if not is_url(source):
        path = Path(source)
        try:
            return Fetched(path.read_bytes())
        except OSError as exc:
            raise FetchError(f"无法读取文件 {source}：{exc.strerror or exc}") from exc
    headers = {"Accept": "application/json, application/x-ndjson, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with _session(retries) as session:
            response = session.get(source, headers=headers, timeout=TIMEOUT, stream=True)
            if response.status_code == 304:
                return Fetched(None, etag, last_modified)
            response.raise_for_status()
            chunks, size = [], 0
            for chunk in response.iter_content(1 << 16):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FetchError(f"{source} 超过 {MAX_BYTES // (1 << 20)} MiB，已停止下载")
                chunks.append(chunk)
            return Fetched(
                b"".join(chunks),
                response.headers.get("ETag", ""),
                response.headers.get("Last-Modified", ""),
            )
    except requests.RequestException as exc:
        raise FetchError(f"无法下载 {source}：{exc}") from exc
