"""The channel over HTTP, as Rasa mounts it, driven by signed pushes from the stand-in's
driver; the dialogue is scripted (the model-backed end-to-end tests are in test_e2e.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from app.settings import load_wechat_settings
from banshi.text import split_message
from bot.wechat import texts
from bot.wechat.models import Attachment, PendingAnswer
from bot.wechat.protocol import sign
from tests.wechat.channel_server import ChannelServer, ScriptedAgent
from tests.wechat.conftest import run
from wechat_standin.driver import (
    Account,
    PushDriver,
    event_xml,
    image_xml,
    link_xml,
    location_xml,
    signed_query,
    text_xml,
    voice_xml,
)
from wechat_standin.server import BackgroundStandin

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
LONG = "\n".join(
    f"{i}. 不动产权属证书原件及复印件，由窗口工作人员核验后退还原件。" for i in range(90)
)


def script(openid: str, text: str):  # type: ignore[no-untyped-def]
    async def slow() -> list[str]:
        await asyncio.sleep(1.0)
        return [f"慢答：{text}"]

    if text.startswith("慢"):
        return slow()
    if text.startswith("长"):
        return [LONG]
    return [f"答：{text}"]


@pytest.fixture(params=["plain", "safe"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(catalog: Engine, standin: BackgroundStandin, mode: str) -> Iterator[ChannelServer]:
    settings = load_wechat_settings(
        {
            "WECHAT_API_BASE_URL": standin.api_base,
            "DATABASE_URL": str(catalog.url.render_as_string(hide_password=False)),
            **({"WECHAT_AES_KEY": AES_KEY} if mode != "plain" else {}),
        }
    )
    settings = replace(settings, passive_budget=0.5)
    srv = ChannelServer(settings, ScriptedAgent(script)).start()
    yield srv
    srv.stop()


def driver(server: ChannelServer, mode: str, timeout: float = 5.0) -> PushDriver:
    s = server.settings
    return PushDriver(server.webhook, Account(s.token, s.appid, s.aes_key, mode), timeout=timeout)


def push(server: ChannelServer, mode: str, xml: str, **kwargs: object):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        d = driver(server, mode)
        try:
            return await d.push(xml, **kwargs)  # type: ignore[arg-type]
        finally:
            await d.aclose()

    return run(go())


def openid(tag: str) -> str:
    return f"oCh{tag}".ljust(28, "0")


# ---------------------------------------------------------------- protocol at the door


def test_url_verification(server: ChannelServer) -> None:
    query = signed_query(server.settings.token)
    ok = httpx.get(server.webhook, params={**query, "echostr": "8273645"})
    assert (ok.status_code, ok.text) == (200, "8273645")
    bad = httpx.get(server.webhook, params={**signed_query("wrong"), "echostr": "8273645"})
    assert bad.status_code == 403 and "8273645" not in bad.text


def test_text_is_answered_passively(server: ChannelServer, mode: str) -> None:
    outcome = push(server, mode, text_xml(openid("a"), "身份证丢了怎么补办"))
    assert outcome.ok, outcome.failure
    assert outcome.reply == "答：身份证丢了怎么补办"
    assert server.agent.asked == [(openid("a"), "身份证丢了怎么补办")]
    if mode == "safe":
        assert "<Encrypt>" in outcome.deliveries[0].body


def test_a_wrong_signature_is_refused_and_nothing_runs(server: ChannelServer, mode: str) -> None:
    query = signed_query(server.settings.token)
    query["signature"] = sign("attacker", query["timestamp"], query["nonce"])
    response = httpx.post(server.webhook, params=query, content=text_xml(openid("b"), "x").encode())
    assert response.status_code == 403
    assert server.agent.asked == []


def test_a_replayed_old_push_is_refused(server: ChannelServer) -> None:
    old = str(int(time.time()) - 3600)
    query = signed_query(server.settings.token, timestamp=old)
    response = httpx.post(server.webhook, params=query, content=text_xml(openid("c"), "x").encode())
    assert response.status_code == 403
    assert server.agent.asked == []


def test_a_nonce_reused_for_another_message_is_refused(server: ChannelServer) -> None:
    query = signed_query(server.settings.token)
    first = text_xml(openid("d"), "第一条", msg_id=101).encode()
    assert httpx.post(server.webhook, params=query, content=first).status_code == 200
    # WeChat's retry of the same message with the same nonce is not a replay:
    assert httpx.post(server.webhook, params=query, content=first).status_code == 200
    other = text_xml(openid("d"), "伪造的另一条", msg_id=102).encode()
    assert httpx.post(server.webhook, params=query, content=other).status_code == 403
    assert server.agent.asked == [(openid("d"), "第一条")]


def test_entities_and_oversized_bodies_are_refused(server: ChannelServer) -> None:
    query = signed_query(server.settings.token)
    bomb = '<!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + text_xml(
        openid("e"), "&b;"
    )
    assert httpx.post(server.webhook, params=query, content=bomb.encode()).status_code == 400
    huge = text_xml(openid("e"), "大" * 40000)
    query = signed_query(server.settings.token)
    assert httpx.post(server.webhook, params=query, content=huge.encode()).status_code == 413
    assert server.agent.asked == []


# ---------------------------------------------------------------- WeChat's rules


def test_three_deliveries_one_turn(server: ChannelServer, mode: str) -> None:
    outcome = push(server, mode, text_xml(openid("f"), "营业执照要带什么"), repeat=3, gap=0.05)
    assert outcome.ok and outcome.reply == "答：营业执照要带什么"
    assert len(outcome.deliveries) == 3
    assert len(server.agent.asked) == 1


def test_a_slow_answer_comes_as_a_customer_service_message(
    server: ChannelServer, standin: BackgroundStandin, mode: str
) -> None:
    who = openid("g")
    outcome = push(server, mode, text_xml(who, "慢一点的问题"))
    assert outcome.ok and outcome.reply is None  # `success` within the budget
    assert outcome.latency is not None and outcome.latency < 1.0
    deadline = time.monotonic() + 5
    while not standin.api.delivered(who) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert standin.api.delivered(who) == ["慢答：慢一点的问题"]


def test_a_45015_answer_arrives_with_the_next_message(
    server: ChannelServer, standin: BackgroundStandin, catalog: Engine, mode: str
) -> None:
    who = openid("h")
    standin.api.fail("message/custom/send", 45015)
    assert push(server, mode, text_xml(who, "慢慢问")).reply is None
    deadline = time.monotonic() + 5
    while not standin.api.received("message/custom/send", who) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    with catalog.connect() as conn:
        kept = conn.execute(select(func.count()).select_from(PendingAnswer)).scalar_one()
    assert kept == 1
    outcome = push(server, mode, text_xml(who, "你好"))
    assert outcome.reply == f"{texts.PENDING_PREFIX}慢答：慢慢问\n\n答：你好"
    with catalog.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PendingAnswer)).scalar_one() == 0


def test_a_long_answer_is_split(
    server: ChannelServer, standin: BackgroundStandin, mode: str
) -> None:
    who = openid("i")
    parts = split_message(LONG)
    outcome = push(server, mode, text_xml(who, "长的答复"))
    assert outcome.ok and outcome.reply == parts[0]
    deadline = time.monotonic() + 5
    while len(standin.api.delivered(who)) < len(parts) - 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert standin.api.delivered(who) == parts[1:]


# ---------------------------------------------------------------- message types and events


def test_voice_with_and_without_recognition(server: ChannelServer, mode: str) -> None:
    who = openid("j")
    assert push(server, mode, voice_xml(who, "结婚登记要带什么")).reply == "答：结婚登记要带什么"
    assert push(server, mode, voice_xml(who, "")).reply == texts.VOICE_PLEASE_TYPE
    assert server.agent.asked == [(who, "结婚登记要带什么")]


def test_images_and_links_are_acknowledged_and_kept(
    server: ChannelServer, catalog: Engine, mode: str
) -> None:
    who = openid("k")
    assert push(server, mode, image_xml(who)).reply == texts.IMAGE_RECEIVED
    assert (
        push(server, mode, link_xml(who, "办事指南", "https://example.org/x")).reply
        == texts.LINK_RECEIVED
    )
    with catalog.connect() as conn:
        kinds = conn.execute(select(Attachment.kind).where(Attachment.openid == who)).scalars()
        assert sorted(kinds) == ["image", "link"]
    assert server.agent.asked == []


def test_location_finds_the_nearest_hall(server: ChannelServer, mode: str) -> None:
    reply = push(server, mode, location_xml(openid("l"), 38.058, 114.521, "出入境附近")).reply
    assert reply is not None
    assert reply.startswith("离您最近的政务服务大厅是：示范市公安局出入境接待大厅")
    assert "开放时间：" in reply


def test_subscribe_welcomes_and_hall_scenes(server: ChannelServer, mode: str) -> None:
    who = openid("m")
    assert push(server, mode, event_xml(who, "subscribe", key="")).reply == texts.WELCOME
    scene = push(server, mode, event_xml(openid("n"), "subscribe", key="qrscene_hall_H139900001"))
    assert scene.reply is not None
    assert scene.reply.startswith(texts.WELCOME) and "欢迎来到示范市政务服务中心" in scene.reply
    scan = push(server, mode, event_xml(who, "SCAN", key="hall_H139900001", Ticket="t"))
    assert scan.reply is not None and scan.reply.startswith("欢迎来到示范市政务服务中心")


def test_menu_clicks_send_intents(server: ChannelServer, mode: str) -> None:
    who = openid("o")
    assert (
        push(server, mode, event_xml(who, "CLICK", key="ASK_CAPABILITIES")).reply
        == "答：/ask_capabilities"
    )
    assert (
        push(server, mode, event_xml(who, "CLICK", key="NO_SUCH_KEY")).reply == texts.UNKNOWN_MENU
    )
    assert server.agent.asked == [(who, "/ask_capabilities")]


@pytest.mark.parametrize(
    "event,extra",
    [
        ("VIEW", {"key": "https://gjzwfw.www.gov.cn/"}),
        ("LOCATION", {"Latitude": 38.04, "Longitude": 114.48, "Precision": 65.0}),
        ("TEMPLATESENDJOBFINISH", {"MsgID": 200163836, "Status": "success"}),
        ("location_select", {"key": "NEARBY_HALL"}),
    ],
)
def test_events_acknowledged_with_success(
    server: ChannelServer, mode: str, event: str, extra: dict[str, object]
) -> None:
    outcome = push(server, mode, event_xml(openid("p"), event, **extra))  # type: ignore[arg-type]
    assert outcome.ok and outcome.reply is None
    assert outcome.deliveries[0].body == "success"
    assert server.agent.asked == []


def test_unsubscribe_deletes_the_conversation_and_personal_data(
    server: ChannelServer, standin: BackgroundStandin, catalog: Engine, mode: str
) -> None:
    who, other = openid("q"), openid("r")
    push(server, mode, text_xml(who, "你好"))
    push(server, mode, text_xml(other, "你好"))
    push(server, mode, image_xml(who))
    store = server.agent.tracker_store
    assert set(store.store) == {who, other}
    assert push(server, mode, event_xml(who, "unsubscribe", key="")).reply is None
    assert set(store.store) == {other}
    with catalog.connect() as conn:
        rows = conn.execute(
            select(func.count()).select_from(Attachment).where(Attachment.openid == who)
        )
        assert rows.scalar_one() == 0
    assert standin.api.delivered(who) == []


def test_health_reports_the_model(server: ChannelServer) -> None:
    health = httpx.get(server.webhook.removesuffix("webhook")).json()
    assert health == {"status": "ok", "model_loaded": True}
