"""Notices on the channel: the printable page at /notices/{number}, change messages delivered
before the answer to the citizen's next message, and unsubscribing unlinks the notices."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine

from banshi.catalog import get_item
from banshi.db import session_scope
from banshi.notices import changes_for_notices, get_notice, issue_notice, pending_changes
from banshi.settings import Settings
from bot.wechat.settings import load_wechat_settings
from tests.conftest import DELTA
from tests.wechat.channel_server import ChannelServer, ScriptedAgent
from tests.wechat.conftest import run
from wechat_standin.driver import Account, PushDriver, event_xml, text_xml
from wechat_standin.server import BackgroundStandin

HOUSE = "11139900MB1A00070G3000713002001"  # 存量房转移登记: the delta adds a material
WHO = "oChNotice".ljust(28, "0")
TODAY = date.today()


def script(openid: str, text: str) -> list[str]:
    return [f"答：{text}"]


@pytest.fixture
def server(catalog: Engine, standin: BackgroundStandin) -> Iterator[ChannelServer]:
    settings = load_wechat_settings(
        {
            "WECHAT_API_BASE_URL": standin.api_base,
            "DATABASE_URL": str(catalog.url.render_as_string(hide_password=False)),
        }
    )
    srv = ChannelServer(replace(settings, passive_budget=2.0), ScriptedAgent(script)).start()
    yield srv
    srv.stop()


def issue(engine: Engine, openid: str | None, day: date) -> str:
    with session_scope(engine) as session:
        item = get_item(session, HOUSE)
        assert item is not None
        return issue_notice(session, item, "带押过户", {}, openid, day).number


def push(server: ChannelServer, xml: str):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        s = server.settings
        d = PushDriver(server.webhook, Account(s.token, s.appid, s.aes_key, "plain"), timeout=5)
        try:
            return await d.push(xml)
        finally:
            await d.aclose()

    return run(go())


def test_the_page_is_served_by_number(server: ChannelServer, catalog: Engine) -> None:
    number = issue(catalog, WHO, TODAY)
    page = httpx.get(f"{server.base_url}/notices/{number}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert number in page.text and "存量房转移登记" in page.text
    assert httpx.get(f"{server.base_url}/notices/{number.lower()}").status_code == 200

    missing = httpx.get(f"{server.base_url}/notices/BS2026999999")
    assert missing.status_code == 404
    assert "未找到编号为 BS2026999999 的一次性告知单" in missing.text
    assert "<script" not in httpx.get(f"{server.base_url}/notices/<script>").text


def test_a_change_is_told_before_the_next_answer_once(
    server: ChannelServer, catalog: Engine, settings: Settings
) -> None:
    from catalog_sync.service import run_sync

    number = issue(catalog, WHO, TODAY - timedelta(days=10))
    report = run_sync(str(DELTA), catalog, settings)
    with session_scope(catalog) as session:
        assert [c.number for c in changes_for_notices(session, report.sync_id, TODAY)] == [number]

    first = push(server, text_xml(WHO, "你好"))
    assert first.ok, first.failure
    assert first.reply is not None
    told, answer = first.reply.split("\n\n", 1)
    assert number in told and "新增材料" in told
    assert answer == "答：你好"
    with session_scope(catalog) as session:
        assert pending_changes(session, WHO) == []

    assert push(server, text_xml(WHO, "谢谢")).reply == "答：谢谢"


def test_unsubscribing_unlinks_the_notices(server: ChannelServer, catalog: Engine) -> None:
    number = issue(catalog, WHO, TODAY)
    assert push(server, event_xml(WHO, "unsubscribe", key="")).reply is None
    with session_scope(catalog) as session:
        notice = get_notice(session, number)
        assert notice is not None and notice.openid is None  # staff can still look it up
