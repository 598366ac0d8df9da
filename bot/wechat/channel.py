"""The WeChat 公众号 channel for Rasa: ``/webhooks/wechat/webhook`` (GET and POST).

Thin on purpose: protocol in (:mod:`bot.wechat.protocol`), one turn through
:class:`bot.wechat.service.WeChatService` (the dialogue is one Rasa call, with the OpenID as
the conversation id), protocol out. Rasa builds it from the class the credentials file names:
``banshi run`` writes ``app.rasa_entry.WeChatChannel``, which reads the settings.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from banshi.db import get_engine
from bot.wechat.api import MemoryTokenStore, RedisTokenStore, WeChatAPI
from bot.wechat.arrival import Gate, RedisGate, StoresGate
from bot.wechat.config import WeChatSettings
from bot.wechat.dedup import DedupStore, MemoryDedupStore, RedisDedupStore
from bot.wechat.delivery import Delivery
from bot.wechat.hooks import ChannelHooks
from bot.wechat.menu import MenuError, load_menu
from bot.wechat.protocol import SUCCESS, Codec, PushParams, Refused, message_key, render_text
from bot.wechat.ratelimit import (
    MemoryRateLimiter,
    RateLimitConfig,
    RateLimiter,
    RedisRateLimiter,
)
from bot.wechat.routing import Router
from bot.wechat.serial import MemorySerializer, RedisSerializer, Serializer
from bot.wechat.service import WeChatService
from bot.wechat.storage import (
    CitizenStore,
    MemoryPendingIndex,
    PendingIndex,
    RedisPendingIndex,
)
from bot.wechat.window import WindowTracker

log = logging.getLogger(__name__)


class WeChatOutput(CollectingOutputChannel):
    """Collects a turn's messages; unlike Rasa's collector it keeps blank lines inside one."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip()))

    def texts(self) -> list[str]:
        """Every message as WeChat text: buttons become numbered lines, images their link."""
        out: list[str] = []
        for message in self.messages:
            lines = [str(message["text"])] if message.get("text") else []
            for i, button in enumerate(message.get("buttons") or [], 1):
                lines.append(f"{i}. {button.get('title', '')}")
            if message.get("image"):
                lines.append(str(message["image"]))
            custom = message.get("custom")
            if isinstance(custom, dict) and custom.get("text"):
                lines.append(str(custom["text"]))
            if lines:
                out.append("\n".join(lines))
        return out


async def delete_conversation(tracker_store: Any, sender_id: str) -> bool:
    """Delete ``sender_id``'s whole conversation (Rasa 3.6 stores have no delete method)."""
    from rasa.core.tracker_store import (
        InMemoryTrackerStore,
        MongoTrackerStore,
        RedisTrackerStore,
        SQLTrackerStore,
    )
    from sqlalchemy import delete

    store = tracker_store
    while hasattr(store, "_tracker_store"):  # AwaitableTrackerStore, FailSafeTrackerStore
        store = store._tracker_store
    if isinstance(store, InMemoryTrackerStore):
        store.store.pop(sender_id, None)
    elif isinstance(store, RedisTrackerStore):
        await asyncio.to_thread(store.red.delete, store.key_prefix + sender_id)
    elif isinstance(store, SQLTrackerStore):

        def purge() -> None:
            with store.session_scope() as session:
                event = SQLTrackerStore.SQLEvent
                session.execute(delete(event).where(event.sender_id == sender_id))
                session.commit()

        await asyncio.to_thread(purge)
    elif isinstance(store, MongoTrackerStore):
        await asyncio.to_thread(store.conversations.delete_one, {"sender_id": sender_id})
    else:
        log.warning("cannot delete conversations from %s", type(store).__name__)
        return False
    return True


class NotReady(RuntimeError):
    """The model is still loading."""


