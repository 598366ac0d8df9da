"""The channel's hooks into the domain, as ``banshi run`` wires them (app.channel_hooks):
a conversation a person holds never reaches the dialogue and is logged for staff; closing it
hands the citizen back to the assistant; unsubscribing erases their data in every feature."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy.engine import Engine

from app.channel_hooks import build_hooks
from app.services import build_handoff
from app.settings import Settings, load_wechat_settings
from banshi.calendar import seed_from_chinesecalendar
from banshi.db import session_scope
from banshi.handoff.service import HandoffService
from bot.wechat import texts
from tests.wechat.channel_server import ChannelServer, ScriptedAgent
from tests.wechat.conftest import run
from wechat_standin.driver import Account, PushDriver, event_xml, text_xml
from wechat_standin.server import BackgroundStandin

WHO = "o-handoff-citizen"
IN_HOURS = datetime(2026, 12, 8, 10, 0)  # a Tuesday, a working day, inside service hours


def script(openid: str, text: str) -> list[str]:
    return [f"答：{text}"]


@pytest.fixture
def people(engine: Engine, settings: Settings) -> HandoffService:
    with session_scope(engine) as session:
        seed_from_chinesecalendar(session, [2026])
    return build_handoff(settings, engine)


@pytest.fixture
def server(
    engine: Engine, settings: Settings, standin: BackgroundStandin
) -> Iterator[ChannelServer]:
    wechat = load_wechat_settings(
        {
            "WECHAT_API_BASE_URL": standin.api_base,
            "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
        }
    )
    hooks = build_hooks(settings, engine)
    srv = ChannelServer(replace(wechat, passive_budget=2.0), ScriptedAgent(script), hooks).start()
    yield srv
    srv.stop()


def say(server: ChannelServer, xml: str) -> str | None:
    async def go() -> str | None:
        s = server.settings
        driver = PushDriver(
            server.webhook, Account(s.token, s.appid, s.aes_key, "plain"), timeout=5
        )
        try:
            return (await driver.push(xml)).reply
        finally:
            await driver.aclose()

    return run(go())


def test_a_held_conversation_bypasses_the_dialogue_until_closed(
    server: ChannelServer, people: HandoffService
) -> None:
    messages, held = people.request(WHO, IN_HOURS)
    assert held, messages
    (waiting,) = people.list_waiting(IN_HOURS)
    people.take(waiting.id, "staff-1", IN_HOURS)

    assert say(server, text_xml(WHO, "我的低保材料交到哪个窗口")) is None  # silence
    assert server.agent.asked == []
    logged = [line.text for line in people.conversation(waiting.id)]
    assert "我的低保材料交到哪个窗口" in logged

    people.close(waiting.id, "staff-1", IN_HOURS)
    reply = say(server, text_xml(WHO, "谢谢")) or ""
    assert server.agent.asked == [(WHO, "谢谢")]  # the assistant is back
    # what WeChat did not deliver yet comes first: the handoff ended, and a 好差评 invitation
    ended, answer = reply.split("\n\n")
    assert "人工服务已结束" in ended and "非常满意" in ended and answer == "答：谢谢"


def test_unsubscribe_erases_the_handoff_log(
    server: ChannelServer, people: HandoffService, engine: Engine
) -> None:
    people.request(WHO, IN_HOURS)
    (waiting,) = people.list_waiting(IN_HOURS)
    people.take(waiting.id, "staff-1", IN_HOURS)
    say(server, text_xml(WHO, "我叫张三，电话13800138000"))
    assert people.conversation(waiting.id)
    say(server, event_xml(WHO, "unsubscribe"))
    assert not people.is_held(WHO)
    assert people.conversation(waiting.id) == []


def test_a_citizen_over_the_rate_limit_is_told_once_then_slowed(
    engine: Engine, settings: Settings, standin: BackgroundStandin
) -> None:
    wechat = load_wechat_settings(
        {
            "WECHAT_API_BASE_URL": standin.api_base,
            "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
        }
    )
    wechat = replace(wechat, passive_budget=2.0, rate_limit=2, rate_window=60.0)
    agent = ScriptedAgent(script)
    server = ChannelServer(wechat, agent, build_hooks(settings, engine)).start()
    try:
        replies = [say(server, text_xml("o-flood", f"第{n}条")) for n in range(1, 6)]
        assert replies[:2] == ["答：第1条", "答：第2条"]
        assert replies[2] == texts.RATE_LIMITED  # told once …
        assert replies[3:] == [None, None]  # … then dropped quietly (`success`)
        assert [text for _, text in agent.asked] == ["第1条", "第2条"]
        assert say(server, text_xml("o-other", "你好")) == "答：你好"  # others not starved
    finally:
        server.stop()
