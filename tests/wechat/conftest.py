"""Fixtures of the WeChat tests: real Redis (db 15, a private key prefix per test), the
stand-in's API side in a background thread, and ``live``: the assistant end to end.

``live`` is ``banshi run`` with the trained model, driven only through signed pushes, one for
the whole session (loading the model takes about 40 s) and shared by test_e2e.py and
test_e2e_console.py: the Rasa server with the WeChat channel in two Sanic workers (as
``banshi run`` starts it on two cores with Redis), the action server (``app.slow_actions``:
the real actions, slowed past WeChat's 5 s for OpenIDs containing "slow"; through
:mod:`tests.wechat.e2e_actions`, which keeps 转人工 open at any hour), the staff console,
Redis db 15 for the tracker store, the locks and the de-duplication records, a SQLite catalog
of the demo data, and the stand-in's API side receiving every 客服消息. Retries and one
citizen's messages thus land on either worker. The official WXBizMsgCrypt sample account
(token, EncodingAESKey, app id) is the account, so plain, compatible and safe pushes all work.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import redis
from sqlalchemy import select

from app.run import free_port
from app.settings import PROJECT_ROOT, load_settings
from app.training import model_path
from banshi.db import make_engine, migrate, session_scope
from banshi.models import Item, Material
from tests.conftest import HALLS, ITEMS, REDIS_URL
from wechat_standin.api import StandinAPI
from wechat_standin.driver import Account, PushDriver, PushOutcome, text_xml
from wechat_standin.launcher import answer_ctrl_c
from wechat_standin.server import BackgroundStandin

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    """Run a coroutine to completion (the suite has no asyncio plugin)."""
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis key prefix of this test alone (db 15 is shared with other suites)."""
    import redis

    value = f"wechat-test-{uuid.uuid4().hex[:10]}"
    yield value
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{value}:*", count=1000))
        if keys:
            client.delete(*keys)
    except redis.ConnectionError:
        pass
    finally:
        client.close()


@pytest.fixture
def standin() -> Iterator[BackgroundStandin]:
    server = BackgroundStandin(StandinAPI()).start()
    yield server
    server.stop()


# ---------------------------------------------------------------- the assistant end to end

TOKEN = "spamtest"  # WXBizMsgCrypt's sample account
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx2c2769f8efd9abc2"
SECRET = "banshi-e2e-secret"
SLOW_SECONDS = 6.0
LONG_ITEM = "存量房转移登记（二手房买卖）"
WORKERS = 2
LONG_QUESTION = "二手房过户要带什么材料"
E2E_ACTIONS = "tests.wechat.e2e_actions"  # app.slow_actions, 转人工 answered at any hour


