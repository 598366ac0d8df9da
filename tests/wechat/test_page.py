"""The conversation page in headless Chromium: page → stand-in → signed push → webhook, and
客服消息 received by the stand-in's API side shown in the page."""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy.engine import Engine

from app.settings import load_wechat_settings
from bot.wechat import texts
from tests.wechat.channel_server import ChannelServer, ScriptedAgent
from wechat_standin.api import StandinAPI
from wechat_standin.driver import Account, PushDriver
from wechat_standin.page import Page
from wechat_standin.server import BackgroundStandin

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")


def script(openid: str, text: str):  # type: ignore[no-untyped-def]
    async def slow() -> list[str]:
        await asyncio.sleep(0.8)
        return [f"稍后的答复：{text}"]

    return slow() if text.startswith("慢") else [f"答：{text}"]


@pytest.fixture
def page_url(engine: Engine) -> Iterator[str]:
    api = StandinAPI()
    bare = BackgroundStandin(api).start()  # first the API side, to know its address
    settings = load_wechat_settings(
        {"WECHAT_API_BASE_URL": bare.api_base, "DATABASE_URL": str(engine.url)}
    )
    server = ChannelServer(replace(settings, passive_budget=0.4), ScriptedAgent(script)).start()
    port = bare.port
    bare.stop()

    def install(app):  # type: ignore[no-untyped-def]
        driver = PushDriver(server.webhook, Account(settings.token, settings.appid))
        Page(api, driver).install(app)

    standin = BackgroundStandin(api, port, install).start()
    yield standin.url
    standin.stop()
    server.stop()


def bubbles(dom: str) -> list[tuple[str, str]]:
    found = re.findall(
        r'<div class="row (me|bot)"[^>]*>.*?<div class="bubble">(.*?)</div>', dom, re.S
    )
    return [(who, html.unescape(text)) for who, text in found]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_conversation_in_the_page(page_url: str) -> None:
    steps = "subscribe|text:你好|text:慢一点的问题|click:REQUEST_HUMAN"
    query = urllib.parse.urlencode(
        {"openid": "oPage00000000000000000000001", "script": steps, "expect": "稍后的答复"}
    )
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=30000"]
        + ["--dump-dom", f"{page_url}?{query}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = result.stdout
    assert 'data-done="1"' in dom, result.stderr[-2000:]
    assert bubbles(dom) == [
        ("bot", texts.WELCOME),
        ("me", "你好"),
        ("bot", "答：你好"),
        ("me", "慢一点的问题"),
        # `success` at once; the answer follows as a 客服消息, and (one citizen, in order)
        # before the answer to the menu click that came after it.
        ("bot", "稍后的答复：慢一点的问题"),
        ("bot", "答：/request_human"),
    ]
    assert "客服消息" in dom and "被动回复" in dom
