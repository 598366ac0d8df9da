"""The stand-in plays WeChat faithfully: the 5-second timeout and 3 deliveries, judging
replies as WeChat would, and the menu API (pushed by `banshi wechat menu`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from aiohttp import web

from app.cli import main as wechat_cli
from bot.wechat.menu import MENU_PATH, Menu, load_menu, validate
from tests.wechat.conftest import run
from wechat_standin.api import StandinAPI
from wechat_standin.driver import Account, PushDriver, text_xml
from wechat_standin.server import BackgroundStandin

OPENID = "oStandin00000000000000000001"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class Webhook:
    """A webhook that behaves as told: slow, broken, or fine."""

    def __init__(self) -> None:
        self.hits = 0
        self.behaviour = "fine"
        self.slow_first = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.behaviour == "hang" or (self.hits == 1 and self.slow_first):
            await asyncio.sleep(self.slow_first or 10)
        if self.behaviour == "broken":
            return web.Response(text="<xml><Content>oops")
        if self.behaviour == "stranger":
            return web.Response(
                text="<xml><ToUserName>someone</ToUserName><FromUserName>gh_banshi0000001"
                "</FromUserName><MsgType>text</MsgType><Content>hi</Content></xml>"
            )
        if self.behaviour == "plain":
            return web.Response(
                text=f"<xml><ToUserName>{OPENID}</ToUserName><FromUserName>gh_banshi0000001"
                "</FromUserName><MsgType>text</MsgType><Content>hi</Content></xml>"
            )
        return web.Response(text="success")


@pytest.fixture
def hook() -> Iterator[tuple[Webhook, str]]:
    webhook = Webhook()

    def install(app: web.Application) -> None:
        app.router.add_post("/hook", webhook.handle)

    server = BackgroundStandin(StandinAPI(), extra=install).start()
    yield webhook, server.url + "hook"
    server.stop()


def deliver(url: str, mode: str = "plain", timeout: float = 0.3, **kwargs: object):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        driver = PushDriver(url, Account("t", "wx00000000banshidev", KEY, mode), timeout=timeout)
        try:
            return await driver.push(text_xml(OPENID, "你好"), **kwargs)  # type: ignore[arg-type]
        finally:
            await driver.aclose()

    return run(go())


def test_no_reply_in_time_means_three_deliveries_and_a_failure(hook: tuple[Webhook, str]) -> None:
    webhook, url = hook
    webhook.behaviour = "hang"
    outcome = deliver(url)
    assert webhook.hits == 3 and len(outcome.deliveries) == 3
    assert not outcome.ok and "no reply" in outcome.failure


def test_a_late_first_reply_is_retried_and_the_retry_counts(hook: tuple[Webhook, str]) -> None:
    webhook, url = hook
    webhook.slow_first = 0.6
    outcome = deliver(url)
    assert webhook.hits == 2 and outcome.ok and outcome.reply is None


@pytest.mark.parametrize(
    "behaviour,mode,failure",
    [
        ("broken", "plain", "malformed"),
        ("stranger", "plain", "not addressed"),
        ("plain", "safe", "plaintext reply to a safe-mode push"),
    ],
)
def test_bad_replies_show_the_citizen_an_error(
    hook: tuple[Webhook, str], behaviour: str, mode: str, failure: str
) -> None:
    webhook, url = hook
    webhook.behaviour = behaviour
    outcome = deliver(url, mode)
    assert failure in outcome.failure


def test_repeat_delivers_every_time(hook: tuple[Webhook, str]) -> None:
    webhook, url = hook
    outcome = deliver(url, repeat=3, gap=0.01)
    assert webhook.hits == 3 and outcome.ok


def test_banshi_wechat_menu_pushes_the_menu(
    standin: BackgroundStandin, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WECHAT_API_BASE_URL", standin.api_base)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert wechat_cli(["wechat", "menu"]) == 0
    assert "菜单已推送" in capsys.readouterr().out
    assert standin.api.menu == load_menu().payload()
    pushed = json.dumps(standin.api.menu, ensure_ascii=False)
    assert "intent" not in pushed  # ours, not WeChat's
    got = httpx.get(
        standin.api_base + "menu/get",
        params={"access_token": standin.api.received("menu/create")[0].query["access_token"]},
    ).json()
    assert got["menu"] == standin.api.menu


def test_a_menu_breaking_wechats_rules_is_refused(standin: BackgroundStandin) -> None:
    too_many = Menu([{"name": "一", "type": "click", "key": f"K{i}"} for i in range(4)])
    assert validate(too_many)
    long_name = Menu([{"name": "这个名字太长了", "type": "click", "key": "K"}])
    assert any("at most 4 characters" in p for p in validate(long_name))
    response = httpx.post(
        standin.api_base + "stable_token",
        json={
            "grant_type": "client_credential",
            "appid": standin.api.appid,
            "secret": standin.api.secret,
        },
    ).json()
    created = httpx.post(
        standin.api_base + "menu/create",
        params={"access_token": response["access_token"]},
        json=too_many.payload(),
    ).json()
    assert created["errcode"] == 40016


def test_the_repository_menu_fits_wechat_and_the_domain() -> None:
    from app.settings import PROJECT_ROOT
    from bot.wechat.menu import domain_intents

    menu = load_menu(MENU_PATH, domain_intents(PROJECT_ROOT / "bot" / "domain.yml"))
    assert menu.intents  # every CLICK key maps to an intent the model knows
    assert len(menu.buttons) <= 3 and all(len(b.get("sub_button", [])) <= 5 for b in menu.buttons)
