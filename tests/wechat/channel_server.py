"""The WeChat channel served by Sanic in a background thread, in front of a scripted agent.

The channel's HTTP layer, exactly as Rasa mounts it, without loading a model: the agent
answers from a script and records what it was asked. End-to-end tests with the real model
use ``banshi run`` instead (test_e2e.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from banshi.links import Links
from bot.pages import PublicPagesInput
from bot.wechat.channel import WeChatInput
from bot.wechat.config import WeChatSettings
from bot.wechat.hooks import ChannelHooks

Script = Callable[[str, str], list[str] | float]  # (openid, text) -> answer


@dataclass
class ScriptedAgent:
    """Stands in for Rasa's Agent: answers by ``script`` and keeps a tracker per sender."""

    script: Callable[[str, str], Any]
    asked: list[tuple[str, str]] = field(default_factory=list)
    tracker_store: InMemoryTrackerStore = field(
        default_factory=lambda: InMemoryTrackerStore(Domain.empty())
    )

    def is_ready(self) -> bool:
        return True

    async def handle_message(self, message: UserMessage) -> None:
        self.asked.append((message.sender_id, message.text or ""))
        await self.tracker_store.save(DialogueStateTracker(message.sender_id, []))
        answer = self.script(message.sender_id, message.text or "")
        if asyncio.iscoroutine(answer):
            answer = await answer
        for text in answer:
            await message.output_channel.send_text_message(message.sender_id, text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChannelServer:
    def __init__(
        self, settings: WeChatSettings, agent: ScriptedAgent, hooks: ChannelHooks | None = None
    ) -> None:
        self.settings = settings
        self.agent = agent
        self.port = free_port()
        self.channel = WeChatInput(settings, hooks)
        self.links = Links("http://127.0.0.1:5005", b"channel-server-test-secret-0123456789")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/wechat/webhook"

    def start(self) -> ChannelServer:
        Sanic.test_mode = True
        app = Sanic(f"wechat_test_{uuid.uuid4().hex[:8]}")
        # Sanic 21.12 touches up its classes once per process unless in test mode.
        app.ctx.agent = self.agent

        async def handler(message: UserMessage) -> None:
            await app.ctx.agent.handle_message(message)

        app.blueprint(self.channel.blueprint(handler), url_prefix="/webhooks/wechat")
        pages = PublicPagesInput(self.settings.database_url, self.links)
        app.blueprint(pages.blueprint(handler))
        ready = threading.Event()

        async def serve() -> None:
            self._server = await app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True
            )
            assert self._server is not None
            await self._server.startup()
            await self._server.before_start()
            await self._server.after_start()
            ready.set()
            await self._server.serve_forever()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                self._loop.run_until_complete(serve())

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(20):
            raise RuntimeError("the channel server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def shutdown() -> None:
            await self._server.before_stop()
            self._server.close()
            await self._server.wait_closed()
            await self._server.after_stop()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        future = asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
        future.result(30)
        if self._thread:
            self._thread.join(10)
