"""A small driver for headless Chromium over the DevTools protocol (aiohttp's WebSocket
client), and the console served by uvicorn in a background thread: enough to sign in, fill
forms, click, and read the page a member of staff would see."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import aiohttp
import uvicorn
from starlette.applications import Starlette

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def serve_in_thread(app: Starlette) -> Iterator[str]:
    """The app on a free local port, for the duration of the block; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, ws="none", log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[str]:
    """A headless Chromium; yields its DevTools WebSocket URL."""
    assert CHROMIUM is not None
    # Chromium's helper processes may still write into the profile for a moment after the
    # browser exits: a leftover file must not fail the test that used it.
    with tempfile.TemporaryDirectory(
        prefix="console-chromium-", ignore_cleanup_errors=True
    ) as profile:
        process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stderr is not None
            url = ""
            deadline = time.monotonic() + 30
            while not url and time.monotonic() < deadline:
                line = process.stderr.readline()
                if not line and process.poll() is not None:
                    break
                found = re.search(r"DevTools listening on (ws://\S+)", line)
                url = found.group(1) if found else ""
            if not url:
                raise RuntimeError("Chromium did not start")
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


class Tab:
    """One page in a fresh browser context (its own cookies), driven over DevTools."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.waiters: dict[str, list[asyncio.Future[Any]]] = {}
        self.session = ""
        self.errors: list[str] = []  # JavaScript exceptions, CSP violations and the like
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.pending:
                future = self.pending.pop(data["id"])
                if "error" in data:
                    future.set_exception(RuntimeError(str(data["error"])))
                else:
                    future.set_result(data.get("result", {}))
                continue
            method = data.get("method", "")
            if method == "Runtime.exceptionThrown":
                self.errors.append(str(data["params"]["exceptionDetails"].get("text")))
            entry = data.get("params", {}).get("entry", {})
            # Network entries are statuses (a 403 page is expected); the rest are real errors.
            if (
                method == "Log.entryAdded"
                and entry["level"] == "error"
                and entry["source"] != "network"
            ):
                self.errors.append(f"{entry['source']}: {entry.get('text')}")
            for future in self.waiters.pop(method, []):
                if not future.done():
                    future.set_result(data.get("params", {}))

    async def send(
        self, method: str, params: dict[str, Any] | None = None, browser: bool = False
    ) -> Any:
        key = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        message: dict[str, Any] = {"id": key, "method": method, "params": params or {}}
        if not browser:
            message["sessionId"] = self.session
        await self.ws.send_str(json.dumps(message))
        return await asyncio.wait_for(future, 20)

    @asynccontextmanager
    async def loading(self) -> AsyncIterator[None]:
        """Wait, after the block, for the page the block made the browser load."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiters.setdefault("Page.loadEventFired", []).append(future)
        yield
        await asyncio.wait_for(future, 20)

    async def open(self, url: str) -> None:
        async with self.loading():
            await self.send("Page.navigate", {"url": url})

    async def js(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text"))
        return result["result"].get("value")

    async def submit(self, form_selector: str, **fields: str) -> None:
        """Fill a form's fields and press its submit button, as a person would."""
        script = (
            f"(() => {{ const f = document.querySelector({json.dumps(form_selector)});"
            f" const values = {json.dumps(fields)};"
            " for (const [k, v] of Object.entries(values)) f.elements[k].value = v;"
            " f.querySelector('button[type=submit]').click(); })()"
        )
        async with self.loading():
            await self.js(script)

    async def text(self, selector: str = "body") -> str:
        value = await self.js(
            f"(document.querySelector({json.dumps(selector)}) || {{innerText: ''}}).innerText"
        )
        return str(value)

    async def title(self) -> str:
        return str(await self.js("document.title"))

    async def phone(self) -> None:
        """A 375 px wide phone screen."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 375, "height": 740, "deviceScaleFactor": 2, "mobile": True},
        )

    async def overflows(self) -> bool:
        """Whether the page is wider than the screen (a sideways scroll on a phone)."""
        return bool(await self.js("document.documentElement.scrollWidth > window.innerWidth + 1"))


@asynccontextmanager
async def tab(devtools: str) -> AsyncIterator[Tab]:
    """A fresh page in a fresh browser context (no cookies shared with other tabs)."""
    async with aiohttp.ClientSession() as http, http.ws_connect(devtools, max_msg_size=0) as ws:
        page = Tab(ws)
        context = (await page.send("Target.createBrowserContext", browser=True))["browserContextId"]
        target = (
            await page.send(
                "Target.createTarget",
                {"url": "about:blank", "browserContextId": context},
                browser=True,
            )
        )["targetId"]
        page.session = (
            await page.send(
                "Target.attachToTarget", {"targetId": target, "flatten": True}, browser=True
            )
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            await page.send(f"{domain}.enable")
        try:
            yield page
        finally:
            await page.send(
                "Target.disposeBrowserContext", {"browserContextId": context}, browser=True
            )
            page.reader.cancel()
