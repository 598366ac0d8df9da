"""WeChat's server API (access token, 客服消息, menu), asynchronous and bounded.

wechatpy's ``WeChatClient`` is synchronous, retries 40001/42001 without end, has no default
timeout and fetches the token from a hard-coded host (NOTES.md), so the channel talks to the
API itself: every call, the token included, goes through ``WECHAT_API_BASE_URL`` with a
timeout and a bounded number of attempts. The access token is shared by every process
through Redis (each fetch of ``/token`` invalidates the others' tokens after a while, and
fetches are limited to about 2,000 a day).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
from redis.asyncio import Redis

from bot.wechat.config import WeChatSettings

log = logging.getLogger(__name__)

TOKEN_INVALID = (40001, 40014, 42001)  # invalid, malformed or expired access token
SYSTEM_BUSY = -1
TOKEN_MARGIN = 300  # seconds before WeChat's expiry at which a token is renewed


class WeChatAPIError(RuntimeError):
    """WeChat answered with an errcode (or could not be reached: errcode None)."""

    def __init__(self, errcode: int | None, errmsg: str, path: str = "") -> None:
        where = f" ({path})" if path else ""
        super().__init__(f"WeChat API error {errcode}{where}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path


class TokenStore(Protocol):
    async def get(self) -> str | None: ...

    async def put(self, token: str, ttl: float) -> None: ...

    async def discard(self, token: str) -> None:
        """Forget ``token`` unless another process has already replaced it."""

    def fetching(self) -> contextlib.AbstractAsyncContextManager[bool]:
        """Whether we may fetch (True) or should wait for another process's fetch."""


class MemoryTokenStore:
    def __init__(self) -> None:
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str | None:
        return self._token if self._token and time.monotonic() < self._expires else None

    async def put(self, token: str, ttl: float) -> None:
        self._token, self._expires = token, time.monotonic() + ttl

    async def discard(self, token: str) -> None:
        if self._token == token:
            self._token = None

    @contextlib.asynccontextmanager
    async def fetching(self):  # type: ignore[no-untyped-def]
        async with self._lock:
            yield True


_DISCARD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisTokenStore:
    """One access token per app id for every process, and one fetcher at a time."""

    def __init__(self, redis: Redis, appid: str, prefix: str = "wechat") -> None:
        self.redis = redis
        self.key = f"{prefix}:access_token:{appid}"
        self.lock_key = f"{self.key}:fetching"
        self._discard = redis.register_script(_DISCARD)

    async def get(self) -> str | None:
        value = await self.redis.get(self.key)
        return str(value) if value else None

    async def put(self, token: str, ttl: float) -> None:
        await self.redis.set(self.key, token, px=max(int(ttl * 1000), 1000))

    async def discard(self, token: str) -> None:
        await self._discard(keys=[self.key], args=[token])

    @contextlib.asynccontextmanager
    async def fetching(self):  # type: ignore[no-untyped-def]
        mine = secrets.token_hex(8)
        got = bool(await self.redis.set(self.lock_key, mine, nx=True, px=15000))
        try:
            yield got
        finally:
            if got:
                await self._discard(keys=[self.lock_key], args=[mine])


