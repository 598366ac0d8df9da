"""The printable 一次性告知单 page, ``GET /notices/{number}``, served by the Rasa server.

A tiny input channel (name ``notices``) so the page lives at the address the chat links to
(``BANSHI_PUBLIC_URL``, by default where ``banshi run`` listens) without a second server. It
never talks to the dialogue: the number is looked up and :func:`render_html` is returned.
Enable it in a credentials file (``banshi run`` writes it)::

    bot.notice_pages.NoticePageInput: {}
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from banshi.db import get_engine, session_scope
from banshi.notice_page import render_html
from banshi.notices import get_notice
from banshi.settings import Settings, load_settings

PREFIX = "/notices"
_NOT_FOUND = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>未找到告知单</title></head>
<body style="font-family: sans-serif; margin: 2em; line-height: 1.6">
<h1 style="font-size: 1.3em">未找到编号为 {number} 的一次性告知单</h1>
<p>请核对编号后重试。也可以在公众号里回复“我的告知单”查看您开具过的告知单，
或拨打 12345 政务服务便民热线咨询。</p>
</body></html>
"""


def page(settings: Settings, number: str) -> tuple[int, str]:
    """The status and HTML for ``number``: the notice, or a Chinese 404 page."""
    with session_scope(get_engine(settings.database_url)) as session:
        notice = get_notice(session, number)
        if notice is None:
            return 404, _NOT_FOUND.format(number=escape(number[:40]))
        return 200, render_html(notice, settings.public_url)


class NoticePageInput(InputChannel):
    """Rasa input channel ``notices``: ``GET /notices/{number}``."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()

    @classmethod
    def name(cls) -> str:
        return "notices"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def url_prefix(self) -> str:
        return PREFIX  # absolute: not under /webhooks/

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        bp = Blueprint("notice_pages", module.__name__ if module else None)

        @bp.route("/<number>", methods=["GET"])
        async def show(request: Request, number: str) -> HTTPResponse:
            status, html = await asyncio.to_thread(page, self.settings, number)
            return response.html(html, status=status)

        return bp