@dataclass
class Runtime:
    """Everything a running channel needs, built on the server's event loop."""

    settings: WeChatSettings
    codec: Codec
    dedup: DedupStore
    service: WeChatService
    router: Router
    api: WeChatAPI
    store: CitizenStore
    window: WindowTracker
    redis: Any = None

    @classmethod
    def build(
        cls,
        settings: WeChatSettings,
        dialogue: Callable[[str, str, dict[str, Any]], Awaitable[list[str]]],
        forget_conversation: Callable[[str], Awaitable[None]],
        hooks: ChannelHooks | None = None,
    ) -> Runtime:
        redis = None
        limits = RateLimitConfig(settings.rate_limit, settings.rate_window)
        dedup: DedupStore
        serial: Serializer
        gate: Gate
        if settings.redis_url:
            from redis.asyncio import Redis

            redis = Redis.from_url(settings.redis_url, decode_responses=True)
            redis_dedup = RedisDedupStore(redis)
            dedup = redis_dedup
            serial = RedisSerializer(redis)
            tokens: Any = RedisTokenStore(redis, settings.appid)
            index: PendingIndex = RedisPendingIndex(redis)
            gate = RedisGate(redis_dedup, RedisRateLimiter(redis, limits, prefix="wechat"))
        else:
            dedup, serial, tokens = MemoryDedupStore(), MemorySerializer(), MemoryTokenStore()
            index = MemoryPendingIndex()
            limiter: RateLimiter = MemoryRateLimiter(limits)
            gate = StoresGate(dedup, limiter)
        engine = get_engine(settings.database_url)
        store = CitizenStore(engine, index)
        api = WeChatAPI(settings, tokens)
        service = WeChatService(dedup, serial, Delivery(api, store), store, gate=gate)
        window = WindowTracker(engine)

        async def forget(openid: str) -> None:
            await forget_conversation(openid)
            await dedup.forget_citizen(openid)
            await window.forget(openid)
            await store.forget_citizen(openid)
            log.info("%s unsubscribed: conversation and personal data deleted", openid)

        try:
            menu_intents = load_menu().intents
        except (MenuError, OSError) as exc:  # clicks then get a polite "not available"
            log.error("the menu cannot be read, menu clicks are not understood: %s", exc)
            menu_intents = {}
        router = Router(dialogue, menu_intents, store, engine, forget, hooks)
        codec = Codec(
            settings.token,
            settings.appid,
            settings.aes_keys,
            settings.replay_window,
            settings.max_body_bytes,
        )
        return cls(settings, codec, dedup, service, router, api, store, window, redis)

    async def close(self) -> None:
        await self.service.drain()
        await self.window.drain()
        await self.api.aclose()
        if self.redis is not None:
            await self.redis.close()


class WeChatInput(InputChannel):
    """Rasa input channel ``wechat``: ``/webhooks/wechat/webhook``."""

    def __init__(self, settings: WeChatSettings, hooks: ChannelHooks | None = None) -> None:
        self.settings = settings
        self.hooks = hooks
        self.runtime: Runtime | None = None

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Rasa builds channels from a credentials file; the settings come from the
        composition root instead (:class:`app.rasa_entry.WeChatChannel`)."""
        raise TypeError("build WeChatInput with its settings: app.rasa_entry.WeChatChannel")

    # ------------------------------------------------------------------ the turn

    def _dialogue(
        self, request_app: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Callable[[str, str, dict[str, Any]], Awaitable[list[str]]]:
        async def dialogue(openid: str, text: str, metadata: dict[str, Any]) -> list[str]:
            agent = getattr(request_app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                raise NotReady("the model is still loading")
            output = WeChatOutput()
            await on_new_message(
                UserMessage(text, output, openid, input_channel=self.name(), metadata=metadata)
            )
            return output.texts()

        return dialogue

    def _forget(self, app: Any) -> Callable[[str], Awaitable[None]]:
        async def forget(openid: str) -> None:
            agent = getattr(app.ctx, "agent", None)
            if agent is not None and agent.tracker_store is not None:
                await delete_conversation(agent.tracker_store, openid)

        return forget

    # ------------------------------------------------------------------ HTTP

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        bp = Blueprint("wechat_webhook", module.__name__ if module else None)

        @bp.listener("before_server_start")
        async def start(app: Any, loop: Any) -> None:
            self.runtime = Runtime.build(
                self.settings, self._dialogue(app, on_new_message), self._forget(app), self.hooks
            )
            await self.runtime.store.load_index()
            if self.settings.is_development:
                log.warning("WeChat channel uses the development token: set WECHAT_TOKEN")

        @bp.listener("before_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            if self.runtime is not None:
                await self.runtime.close()

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            loaded = bool(agent is not None and agent.is_ready())
            return response.json({"status": "ok", "model_loaded": loaded})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            assert self.runtime is not None
            try:
                echostr = self.runtime.codec.verify_url(PushParams.from_query(request.args))
            except Refused as exc:
                return response.text(exc.reason, status=exc.status)
            return response.text(echostr)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request)

        return bp

    async def receive(self, request: Request) -> HTTPResponse:
        runtime = self.runtime
        assert runtime is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + runtime.settings.passive_budget
        params = PushParams.from_query(request.args)
        try:
            inbound = runtime.codec.open(params, request.body or b"", time.time())
            key = message_key(inbound.message)
            turn = runtime.router.route(inbound.message)  # builds the turn, runs nothing
            # The nonce, the first delivery's record and the rate limit: one step.
            arrival = await runtime.service.gate.arrive(
                key,
                inbound.openid,
                turn=turn is not None,
                limited=turn is not None and turn.limited,
                nonce=params.nonce,
                nonce_ttl=2 * runtime.settings.replay_window,
            )
            if arrival.replayed:
                raise Refused(403, "nonce already used for another message")
        except Refused as exc:
            log.warning("push refused (%s): %s", exc.status, exc.reason)
            return response.text(exc.reason, status=exc.status)
        runtime.window.seen(inbound.message)  # 客服消息 may follow for 48 hours
        if turn is None:
            return response.text(SUCCESS)
        reply = await runtime.service.handle(key, inbound.openid, turn, deadline, arrival)
        if reply.text is None:
            return response.text(SUCCESS)
        xml = render_text(inbound.message, reply.text)
        body = runtime.codec.seal(xml, inbound, params.nonce or secrets.token_hex(8))
        return response.text(body, content_type="application/xml; charset=utf-8")
