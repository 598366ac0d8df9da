"""Serving the stand-in: in the foreground (``python -m wechat_standin``) or in a background
thread with its own event loop (tests and the bench)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from wechat_standin.api import StandinAPI


def build_app(
    api: StandinAPI, extra: Callable[[web.Application], None] | None = None
) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.add_routes(api.routes())
    if extra is not None:
        extra(app)
    return app


@dataclass
class BackgroundStandin:
    """The stand-in on ``127.0.0.1:port`` (0: any free port) in a thread of its own."""

    api: StandinAPI = field(default_factory=StandinAPI)
    port: int = 0
    extra: Callable[[web.Application], None] | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_base(self) -> str:
        return f"{self.url}cgi-bin/"

    def start(self) -> BackgroundStandin:
        started = threading.Event()
        failure: list[BaseException] = []

        async def serve() -> None:
            self._runner = web.AppRunner(build_app(self.api, self.extra), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            await site.start()
            self.port = self._runner.addresses[0][1]

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(serve())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                failure.append(exc)
                started.set()
                return
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="wechat-standin", daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None
