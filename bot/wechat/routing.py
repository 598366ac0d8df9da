"""Which turn a push makes: the dialogue for what citizens write, local turns for the rest.

Text (and voice WeChat recognised) and menu CLICKs go to the dialogue (Rasa); a CLICK sends
``/<intent>``. Location finds the nearest hall; images and links are acknowledged and kept;
subscribe welcomes; unsubscribe forgets (every feature erases the citizen's personal data).
Messages owed to the citizen that no push delivered — notice changes, staff replies — go out
before the answer to their next message; while a person holds the conversation (转人工) the
dialogue does not run (:mod:`bot.wechat.hooks`). Events that need no answer (VIEW, LOCATION
reports, TEMPLATESENDJOBFINISH, …) make no turn at all and are acknowledged with ``success``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from wechatpy.messages import BaseMessage

from banshi.db import session_scope
from banshi.halls import NO_HALLS, hall_scene_text, nearest_hall_text
from banshi.owed import Due
from bot.wechat import texts
from bot.wechat.hooks import ChannelHooks
from bot.wechat.protocol import field
from bot.wechat.service import Turn
from bot.wechat.storage import CitizenStore

log = logging.getLogger(__name__)

# (openid, text, metadata) -> the assistant's messages
Dialogue = Callable[[str, str, dict[str, Any]], Awaitable[list[str]]]
Forget = Callable[[str], Awaitable[None]]

HALL_SCENE = "hall_"  # QR scene keys of hall posters: hall_<HALL_CODE>


def _fixed(text: str, limited: bool = True) -> Turn:
    async def run() -> list[str]:
        return [text]

    return Turn(run, limited=limited)


class Router:
    def __init__(
        self,
        dialogue: Dialogue,
        menu_intents: dict[str, str],
        store: CitizenStore,
        engine: Engine,
        forget: Forget,
        hooks: ChannelHooks | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.menu_intents = menu_intents
        self.store = store
        self.engine = engine
        self.forget = forget
        self.hooks = hooks or ChannelHooks()

    def route(self, message: BaseMessage) -> Turn | None:
        """The turn for ``message``; None when it is only acknowledged."""
        openid = field(message, "FromUserName")
        kind = field(message, "MsgType").lower()
        meta = {"wechat": {"msg_type": kind, "msg_id": field(message, "MsgId")}}
        if kind == "text":
            return self._talk(openid, field(message, "Content"), meta)
        if kind == "voice":
            recognition = field(message, "Recognition").strip()
            if recognition:
                return self._talk(openid, recognition, meta)
            return _fixed(texts.VOICE_PLEASE_TYPE)
        if kind == "location":
            return self._nearest_hall(field(message, "Location_X"), field(message, "Location_Y"))
        if kind == "image":
            fields = {"media_id": field(message, "MediaId"), "url": field(message, "PicUrl")}
            return self._keep(openid, "image", message, fields, texts.IMAGE_RECEIVED)
        if kind == "link":
            fields = {
                "url": field(message, "Url"),
                "title": field(message, "Title"),
                "description": field(message, "Description"),
            }
            return self._keep(openid, "link", message, fields, texts.LINK_RECEIVED)
        if kind == "event":
            return self._event(openid, field(message, "Event").lower(), message, meta)
        return _fixed(texts.UNSUPPORTED)  # video, shortvideo, file, …

    def _event(
        self, openid: str, event: str, message: BaseMessage, meta: dict[str, Any]
    ) -> Turn | None:
        key = field(message, "EventKey")
        if event in ("subscribe", "subscribe_scan"):
            scene = key.removeprefix("qrscene_") if event == "subscribe" else key
            return self._welcome(scene, texts.WELCOME)
        if event == "scan":
            return self._welcome(key, texts.SCANNED, only_scene=True)
        if event == "unsubscribe":
            return self._unsubscribe(openid)
        if event == "click":
            intent = self.menu_intents.get(key)
            if intent is None:
                return _fixed(texts.UNKNOWN_MENU)
            return self._talk(openid, f"/{intent}", meta)
        # VIEW, LOCATION (the periodic report: answering would nag), location_select (the
        # 位置 message that follows is answered), TEMPLATESENDJOBFINISH, …: `success`.
        return None

    # ------------------------------------------------------------------ turns

    def _talk(self, openid: str, text: str, meta: dict[str, Any]) -> Turn:
        async def run() -> list[str]:
            now = datetime.now()
            # One statement: held? anything owed? (usually neither)
            due = await asyncio.to_thread(self.hooks.due, openid, now)
            if due.held:
                held = await asyncio.to_thread(self.hooks.held, openid, text, now)
                if held is not None:  # a person holds the conversation: the bot stays silent
                    return held
            answer = await self.dialogue(openid, text, meta)
            if not due.owed:
                return answer
            # Taken only now, so a failed turn loses none; they come before the answer.
            owed = await self._owed(openid, due, now)
            return [*owed, *answer]

        return Turn(run)

    async def _owed(self, openid: str, due: Due, now: datetime) -> list[str]:
        """What no push delivered (notice changes, staff replies …); handed to the service,
        which keeps what WeChat refuses (45015) for the next message."""
        try:
            return await asyncio.to_thread(self.hooks.owed, openid, due, now)
        except Exception:  # rolled back: they stay pending, and the answer still goes out
            log.exception("could not take %s's owed messages", openid)
            return []

    def _nearest_hall(self, lat: str, lng: str) -> Turn:
        def lookup() -> str:
            with session_scope(self.engine) as session:
                return nearest_hall_text(session, float(lat), float(lng))

        async def run() -> list[str]:
            try:
                float(lat), float(lng)
            except ValueError:
                return [NO_HALLS]
            return [await asyncio.to_thread(lookup)]

        return Turn(run)

    def _keep(
        self, openid: str, kind: str, message: BaseMessage, fields: dict[str, str], ack: str
    ) -> Turn:
        async def run() -> list[str]:
            await self.store.keep_attachment(openid, kind, msg_id=field(message, "MsgId"), **fields)
            return [ack]

        return Turn(run)

    def _welcome(self, scene: str, greeting: str, only_scene: bool = False) -> Turn:
        def scene_text() -> str | None:
            if not scene.startswith(HALL_SCENE):
                return None
            with session_scope(self.engine) as session:
                return hall_scene_text(session, scene.removeprefix(HALL_SCENE))

        async def run() -> list[str]:
            extra = await asyncio.to_thread(scene_text) if scene else None
            if only_scene:
                return [extra or greeting]
            return [greeting, extra] if extra else [greeting]

        return Turn(run, limited=False)

    def _unsubscribe(self, openid: str) -> Turn:
        async def run() -> list[str]:
            await self.forget(openid)
            await asyncio.to_thread(self.hooks.forget, openid)
            return []  # they can no longer receive anything

        return Turn(run, with_pending=False, limited=False)
