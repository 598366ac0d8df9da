"""End to end: ``banshi run`` with the trained model, driven only through signed pushes.

One assistant for the whole session (loading the model takes about 40 s): the Rasa server
with the WeChat channel and the action server (``wechat_standin.slow_actions``: the real
actions, slowed past WeChat's 5 s for OpenIDs containing "slow"), Redis db 15 for the tracker
store, the locks and the de-duplication records, a SQLite catalog of the demo data, and the
stand-in's API side receiving every 客服消息. The official WXBizMsgCrypt sample account
(token, EncodingAESKey, app id) is the account, so plain, compatible and safe pushes all work.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import func, select

from banshi.answers import split_message
from banshi.db import make_engine, migrate, session_scope
from banshi.models import Item, Material
from banshi.settings import PROJECT_ROOT, load_settings
from banshi.training import model_path
from bot.action_server import free_port
from bot.wechat import texts
from bot.wechat.protocol import sign
from tests.conftest import HALLS, ITEMS, REDIS_URL
from wechat_standin.api import StandinAPI
from wechat_standin.driver import (
    Account,
    PushDriver,
    PushOutcome,
    event_xml,
    location_xml,
    signed_query,
    text_xml,
)
from wechat_standin.server import BackgroundStandin

pytestmark = [pytest.mark.model, pytest.mark.redis]

TOKEN = "spamtest"  # WXBizMsgCrypt's sample account
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx2c2769f8efd9abc2"
SECRET = "banshi-e2e-secret"
SLOW_SECONDS = 6.0
LONG_ITEM = "存量房转移登记（二手房买卖）"
LONG_QUESTION = "二手房过户要带什么材料"


@dataclass
class Live:
    webhook: str
    standin: BackgroundStandin
    redis: redis.Redis
    tag: str
    database_url: str

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


def _cli() -> str:
    """``banshi run`` once banshi's command line has the command, else the channel's own."""
    from banshi.cli import build_parser

    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(["run", "--help"])
    except SystemExit as exc:
        return "banshi.cli" if exc.code == 0 else "bot.wechat.cli"
    return "bot.wechat.cli"


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
    command = [sys.executable, "-m", _cli(), "run", "--port", str(port)]
    command += ["--actions", "wechat_standin.slow_actions"]
    log = (tmp / "banshi-run.out").open("wb")
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
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
        yield Live(webhook, standin, client, tag, database_url)
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


@pytest.fixture(autouse=True)
def _reset_faults(live: Live) -> None:
    live.standin.api.faults.clear()


# ---------------------------------------------------------------- modes and refusals


def test_plain_push_gets_the_dialogue_answer(live: Live) -> None:
    who = live.openid("plain")
    outcome = live.push(text_xml(who, "你好"))
    assert outcome.ok, outcome.failure
    assert outcome.reply is not None and "办事助手" in outcome.reply
    assert outcome.latency is not None and outcome.latency < 1.0
    assert live.user_turns(who) == 1


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_encrypted_push_gets_an_encrypted_answer(live: Live, mode: str) -> None:
    who = live.openid(mode)
    outcome = live.push(text_xml(who, "护照办理收费吗"), mode=mode)
    assert outcome.ok, outcome.failure  # the driver decrypted and checked the reply
    assert "<Encrypt>" in outcome.deliveries[0].body
    assert outcome.reply is not None and "护照" in outcome.reply


def test_a_wrong_signature_is_refused_and_nothing_is_processed(live: Live) -> None:
    who = live.openid("forged")
    query = signed_query(TOKEN)
    query["signature"] = sign("not-the-token", query["timestamp"], query["nonce"])
    response = httpx.post(live.webhook, params=query, content=text_xml(who, "你好").encode())
    assert response.status_code == 403
    assert live.user_turns(who) == 0


def test_replays_are_refused(live: Live) -> None:
    who = live.openid("replay")
    old = signed_query(TOKEN, timestamp=str(int(time.time()) - 3600))
    late = httpx.post(live.webhook, params=old, content=text_xml(who, "你好").encode())
    assert late.status_code == 403
    query = signed_query(TOKEN)
    first = httpx.post(live.webhook, params=query, content=text_xml(who, "你好").encode())
    assert first.status_code == 200
    forged = httpx.post(live.webhook, params=query, content=text_xml(who, "谢谢").encode())
    assert forged.status_code == 403
    assert live.user_turns(who) == 1


# ---------------------------------------------------------------- WeChat's rules


def test_three_deliveries_make_one_dialogue_turn(live: Live) -> None:
    who = live.openid("retry")
    outcome = live.push(text_xml(who, "护照办理收费吗"), repeat=3, gap=0.1)
    assert outcome.ok and len(outcome.deliveries) == 3
    assert all(d.status == 200 for d in outcome.deliveries)
    assert live.user_turns(who) == 1


def test_a_slow_answer_is_delivered_by_customer_service_message(live: Live) -> None:
    who = live.openid("cs", slow=True)
    outcome = live.push(text_xml(who, "护照办理收费吗"))
    assert outcome.ok and outcome.reply is None  # `success`, in time
    assert outcome.latency is not None and outcome.latency < 5.0
    assert len(outcome.deliveries) == 1  # so WeChat never retried
    delivered = live.delivered(who)
    assert len(delivered) == 1 and "护照" in delivered[0]
    assert live.user_turns(who) == 1


def test_a_45015_answer_is_delivered_on_the_next_message(live: Live) -> None:
    who = live.openid("45015", slow=True)
    live.standin.api.fail("message/custom/send", 45015)
    assert live.push(text_xml(who, "护照办理收费吗")).reply is None
    deadline = time.monotonic() + 20
    while not live.standin.api.received("message/custom/send", who) and time.monotonic() < deadline:
        time.sleep(0.2)
    [refused] = live.standin.api.received("message/custom/send", who)
    assert refused.errcode == 45015
    engine = make_engine(live.database_url)
    from bot.wechat.models import PendingAnswer

    time.sleep(0.5)
    with engine.connect() as conn:
        kept = conn.execute(
            select(func.count()).select_from(PendingAnswer).where(PendingAnswer.openid == who)
        ).scalar_one()
    assert kept == 1
    outcome = live.push(text_xml(who, "谢谢"))
    assert outcome.reply is not None
    assert outcome.reply.startswith(texts.PENDING_PREFIX)
    assert refused.text in outcome.reply
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(PendingAnswer).where(PendingAnswer.openid == who)
            ).scalar_one()
            == 0
        )
    engine.dispose()


def test_a_long_answer_is_split(live: Live) -> None:
    who = live.openid("long")
    outcome = live.push(text_xml(who, LONG_QUESTION))
    assert outcome.ok and outcome.reply is not None
    assert len(outcome.reply.encode()) <= 2000
    rest = live.delivered(who, count=2)  # 3 texts: the passive reply and 2 客服消息
    time.sleep(0.5)
    assert rest == live.standin.api.delivered(who), "no more than the answer"
    assert all(len(part.encode()) <= 2000 for part in rest)
    whole = "\n".join([outcome.reply, *rest])
    assert "补充证明材料第1项" in whole and "补充证明材料第40项" in whole
    assert len(split_message(whole)) >= 2


# ---------------------------------------------------------------- events and other types


def test_subscribe_menu_click_and_location(live: Live) -> None:
    who = live.openid("events")
    assert live.push(event_xml(who, "subscribe", key="")).reply == texts.WELCOME
    scene = live.push(event_xml(who, "subscribe", key="qrscene_hall_H139900001")).reply
    assert scene is not None and "欢迎来到示范市政务服务中心" in scene
    click = live.push(event_xml(who, "CLICK", key="REQUEST_HUMAN"), mode="safe")
    assert click.ok and click.reply is not None and "12345" in click.reply
    hall = live.push(location_xml(who, 38.018, 114.531, "不动产登记中心附近")).reply
    assert hall is not None and "示范市不动产登记中心" in hall and "开放时间" in hall
    for event, extra in (
        ("VIEW", {"key": "https://gjzwfw.www.gov.cn/"}),
        ("LOCATION", {"Latitude": 38.04, "Longitude": 114.48, "Precision": 30.0}),
        ("TEMPLATESENDJOBFINISH", {"MsgID": 1, "Status": "success"}),
    ):
        outcome = live.push(event_xml(who, event, **extra))
        assert outcome.ok and outcome.reply is None and outcome.deliveries[0].body == "success"


def test_unsubscribe_deletes_the_conversation_and_personal_data(live: Live) -> None:
    who = live.openid("bye")
    live.push(text_xml(who, "你好"))
    assert live.redis.exists(f"banshi:tracker:{who}")
    assert list(live.redis.scan_iter(match=f"wechat:msg:{who}:*"))
    outcome = live.push(event_xml(who, "unsubscribe", key=""))
    assert outcome.ok and outcome.reply is None
    assert not live.redis.exists(f"banshi:tracker:{who}")
    assert not list(live.redis.scan_iter(match=f"wechat:msg:{who}:*"))


# ---------------------------------------------------------------- 一次性告知单


def test_a_notice_in_chat_and_its_page_on_the_assistant(live: Live) -> None:
    who = live.openid("notice")

    def answer(text: str) -> str:
        outcome = live.push(text_xml(who, text))
        assert outcome.ok, outcome.failure
        return outcome.reply or "\n\n".join(live.delivered(who))

    assert "1. 一孩生育登记" in answer("给我开个生育登记的一次性告知单")
    assert "委托他人代办" in answer("1")
    first = answer("不是")  # the notice's first part; the rest follows as 客服消息
    notice = "\n".join([first, *live.delivered(who)])
    assert "编号：BS" in first
    base = live.webhook.removesuffix("/webhooks/wechat/webhook")
    link = next(line for line in notice.splitlines() if "/notices/" in line)
    url = link[link.index("http") :]
    assert url.startswith(f"{base}/notices/BS")  # BANSHI_PUBLIC_URL defaults to banshi run's
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "生育登记" in page.text
    missing = httpx.get(f"{base}/notices/BS2026999999", timeout=10)
    assert missing.status_code == 404 and "未找到" in missing.text
