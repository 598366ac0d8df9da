"""The stand-in judges a menu by WeChat's rules (createCustomMenu), not by the channel's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.wechat.menu import Menu, load_menu, validate
from wechat_standin.api import StandinAPI
from wechat_standin.menu import check_menu, shown_menu, shown_name
from wechat_standin.server import BackgroundStandin


def click(name: str, key: str = "K", **extra: Any) -> dict[str, Any]:
    return {"type": "click", "name": name, "key": key, **extra}


def menu(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"button": list(buttons)}


def group(name: str, *subs: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "sub_button": list(subs)}


@pytest.mark.parametrize(
    "body,errcode",
    [
        (menu(), 40016),
        (menu(*[click("一", f"K{i}") for i in range(4)]), 40016),
        (menu(click("这个名字太长了")), 40018),  # 21 bytes > 16
        (menu(click("")), 40018),
        (menu(group("办事", *[click("子", f"K{i}") for i in range(6)])), 40023),
        (menu(group("办事", click("长" * 21))), 40025),  # 63 bytes > 60
        (menu({"type": "dance", "name": "跳舞", "key": "K"}), 40017),
        (menu(group("办事", {"type": "dance", "name": "跳舞"})), 40024),
        (menu(group("办事", click("点我", "K" * 129))), 40026),
        (menu(click("点我", "K" * 129)), 40019),
        (menu(group("办事", {"type": "view", "name": "网页"})), 40027),  # view needs url
        (menu({"type": "view", "name": "网页", "url": "https://a.cn/" + "x" * 1020}), 40020),
        (menu(group("办事", {**click("点我"), "sub_button": [click("更深")]})), 40022),
        (menu({**group("办事", click("点我")), "type": "click", "key": "K"}), 40017),
        (menu({"type": "miniprogram", "name": "小程序", "url": "https://a.cn/"}), 47001),
        (menu({"type": "media_id", "name": "素材"}), 40007),
        ({"menu": []}, 47001),
    ],
)
def test_wechats_rules(body: dict[str, Any], errcode: int) -> None:
    verdict = check_menu(body)
    assert verdict.errcode == errcode, verdict.detail


def test_every_problem_is_listed_and_the_first_gives_the_errcode() -> None:
    body = menu(click("这个名字太长了", "A"), group("办事", click("长" * 21), {"name": "空"}))
    verdict = check_menu(body)
    assert verdict.errcode == 40018
    assert [p.where for p in verdict.problems] == ["button 1", "button 2.1", "button 2.2"]
    assert "21 bytes" in verdict.detail


def test_a_valid_menu_of_every_kind_passes() -> None:
    body = menu(
        group(
            "办事指南",
            click("能问什么"),
            {"type": "location_select", "name": "附近大厅", "key": "NEARBY"},
            {"type": "view", "name": "政务服务平台", "url": "https://gjzwfw.www.gov.cn/"},
            {"type": "article_id", "name": "办事须知", "article_id": "ART1"},
            {
                "type": "miniprogram",
                "name": "小程序",
                "url": "https://a.cn/",
                "appid": "wx286b93c14bbf93aa",
                "pagepath": "pages/index",
            },
        ),
        click("五个汉字长"),  # 15 bytes: accepted, shown cut
        {"type": "view_limited", "name": "图文", "media_id": "MEDIA", "sub_button": []},
    )
    assert check_menu(body).problems == []


@pytest.mark.parametrize(
    "name,top,shown",
    [
        ("办事指南", True, "办事指南"),
        ("五个汉字长", True, "五个汉字..."),
        ("ABCDEFGH", True, "ABCDEFGH"),  # 8 half-width = 4 汉字
        ("ABCDEFGHI", True, "ABCDEFGH..."),
        ("一次性告知单", False, "一次性告知单"),
        ("九个汉字的二级菜单名", False, "九个汉字的二级菜..."),
    ],
)
def test_names_are_shown_cut_as_the_client_cuts_them(name: str, top: bool, shown: str) -> None:
    assert shown_name(name, top) == shown


def test_the_repository_menu_as_the_channel_pushes_it_passes_wechats_rules() -> None:
    payload = load_menu().payload()
    assert check_menu(payload).problems == []
    assert shown_menu(payload) == payload  # and no name is cut


@pytest.mark.parametrize(
    "buttons,channel_accepts,wechat_accepts",
    [
        ([click("办事")], True, True),
        ([click("五个汉字长")], False, True),  # the channel refuses a name WeChat would cut
        ([group("办事", click("长" * 9))], False, True),
        ([group("办事", {"type": "view", "name": "网页", "url": "https://a.cn/"})], True, True),
        ([click("这个名字太长了")], False, False),
        ([click("一", "A"), click("二", "B"), click("三", "C"), click("四", "D")], False, False),
    ],
)
def test_the_channel_is_stricter_than_wechat_never_looser(
    buttons: list[dict[str, Any]], channel_accepts: bool, wechat_accepts: bool
) -> None:
    assert (not validate(Menu(buttons))) == channel_accepts
    assert (not check_menu({"button": buttons}).problems) == wechat_accepts
    assert wechat_accepts or not channel_accepts


@pytest.fixture(scope="module")
def standin() -> Iterator[BackgroundStandin]:
    server = BackgroundStandin(StandinAPI()).start()
    yield server
    server.stop()


def token(standin: BackgroundStandin) -> str:
    body = {"grant_type": "client_credential", "appid": standin.api.appid}
    response = httpx.post(
        standin.api_base + "stable_token", json={**body, "secret": standin.api.secret}
    )
    return str(response.json()["access_token"])


def test_menu_create_answers_wechats_errcode_and_names_every_problem(
    standin: BackgroundStandin,
) -> None:
    params = {"access_token": token(standin)}
    bad = menu(click("这个名字太长了"), group("办事", click("长" * 21)))
    answer = httpx.post(standin.api_base + "menu/create", params=params, json=bad).json()
    assert answer["errcode"] == 40018
    assert answer["errmsg"].startswith("invalid button name size: ")
    assert "button 2.1" in answer["errmsg"]
    assert standin.api.menu is None
    good = menu(click("办事指南"))
    assert httpx.post(standin.api_base + "menu/create", params=params, json=good).json() == {
        "errcode": 0,
        "errmsg": "ok",
    }
    assert httpx.get(standin.api_base + "menu/get", params=params).json() == {"menu": good}