class WeChatAPI:
    """The calls the assistant makes, each with a timeout and bounded attempts."""

    def __init__(
        self,
        settings: WeChatSettings,
        tokens: TokenStore | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.base = settings.api_base_url
        self.tokens = tokens or MemoryTokenStore()
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.api_timeout, connect=min(3.0, settings.api_timeout))
        )
        self.attempts = max(1, settings.api_attempts)

    async def aclose(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ transport

    async def _request(
        self, method: str, path: str, params: dict[str, str], payload: Any | None
    ) -> dict[str, Any]:
        """One API call with bounded retries on network errors and 'system busy' (-1)."""
        content = None
        if payload is not None:
            # Chinese must go as UTF-8, not \\u escapes: WeChat shows escapes literally.
            content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        last: WeChatAPIError | None = None
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
            try:
                response = await self.client.request(
                    method,
                    self.base + path,
                    params=params,
                    content=content,
                    headers={"Content-Type": "application/json; charset=utf-8"}
                    if content
                    else None,
                )
            except httpx.HTTPError as exc:
                last = WeChatAPIError(None, f"{type(exc).__name__}: {exc}", path)
                continue
            if response.status_code >= 500:
                last = WeChatAPIError(None, f"HTTP {response.status_code}", path)
                continue
            try:
                data = response.json()
            except ValueError:
                raise WeChatAPIError(
                    None, f"HTTP {response.status_code}, not JSON: {response.text[:200]}", path
                ) from None
            errcode = int(data.get("errcode") or 0)
            if errcode == SYSTEM_BUSY:
                last = WeChatAPIError(errcode, str(data.get("errmsg", "")), path)
                continue
            if errcode:
                raise WeChatAPIError(errcode, str(data.get("errmsg", "")), path)
            return dict(data)
        assert last is not None
        raise last

    # ------------------------------------------------------------------ access token

    async def _fetch_token(self, force: bool) -> tuple[str, float]:
        s = self.settings
        if s.token_endpoint == "stable_token":
            data = await self._request(
                "POST",
                "stable_token",
                {},
                {
                    "grant_type": "client_credential",
                    "appid": s.appid,
                    "secret": s.appsecret,
                    "force_refresh": force,
                },
            )
        else:
            data = await self._request(
                "GET",
                "token",
                {"grant_type": "client_credential", "appid": s.appid, "secret": s.appsecret},
                None,
            )
        token = data.get("access_token")
        if not token:
            raise WeChatAPIError(None, f"no access_token in {data}", s.token_endpoint)
        return str(token), float(data.get("expires_in") or 7200)

    async def access_token(self, stale: str | None = None) -> str:
        """The shared token; ``stale`` is one WeChat just refused (fetch a new one)."""
        if stale:
            await self.tokens.discard(stale)
        deadline = time.monotonic() + 15
        while True:
            token = await self.tokens.get()
            if token and token != stale:
                return token
            async with self.tokens.fetching() as mine:
                if mine:
                    token = await self.tokens.get()
                    if token and token != stale:
                        return token
                    token, expires_in = await self._fetch_token(force=False)
                    if token == stale:  # stable_token hands out the refused one again
                        token, expires_in = await self._fetch_token(force=True)
                    await self.tokens.put(token, max(expires_in - TOKEN_MARGIN, 60))
                    return token
            if time.monotonic() > deadline:
                raise WeChatAPIError(None, "timed out waiting for another process's token fetch")
            await asyncio.sleep(0.1)

    async def call(self, path: str, payload: Any, method: str = "POST") -> dict[str, Any]:
        """An authenticated call; a refused token is renewed once, never in a loop."""
        token = await self.access_token()
        try:
            return await self._request(method, path, {"access_token": token}, payload)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_INVALID:
                raise
            log.info("access token refused (%s); fetching a new one once", exc.errcode)
        token = await self.access_token(stale=token)
        return await self._request(method, path, {"access_token": token}, payload)

    # ------------------------------------------------------------------ calls

    async def send_text(self, openid: str, content: str) -> dict[str, Any]:
        """A 客服消息 (customer-service message) of text."""
        return await self.call(
            "message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": content}},
        )

    async def typing(self, openid: str) -> None:
        with contextlib.suppress(WeChatAPIError):
            await self.call("message/custom/typing", {"touser": openid, "command": "Typing"})

    async def create_menu(self, menu: dict[str, Any]) -> dict[str, Any]:
        return await self.call("menu/create", menu)


@contextlib.asynccontextmanager
async def standalone_api(settings: WeChatSettings) -> AsyncIterator[WeChatAPI]:
    """A client for a command run beside the server (menu, pushes), closed afterwards.

    With ``REDIS_URL`` set it shares the server's access token: a token fetched on its own
    would invalidate the server's after a while.
    """
    redis = None
    tokens: TokenStore | None = None
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url, decode_responses=True)
        tokens = RedisTokenStore(redis, settings.appid)
    api = WeChatAPI(settings, tokens)
    try:
        yield api
    finally:
        await api.aclose()
        if redis is not None:
            await redis.close()
