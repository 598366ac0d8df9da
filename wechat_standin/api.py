"""WeChat's API side: access tokens, 客服消息, template messages and the menu.

It behaves like ``api.weixin.qq.com/cgi-bin/`` where the assistant can tell: tokens expire
and are checked (40001 invalid, 42001 expired), ``/token`` issues a new token and leaves the
old one valid for 5 more minutes, ``/stable_token`` hands out the same token until it expires
or ``force_refresh``; a text over 2,048 bytes is refused (45002); Chinese sent as ``\\u``
escapes is flagged (WeChat would show the escapes); a menu is judged by WeChat's own rules
(:mod:`wechat_standin.menu`), never by the channel's. Every call is recorded, and errcodes can
be queued per endpoint (e.g. 45015 once) to rehearse failures.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from wechat_standin.account import DEV_APPID, DEV_APPSECRET
from wechat_standin.menu import check_menu

TEXT_LIMIT = 2048
OLD_TOKEN_GRACE = 300.0  # seconds an old token keeps working after /token issued a new one
ERRMSG = {
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40013: "invalid appid",
    40125: "invalid appsecret",
    42001: "access_token expired",
    40003: "invalid openid",
    44002: "empty post data",
    45002: "content size out of limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    43004: "require subscribe",
    46003: "menu no exist",
    40007: "invalid media_id",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40022: "invalid sub_menu level",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    47001: "data format error",
    -1: "system error",
}


@dataclass
class Call:
    """One request the stand-in received."""

    n: int
    at: float
    path: str
    query: dict[str, str]
    body: Any
    errcode: int
    escaped_unicode: bool = False

    @property
    def touser(self) -> str:
        return str(self.body.get("touser", "")) if isinstance(self.body, dict) else ""

    @property
    def text(self) -> str:
        if isinstance(self.body, dict):
            return str((self.body.get("text") or {}).get("content", ""))
        return ""


@dataclass
class StandinAPI:
    appid: str = DEV_APPID
    secret: str = DEV_APPSECRET
    token_ttl: int = 7200
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, deque[int]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch seconds)
    stable: str = ""
    menu: dict[str, Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ control

    def fail(self, path: str, *errcodes: int) -> None:
        """The next calls to ``path`` (e.g. ``message/custom/send``) answer these errcodes."""
        with self._lock:
            self.faults.setdefault(path, deque()).extend(errcodes)

    def expire_tokens(self) -> None:
        with self._lock:
            self.tokens = {t: 0.0 for t in self.tokens}

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.faults.clear()
            self.tokens.clear()
            self.stable = ""
            self.menu = None

    def received(self, path: str | None = None, touser: str | None = None) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if (path is None or c.path == path) and (touser is None or c.touser == touser)
        ]

    def delivered(self, openid: str) -> list[str]:
        """The texts of 客服消息 WeChat accepted for ``openid``, in order."""
        return [c.text for c in self.received("message/custom/send", openid) if c.errcode == 0]

    # ------------------------------------------------------------------ helpers

    def _record(
        self, request: web.Request, path: str, body: Any, errcode: int, raw: str = ""
    ) -> None:
        with self._lock:
            self.calls.append(
                Call(
                    n=len(self.calls) + 1,
                    at=time.time(),
                    path=path,
                    query=dict(request.query),
                    body=body,
                    errcode=errcode,
                    escaped_unicode="\\u" in raw,
                )
            )

    def _issue(self) -> dict[str, Any]:
        token = "STANDIN_" + secrets.token_urlsafe(24)
        self.tokens[token] = time.time() + self.token_ttl
        return {"access_token": token, "expires_in": self.token_ttl}

    def _token_error(self, request: web.Request) -> int:
        token = request.query.get("access_token", "")
        expiry = self.tokens.get(token)
        if expiry is None:
            return 40001
        if expiry <= time.time():
            return 42001
        return 0

    def _fault(self, path: str) -> int:
        with self._lock:
            queue = self.faults.get(path)
            return queue.popleft() if queue else 0

    @staticmethod
    def _error(errcode: int, detail: str = "") -> web.Response:
        message = ERRMSG.get(errcode, "error") + (f": {detail}" if detail else "")
        return web.json_response({"errcode": errcode, "errmsg": message})

    async def _json(self, request: web.Request) -> tuple[Any, str]:
        raw = (await request.read()).decode("utf-8", errors="replace")
        try:
            return (json.loads(raw) if raw else None), raw
        except ValueError:
            return None, raw

    # ------------------------------------------------------------------ endpoints

    async def token(self, request: web.Request) -> web.Response:
        q = request.query
        errcode = self._fault("token")
        if not errcode and q.get("appid") != self.appid:
            errcode = 40013
        if not errcode and q.get("secret") != self.secret:
            errcode = 40125
        self._record(request, "token", None, errcode)
        if errcode:
            return self._error(errcode)
        with self._lock:
            for old in list(self.tokens):  # the old ones keep working for 5 more minutes
                self.tokens[old] = min(self.tokens[old], time.time() + OLD_TOKEN_GRACE)
            issued = self._issue()
            self.stable = issued["access_token"]
        return web.json_response(issued)

    async def stable_token(self, request: web.Request) -> web.Response:
        body, _ = await self._json(request)
        body = body if isinstance(body, dict) else {}
        errcode = self._fault("stable_token")
        if not errcode and body.get("appid") != self.appid:
            errcode = 40013
        if not errcode and body.get("secret") != self.secret:
            errcode = 40125
        self._record(request, "stable_token", {**body, "secret": "***"}, errcode)
        if errcode:
            return self._error(errcode)
        with self._lock:
            current = self.tokens.get(self.stable, 0.0)
            if body.get("force_refresh") or current <= time.time():
                issued = self._issue()
                self.stable = issued["access_token"]
                return web.json_response(issued)
            return web.json_response(
                {"access_token": self.stable, "expires_in": int(current - time.time())}
            )

    async def custom_send(self, request: web.Request) -> web.Response:
        body, raw = await self._json(request)
        path = "message/custom/send"
        errcode = self._token_error(request)
        if not errcode and not isinstance(body, dict):
            errcode = 44002 if not raw else 47001
        if not errcode and (not body.get("touser") or not body.get("msgtype")):
            errcode = 47001
        if not errcode and body.get("msgtype") == "text":
            content = str((body.get("text") or {}).get("content", ""))
            if len(content.encode("utf-8")) > TEXT_LIMIT:
                errcode = 45002
        errcode = errcode or self._fault(path)
        self._record(request, path, body, errcode, raw)
        return self._error(errcode)

    async def typing(self, request: web.Request) -> web.Response:
        body, raw = await self._json(request)
        errcode = self._token_error(request) or self._fault("message/custom/typing")
        self._record(request, "message/custom/typing", body, errcode, raw)
        return self._error(errcode)

    async def template_send(self, request: web.Request) -> web.Response:
        body, raw = await self._json(request)
        path = "message/template/send"
        errcode = self._token_error(request)
        if not errcode and not (
            isinstance(body, dict) and body.get("touser") and body.get("template_id")
        ):
            errcode = 47001
        errcode = errcode or self._fault(path)
        self._record(request, path, body, errcode, raw)
        if errcode:
            return self._error(errcode)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": len(self.calls)})

    async def menu_create(self, request: web.Request) -> web.Response:
        body, raw = await self._json(request)
        path = "menu/create"
        errcode, detail = self._token_error(request), ""
        if not errcode:
            verdict = check_menu(body)
            errcode, detail = verdict.errcode, verdict.detail
        errcode = errcode or self._fault(path)
        self._record(request, path, body, errcode, raw)
        if not errcode:
            self.menu = body
        return self._error(errcode, detail)

    async def menu_get(self, request: web.Request) -> web.Response:
        errcode = self._token_error(request)
        self._record(request, "menu/get", None, errcode)
        if errcode:
            return self._error(errcode)
        if self.menu is None:
            return self._error(46003)
        return web.json_response({"menu": self.menu})

    # ------------------------------------------------------------------ control over HTTP

    async def control_calls(self, request: web.Request) -> web.Response:
        calls = self.received(request.query.get("path"), request.query.get("touser"))
        return web.json_response([asdict(c) for c in calls], dumps=_dumps)

    async def control_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fail(str(body["path"]), *[int(e) for e in body.get("errcodes", [])])
        return web.json_response({"ok": True})

    async def control_expire(self, request: web.Request) -> web.Response:
        self.expire_tokens()
        return web.json_response({"ok": True})

    async def control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/cgi-bin/token", self.token),
            web.post("/cgi-bin/stable_token", self.stable_token),
            web.post("/cgi-bin/message/custom/send", self.custom_send),
            web.post("/cgi-bin/message/custom/typing", self.typing),
            web.post("/cgi-bin/message/template/send", self.template_send),
            web.post("/cgi-bin/menu/create", self.menu_create),
            web.get("/cgi-bin/menu/get", self.menu_get),
            web.get("/standin/calls", self.control_calls),
            web.post("/standin/faults", self.control_faults),
            web.post("/standin/expire-tokens", self.control_expire),
            web.post("/standin/reset", self.control_reset),
        ]


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
