"""The conversation page: a browser plays the citizen, the stand-in plays WeChat.

page → ``POST /page/push`` → the stand-in signs (and encrypts) a push → the assistant's real
webhook → the passive reply comes back to the page; 客服消息 the assistant sends to the
stand-in's API side reach the page through ``GET /page/messages``.

The menu is the one the account created through ``menu/create``, as on WeChat; until it has
created one, the page offers the menu file it was given (``menu_path``, what ``banshi wechat
menu`` would push) when that file passes WeChat's rules. Names are shown cut as the WeChat
client cuts them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from wechat_standin.api import StandinAPI
from wechat_standin.driver import (
    UNAVAILABLE,
    PushDriver,
    event_xml,
    image_xml,
    location_xml,
    text_xml,
    voice_xml,
)
from wechat_standin.menu import check_menu, shown_menu

STATIC = Path(__file__).resolve().parent / "static"
MAX_TEXT = 2000


def _xml(openid: str, push: dict[str, Any]) -> str:
    kind = str(push.get("kind") or "text")
    if kind == "text":
        return text_xml(openid, str(push.get("text") or "")[:MAX_TEXT])
    if kind == "voice":
        return voice_xml(openid, str(push.get("recognition") or ""))
    if kind == "image":
        return image_xml(openid)
    if kind == "location":
        lat, lng = float(push.get("lat") or 0), float(push.get("lng") or 0)
        return location_xml(openid, lat, lng, str(push.get("label") or ""))
    if kind == "event":
        event = str(push.get("event") or "")
        key = push.get("key")
        return event_xml(openid, event, key=None if key is None else str(key))
    raise web.HTTPBadRequest(text=f"unknown kind {kind!r}")


def menu_from_file(path: Path | None) -> tuple[dict[str, Any] | None, str]:
    """The menu in ``path`` (WeChat's JSON shape, as YAML) and why it cannot be offered, if so."""
    if path is None or not path.is_file():
        return None, ""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return None, f"{path}: {exc}"
    verdict = check_menu(data)
    if verdict.problems:
        return None, f"{path}: {verdict.detail}"
    return data, ""


class Page:
    def __init__(
        self,
        api: StandinAPI,
        driver: PushDriver,
        account_name: str = "办事助手",
        menu_path: Path | None = None,
    ) -> None:
        self.api = api
        self.driver = driver
        self.account_name = account_name
        self.menu_path = menu_path

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def config(self, request: web.Request) -> web.Response:
        menu, problem = self.api.menu, ""
        if menu is None:
            menu, problem = menu_from_file(self.menu_path)
        return web.json_response(
            {
                "account": self.account_name,
                "mode": self.driver.account.mode,
                "menu": shown_menu(menu or {}),
                "menu_problem": problem,
            }
        )

    async def push(self, request: web.Request) -> web.Response:
        body = await request.json()
        openid = str(body.get("openid") or "")
        if not openid or len(openid) > 64:
            raise web.HTTPBadRequest(text="openid required")
        outcome = await self.driver.push(_xml(openid, body))
        replied_at = time.time()
        latency = outcome.latency
        return web.json_response(
            {
                "reply": outcome.reply,
                "failure": outcome.failure,
                "notice": UNAVAILABLE if outcome.failure else "",
                "deliveries": len(outcome.deliveries),
                "latency_ms": None if latency is None else round(latency * 1000),
                # 客服消息 that arrived before the reply are shown before it, as in WeChat.
                "at": replied_at,
            }
        )

    async def messages(self, request: web.Request) -> web.Response:
        openid = request.query.get("openid", "")
        after = int(request.query.get("after") or 0)
        before = float(request.query.get("before") or "inf")
        calls = [
            {"n": c.n, "text": c.text}
            for c in self.api.received("message/custom/send", openid)
            if c.errcode == 0 and c.n > after and c.at <= before
        ]
        return web.json_response(calls)

    def install(self, app: web.Application) -> None:
        app.add_routes(
            [
                web.get("/", self.index),
                web.get("/page/config", self.config),
                web.post("/page/push", self.push),
                web.get("/page/messages", self.messages),
            ]
        )