@dataclass
class Live:
    webhook: str
    standin: BackgroundStandin
    redis: redis.Redis
    tag: str
    database_url: str
    pid: int  # banshi run's
    console_port: int = 0

    def openid(self, name: str, slow: bool = False) -> str:
        return f"o{self.tag}{'slow' if slow else 'q'}{name}".ljust(28, "0")[:28]

    def push(self, xml: str, mode: str = "plain", **kwargs: object) -> PushOutcome:
        async def go() -> PushOutcome:
            driver = PushDriver(self.webhook, Account(TOKEN, APPID, AES_KEY, mode))
            try:
                return await driver.push(xml, **kwargs)  # type: ignore[arg-type]
            finally:
                await driver.aclose()

        return asyncio.run(go())

    def user_turns(self, openid: str) -> int:
        stored = self.redis.get(f"banshi:tracker:{openid}")
        if not stored:
            return 0
        return sum(1 for e in json.loads(stored)["events"] if e.get("event") == "user")

    def delivered(self, openid: str, count: int = 1, timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts_sent = self.standin.api.delivered(openid)
            if len(texts_sent) >= count:
                return texts_sent
            time.sleep(0.1)
        return self.standin.api.delivered(openid)

    def talk(self, who: str, text: str) -> str:
        """One message and everything the assistant said back (passive reply + 客服消息)."""
        before = len(self.standin.api.delivered(who))
        outcome = self.push(text_xml(who, text))
        assert outcome.ok, outcome.failure
        time.sleep(0.5)  # the 客服消息 parts follow the passive reply
        later = self.standin.api.delivered(who)[before:]
        return "\n\n".join([outcome.reply or "", *later])

    def converse(self, who: str, first: str, answer: Callable[[str], str | None]) -> str:
        """Talk until ``answer`` has nothing more to say (at most 14 turns); the last reply."""
        reply = self.talk(who, first)
        for _ in range(14):
            said = answer(reply)
            if said is None:
                return reply
            reply = self.talk(who, said)
        raise AssertionError(f"the conversation did not end: {reply}")


COMPLAINT_NUMBER = re.compile(r"GD\d{10,}")


def answer_complaint_desk(reply: str) -> str | None:
    """A citizen filing a complaint: confirms, no photos, no call-back; done at the number."""
    if COMPLAINT_NUMBER.search(reply):
        return None
    if "确认" in reply:
        return "确认"
    if "照片" in reply or "图片" in reply:
        return "没有"
    if "回电" in reply or "电话" in reply:
        return "不用"
    raise AssertionError(f"unexpected turn: {reply}")


def _catalog(database_url: str, var_dir: Path) -> None:
    """The demo catalog, with one item's materials made long enough to need splitting."""
    from catalog_sync.service import run_sync

    engine = make_engine(database_url)
    migrate(engine)
    settings = replace(load_settings({}), database_url=database_url, var_dir=var_dir)
    run_sync(str(ITEMS), engine, settings)
    run_sync(str(HALLS), engine, settings)
    with session_scope(engine) as session:
        item = session.execute(select(Item).where(Item.name == LONG_ITEM)).scalar_one()
        start = len(item.materials)
        for i in range(40):
            item.materials.append(
                Material(
                    position=start + i + 1,
                    name=f"补充证明材料第{i + 1}项（由不动产登记窗口根据实际情况一次性告知）",
                    material_type="原件",
                    need="必要",
                )
            )
    engine.dispose()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    model = model_path()
    if not model.exists():
        pytest.skip(f"no trained model at {model}: run `banshi train` first")
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    tmp = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{tmp / 'banshi.db'}"
    _catalog(database_url, tmp / "var")
    standin = BackgroundStandin(StandinAPI(appid=APPID, secret=SECRET)).start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "BANSHI_VAR_DIR": str(tmp / "var"),
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_APPSECRET": SECRET,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_API_BASE_URL": standin.api_base,
        "BANSHI_SLOW_ACTION_SECONDS": str(SLOW_SECONDS),
    }
    console_port = free_port()
    command = [sys.executable, "-m", "app.cli", "run", "--port", str(port)]
    command += ["--console-port", str(console_port)]
    command += ["--actions", E2E_ACTIONS, "--workers", str(WORKERS)]
    log = (tmp / "banshi-run.out").open("wb")
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=answer_ctrl_c,  # it must stop on Ctrl-C, whatever this process ignores
    )
    webhook = f"http://127.0.0.1:{port}/webhooks/wechat/webhook"
    tag = uuid.uuid4().hex[:6]  # in every OpenID of this session, to clean Redis up after
    deadline = time.monotonic() + 600
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"banshi run exited: {(tmp / 'banshi-run.out').read_text()}")
            if "已就绪" in (tmp / "banshi-run.out").read_text(errors="replace"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("banshi run did not get ready in 10 minutes")
            time.sleep(1)
        yield Live(webhook, standin, client, tag, database_url, process.pid, console_port)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        standin.stop()
        for pattern in (f"*{tag}*", f"wechat:access_token:{APPID}*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                client.delete(*keys)
        client.close()
    # Ctrl-C stopped both servers: nothing listens on the port any more.
    with pytest.raises(httpx.ConnectError):
        httpx.get(webhook, timeout=2)
