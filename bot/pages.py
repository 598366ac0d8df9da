"""Pages citizens open from a link in the chat, served by the Rasa server: the printable
一次性告知单 at ``GET /notices/{number}?t={token}``, and each feature's pages the same way
(``/tickets/…``, ``/issues/…``: one :class:`banshi.links.PageKind` each).

A tiny input channel (name ``pages``) so the pages live at the address the chat links to
(``BANSHI_PUBLIC_URL``, by default where ``banshi run`` listens) without a second server. It
never talks to the dialogue: each kind has an opener, a domain function ``(session, links,
number, token) -> html | None``. Every link is a capability (:class:`banshi.links.Links`): a
missing, wrong or moved token gets the same 404 as an unknown number, so serial numbers
cannot be walked. Pages say ``noindex``, load nothing from elsewhere, send no referrer (the
token must not leak onward), and each client is rate limited. Staff look numbers up in the
console, not here. ``banshi run`` names ``app.rasa_entry.PublicPages`` in its credentials file.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from banshi.db import get_engine, session_scope
from banshi.hot_issues.page import open_page as open_hot_issue
from banshi.links import Links, PageKind
from banshi.notices.page import open_page as open_notice
from banshi.tickets.page import open_page as open_ticket

# (session, links, number, token) -> the page, or None for 404
Opener = Callable[[Session, Links, str, str], "str | None"]
OPENERS: dict[PageKind, Opener] = {
    PageKind.NOTICE: open_notice,
    PageKind.TICKET: open_ticket,
    PageKind.HOT_ISSUE: open_hot_issue,
}
PREFIX = "/notices"  # the notice pages (the first kind served; kept for old links and tests)
NOT_FOUND = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>未找到页面</title></head>
<body style="font-family: sans-serif; margin: 2em; line-height: 1.6">
<h1 style="font-size: 1.3em">未找到这个页面</h1>
<p>请从公众号消息里的链接打开。也可以在公众号里回复“我的告知单”“我的工单”查看，
或拨打 12345 政务服务便民热线咨询。</p>
</body></html>
"""
TOO_MANY = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>请稍后再试</title></head>
<body style="font-family: sans-serif; margin: 2em">访问过于频繁，请稍后再试。</body></html>
"""
HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}


class ClientLimiter:
    """At most ``limit`` pages per client address in ``window`` seconds (this process)."""

    def __init__(
        self, limit: int = 30, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = self.clock()
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle clients rather than grow without end
                self._seen = {
                    k: v for k, v in self._seen.items() if v and now - v[-1] < self.window
                }
            times = self._seen.setdefault(client, deque())
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True


def page(
    database_url: str, links: Links, opener: Opener, number: str, token: str
) -> tuple[int, str]:
    """The status and HTML for ``number`` opened with ``token``: the page, or the 404."""
    with session_scope(get_engine(database_url)) as session:
        html = opener(session, links, number[:64], token[:64])
    return (404, NOT_FOUND) if html is None else (200, html)


class PublicPagesInput(InputChannel):
    """Rasa input channel ``pages``: ``GET /<kind's path>/{number}?t={token}`` for each kind in
    ``openers`` (default: the notices)."""

    def __init__(
        self,
        database_url: str,
        links: Links,
        limiter: ClientLimiter | None = None,
        openers: dict[PageKind, Opener] | None = None,
    ) -> None:
        self.database_url = database_url
        self.links = links
        self.limiter = limiter or ClientLimiter()
        self.openers = dict(OPENERS if openers is None else openers)

    @classmethod
    def name(cls) -> str:
        return "pages"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The settings come from the composition root: ``app.rasa_entry.PublicPages``."""
        raise TypeError("build PublicPagesInput with its settings: app.rasa_entry.PublicPages")

    def url_prefix(self) -> str:
        return "/"  # absolute paths (/notices/…, /tickets/…): not under /webhooks/

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("public_pages")

        def route(opener: Opener) -> Callable[[Request, str], Coroutine[Any, Any, HTTPResponse]]:
            async def show(request: Request, number: str) -> HTTPResponse:
                if not self.limiter.allow(str(request.ip or "?")):
                    return response.html(TOO_MANY, status=429, headers=HEADERS)
                token = str(request.args.get("t") or "")
                status, html = await asyncio.to_thread(
                    page, self.database_url, self.links, opener, number, token
                )
                return response.html(html, status=status, headers=HEADERS)

            return show

        for kind, opener in self.openers.items():
            bp.add_route(route(opener), f"/{kind.path}/<number>", methods=["GET"], name=kind.value)
        return bp
