"""Notices on the channel: the printable page at /notices/{number}; change messages pushed as
客服消息 while the citizen's 48-hour window is open, otherwise delivered before the answer to
their next message, never twice; the window recorded from pushes; unsubscribing unlinks the
notices and forgets the window."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy.engine import Engine

from app.channel_hooks import build_hooks
from app.cli import main as banshi_main
from app.settings import Settings, load_wechat_settings
from banshi.catalog import get_item
from banshi.db import session_scope
from banshi.links import Links
from banshi.notices import changes_for_notices, get_notice, issue_notice, pending_changes
from bot.wechat.api import WeChatAPI
from bot.wechat.push import PushResult, push_notice_changes
from bot.wechat.storage import last_seen, record_contact
from tests.conftest import DELTA
from tests.wechat.channel_server import ChannelServer, ScriptedAgent
from tests.wechat.conftest import run
from wechat_standin.driver import Account, PushDriver, event_xml, text_xml
from wechat_standin.server import BackgroundStandin

HOUSE = "11139900MB1A00070G3000713002001"  # 存量房转移登记: the delta adds a material
WHO = "oChNotice".ljust(28, "0")
OTHER = "oChOther".ljust(28, "0")
TODAY = date.today()
SEND = "message/custom/send"
T = TypeVar("T")

LINKS = Links("http://127.0.0.1:5005", b"notice-channel-test-secret-000000")


def script(openid: str, text: str) -> list[str]:
    return [f"答：{text}"]


@pytest.fixture
def server(
    catalog: Engine, standin: BackgroundStandin, settings: Settings
) -> Iterator[ChannelServer]:
    app_settings = settings
    wechat = load_wechat_settings(
        {
            "WECHAT_API_BASE_URL": standin.api_base,
            "DATABASE_URL": str(catalog.url.render_as_string(hide_password=False)),
        }
    )
    hooks = build_hooks(replace(app_settings, public_url="http://127.0.0.1:5005"), catalog)
    srv = ChannelServer(replace(wechat, passive_budget=2.0), ScriptedAgent(script), hooks)
    srv.start()
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


def opened(server: ChannelServer, number: str, token: str | None = None) -> httpx.Response:
    query = {} if token is None else {"t": token}
    return httpx.get(f"{server.base_url}/notices/{number}", params=query)


def test_a_link_is_a_capability(server: ChannelServer, catalog: Engine) -> None:
    number = issue(catalog, WHO, TODAY)
    url = server.links.notice(number)
    token = url.split("?t=", 1)[1]
    page = opened(server, number, token)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert number in page.text and "存量房转移登记" in page.text
    assert page.headers["x-robots-tag"].startswith("noindex")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "http" not in page.headers["content-security-policy"]  # nothing from elsewhere
    assert 'content="noindex' in page.text
    assert opened(server, number.lower(), token).status_code == 200

    # Walking the serial numbers without a token, or with a token moved to another number:
    # the same 404 as a number that does not exist, and nothing of the citizen's case.
    served = issue(catalog, "someone-else", TODAY)
    refused = [opened(server, f"BS2026{n:06d}") for n in range(1, 26)]
    refused += [opened(server, served, token), opened(server, number, token[:-1] + "A")]
    refused += [opened(server, "BS2026999999", token)]
    assert {r.status_code for r in refused} == {404}
    assert len({r.text for r in refused}) == 1
    assert not any("存量房" in r.text for r in refused)
    assert "<script" not in opened(server, "<script>").text


def test_a_client_walking_numbers_is_slowed(server: ChannelServer) -> None:
    codes = [opened(server, f"BS2026{n:06d}").status_code for n in range(1, 41)]
    assert codes[:30] == [404] * 30 and set(codes[30:]) == {429}


def test_a_change_is_told_before_the_next_answer_once(
    server: ChannelServer, catalog: Engine, settings: Settings
) -> None:
    from catalog_sync.service import run_sync

    number = issue(catalog, WHO, TODAY - timedelta(days=10))
    report = run_sync(str(DELTA), catalog, settings)
    with session_scope(catalog) as session:
        assert [
            c.number for c in changes_for_notices(session, report.sync_id, TODAY, links=LINKS)
        ] == [number]

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


# ---------------------------------------------------------------------- pushes after a sync


def seen(engine: Engine, openid: str, ago: timedelta) -> None:
    """The citizen last opened their 客服消息 window ``ago``."""
    with session_scope(engine) as session:
        record_contact(session, openid, datetime.utcnow() - ago)


def contact(engine: Engine, openid: str) -> datetime | None:
    with session_scope(engine) as session:
        return last_seen(session, openid)


def queue_delta(engine: Engine, settings: Settings) -> list[str]:
    """Sync the delta and queue its changes; the numbers of the notices concerned."""
    from catalog_sync.service import run_sync

    report = run_sync(str(DELTA), engine, settings)
    with session_scope(engine) as session:
        return [c.number for c in changes_for_notices(session, report.sync_id, TODAY, links=LINKS)]


def push_changes(engine: Engine, api_base: str) -> PushResult:
    async def go() -> PushResult:
        api = WeChatAPI(load_wechat_settings({"WECHAT_API_BASE_URL": api_base}))
        try:
            return await push_notice_changes(engine, api)
        finally:
            await api.aclose()

    return run(go())


def closed_port_api() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/cgi-bin/"  # nothing listens there any more


def told(texts: list[str | None], number: str) -> int:
    return sum(number in (t or "") for t in texts)


def test_a_change_is_pushed_while_the_window_is_open(
    server: ChannelServer, standin: BackgroundStandin, catalog: Engine, settings: Settings
) -> None:
    number = issue(catalog, WHO, TODAY - timedelta(days=10))
    seen(catalog, WHO, timedelta(hours=1))
    assert queue_delta(catalog, settings) == [number]

    assert push_changes(catalog, standin.api_base) == PushResult(sent=1, waiting=0)
    (sent,) = standin.api.received(SEND)
    assert sent.touser == WHO and sent.errcode == 0
    assert number in sent.text and "新增材料" in sent.text
    with session_scope(catalog) as session:
        assert pending_changes(session) == []

    assert push(server, text_xml(WHO, "你好")).reply == "答：你好"  # told once, by the push
    assert push_changes(catalog, standin.api_base) == PushResult(sent=0, waiting=0)
    assert len(standin.api.received(SEND)) == 1


def test_a_closed_window_waits_for_the_next_message(
    server: ChannelServer, standin: BackgroundStandin, catalog: Engine, settings: Settings
) -> None:
    number = issue(catalog, WHO, TODAY - timedelta(days=10))
    other = issue(catalog, OTHER, TODAY - timedelta(days=10))
    seen(catalog, WHO, timedelta(hours=50))
    seen(catalog, OTHER, timedelta(hours=47, minutes=55))  # open, but within the margin
    assert sorted(queue_delta(catalog, settings)) == sorted([number, other])

    assert push_changes(catalog, standin.api_base) == PushResult(sent=0, waiting=2)
    assert standin.api.received(SEND) == []

    first = push(server, text_xml(WHO, "你好"))
    assert first.reply is not None
    change, answer = first.reply.split("\n\n", 1)
    assert number in change and "新增材料" in change and other not in change
    assert answer == "答：你好"
    assert push(server, text_xml(WHO, "谢谢")).reply == "答：谢谢"


def test_a_refused_push_is_told_on_the_next_message_once(
    server: ChannelServer, standin: BackgroundStandin, catalog: Engine, settings: Settings
) -> None:
    number = issue(catalog, WHO, TODAY - timedelta(days=10))
    seen(catalog, WHO, timedelta(hours=1))
    queue_delta(catalog, settings)
    standin.api.fail(SEND, 45015)  # WeChat: the window is closed after all

    assert push_changes(catalog, standin.api_base) == PushResult(sent=0, waiting=1)
    assert [c.errcode for c in standin.api.received(SEND)] == [45015]

    replies = [push(server, text_xml(WHO, text)).reply for text in ("你好", "谢谢")]
    assert told(replies, number) == 1 and number in (replies[0] or "")
    assert replies[1] == "答：谢谢"
    assert push_changes(catalog, standin.api_base) == PushResult(sent=0, waiting=0)
    assert told(replies + standin.api.delivered(WHO), number) == 1


def test_a_citizen_who_left_does_not_stop_the_others(
    standin: BackgroundStandin, catalog: Engine, settings: Settings
) -> None:
    issue(catalog, WHO, TODAY - timedelta(days=10))
    other = issue(catalog, OTHER, TODAY - timedelta(days=10))
    for openid in (WHO, OTHER):
        seen(catalog, openid, timedelta(hours=1))
    queue_delta(catalog, settings)
    standin.api.fail(SEND, 43004)  # the first citizen (in OpenID order) no longer follows

    assert push_changes(catalog, standin.api_base) == PushResult(sent=1, waiting=1)
    assert [c.touser for c in standin.api.received(SEND)] == sorted([WHO, OTHER])
    assert told(standin.api.delivered(OTHER), other) == 1
    with session_scope(catalog) as session:
        assert [c.openid for c in pending_changes(session)] == [min(WHO, OTHER)]


def test_wechat_unreachable_keeps_every_change(
    standin: BackgroundStandin, catalog: Engine, settings: Settings
) -> None:
    for openid in (WHO, OTHER):
        issue(catalog, openid, TODAY - timedelta(days=10))
        seen(catalog, openid, timedelta(hours=1))
    queue_delta(catalog, settings)

    down = push_changes(catalog, closed_port_api())
    assert (down.sent, down.waiting) == (0, 2) and down.unreachable

    standin.api.fail(SEND, -1, -1, -1)  # 'system busy' on every attempt: stop, keep the rest
    busy = push_changes(catalog, standin.api_base)
    assert (busy.sent, busy.waiting) == (0, 2) and busy.unreachable
    assert len(standin.api.received(SEND)) == 3  # one citizen's attempts, not the other's

    standin.api.fail("stable_token", 40125)  # a wrong secret: no token, nothing claimed
    no_token = push_changes(catalog, standin.api_base)
    assert (no_token.sent, no_token.waiting) == (0, 2) and no_token.unreachable
    assert len(standin.api.received(SEND)) == 3

    assert push_changes(catalog, standin.api_base) == PushResult(sent=2, waiting=0)


# ---------------------------------------------------------------------- the window


def eventually(probe: Callable[[], T], timeout: float = 5.0) -> T:
    """``probe()`` once it is truthy (the window is written in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_the_window_is_recorded_from_pushes_that_open_it(
    server: ChannelServer, catalog: Engine
) -> None:
    viewer, scanner = "oChViewer".ljust(28, "0"), "oChScanner".ljust(28, "0")
    seen(catalog, WHO, timedelta(days=3))
    url = "https://banshi.example.gov.cn/"
    assert push(server, event_xml(viewer, "VIEW", key=url)).reply is None
    assert push(server, event_xml(viewer, "LOCATION", Latitude=39.9, Longitude=116.4)).ok
    assert push(server, event_xml(scanner, "scancode_push", key="scan")).ok
    assert push(server, text_xml(WHO, "你好")).reply == "答：你好"

    recent = datetime.utcnow() - timedelta(minutes=1)
    updated = eventually(lambda: (contact(catalog, WHO) or datetime.min) >= recent)
    assert updated, contact(catalog, WHO)
    created = eventually(lambda: contact(catalog, scanner))
    assert created is not None and created >= recent
    assert contact(catalog, viewer) is None  # VIEW and the LOCATION report do not open it

    assert push(server, event_xml(WHO, "unsubscribe", key="")).reply is None
    assert contact(catalog, WHO) is None


# ---------------------------------------------------------------------- the command line


def command_env(
    monkeypatch: pytest.MonkeyPatch, catalog: Engine, tmp_path: Path, api_base: str
) -> None:
    """The environment `banshi` commands read: this test's database, WeChat at ``api_base``."""
    monkeypatch.setenv("DATABASE_URL", catalog.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BANSHI_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("WECHAT_API_BASE_URL", api_base)
    for name in ("REDIS_URL", "BANSHI_JIEBA_DIR", "WECHAT_APPID", "WECHAT_APPSECRET"):
        monkeypatch.delenv(name, raising=False)


def test_catalog_sync_pushes_and_the_command_retries(
    standin: BackgroundStandin,
    catalog: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    number = issue(catalog, WHO, TODAY - timedelta(days=10))
    other = issue(catalog, OTHER, TODAY - timedelta(days=10))
    seen(catalog, WHO, timedelta(hours=1))
    seen(catalog, OTHER, timedelta(hours=50))
    command_env(monkeypatch, catalog, tmp_path, closed_port_api())

    assert banshi_main(["catalog", "sync", str(DELTA)]) == 0  # WeChat down: the sync stands
    lines = [line for line in capsys.readouterr().out.splitlines() if "告知单变更提醒" in line]
    assert len(lines) == 1 and "2 条" in lines[0] and "无法连接微信" in lines[0]
    with session_scope(catalog) as session:
        assert len(pending_changes(session)) == 2
    assert banshi_main(["wechat", "push-changes"]) == 2  # still down: this command fails
    assert "无法连接微信" in capsys.readouterr().err

    monkeypatch.setenv("WECHAT_API_BASE_URL", standin.api_base)
    assert banshi_main(["wechat", "push-changes"]) == 0
    assert "已通过客服消息推送 1 条告知单变更提醒；1 条在市民下次发消息时送达" in (
        capsys.readouterr().out
    )
    assert told(standin.api.delivered(WHO), number) == 1
    assert standin.api.received(SEND, OTHER) == []
    with session_scope(catalog) as session:
        assert [c.number for c in pending_changes(session)] == [other]


@pytest.mark.parametrize("no_push", [False, True], ids=["push", "no-push"])
def test_catalog_sync_pushes_right_after_queueing(
    no_push: bool,
    standin: BackgroundStandin,
    catalog: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    number = issue(catalog, WHO, TODAY - timedelta(days=10))
    seen(catalog, WHO, timedelta(hours=1))
    command_env(monkeypatch, catalog, tmp_path, standin.api_base)

    args = ["catalog", "sync", str(DELTA), *(["--no-push"] if no_push else [])]
    assert banshi_main(args) == 0
    out = capsys.readouterr().out
    if no_push:
        assert "告知单变更提醒 1 条：在市民下次发消息时送达。" in out
        assert standin.api.received() == []  # not even a token
        with session_scope(catalog) as session:
            assert [c.number for c in pending_changes(session, WHO)] == [number]
        return
    assert "告知单变更提醒 1 条：已通过客服消息推送 1 条，待市民下次发消息时送达 0 条。" in out
    (sent,) = standin.api.received(SEND)
    assert sent.touser == WHO and number in sent.text and "新增材料" in sent.text
