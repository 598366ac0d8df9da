"""The API client against the stand-in: the base URL, the shared token, bounded retries."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest
from redis.asyncio import Redis

from app.settings import load_wechat_settings
from bot.wechat.api import RedisTokenStore, WeChatAPI, WeChatAPIError
from bot.wechat.config import WeChatSettings
from tests.wechat.conftest import run
from wechat_standin.server import BackgroundStandin

OPENID = "oApi00000000000000000000000a"


def settings_for(standin: BackgroundStandin, **changes: Any) -> WeChatSettings:
    base = load_wechat_settings({"WECHAT_API_BASE_URL": standin.api_base})
    return replace(base, **changes)


def test_every_call_goes_through_the_base_url(standin: BackgroundStandin) -> None:
    async def scenario() -> None:
        api = WeChatAPI(settings_for(standin))
        await api.send_text(OPENID, "您好，材料清单如下")
        await api.aclose()

    run(scenario())
    calls = standin.api.received()
    assert [c.path for c in calls] == ["stable_token", "message/custom/send"]
    sent = calls[1]
    assert sent.text == "您好，材料清单如下" and not sent.escaped_unicode
    assert sent.query["access_token"].startswith("STANDIN_")


@pytest.mark.parametrize("endpoint", ["stable_token", "token"])
def test_token_endpoints(standin: BackgroundStandin, endpoint: str) -> None:
    async def scenario() -> None:
        api = WeChatAPI(settings_for(standin, token_endpoint=endpoint))
        for _ in range(3):
            await api.send_text(OPENID, "x")
        await api.aclose()

    run(scenario())
    assert len(standin.api.received(endpoint)) == 1  # fetched once, then cached


@pytest.mark.redis
def test_the_token_is_shared_across_processes_through_redis(
    standin: BackgroundStandin, redis_url: str, prefix: str
) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(redis_url, decode_responses=True)
        settings = settings_for(standin)
        # Ten "processes" (each its own client and store object) start at once.
        apis = [
            WeChatAPI(settings, RedisTokenStore(redis, settings.appid, prefix)) for _ in range(10)
        ]
        await asyncio.gather(*(api.send_text(OPENID, f"第{i}条") for i, api in enumerate(apis)))
        for api in apis:
            await api.aclose()
        await redis.close()

    run(scenario())
    assert len(standin.api.received("stable_token")) == 1
    assert len(standin.api.delivered(OPENID)) == 10


def test_an_expired_token_is_refreshed_once(standin: BackgroundStandin) -> None:
    async def scenario() -> None:
        api = WeChatAPI(settings_for(standin, token_endpoint="token"))
        await api.send_text(OPENID, "一")
        standin.api.expire_tokens()  # 42001 on the next call
        await api.send_text(OPENID, "二")
        await api.aclose()

    run(scenario())
    assert [c.errcode for c in standin.api.received("message/custom/send")] == [0, 42001, 0]
    assert len(standin.api.received("token")) == 2
    assert standin.api.delivered(OPENID) == ["一", "二"]


def test_a_refused_token_is_not_retried_in_a_loop(standin: BackgroundStandin) -> None:
    """wechatpy retries 40001 without end; we refresh once and then report the error."""
    standin.api.fail("message/custom/send", 40001, 40001, 40001, 40001)

    async def scenario() -> None:
        api = WeChatAPI(settings_for(standin))
        with pytest.raises(WeChatAPIError) as info:
            await api.send_text(OPENID, "x")
        assert info.value.errcode == 40001
        await api.aclose()

    run(scenario())
    assert len(standin.api.received("message/custom/send")) == 2
    stable = standin.api.received("stable_token")
    # The second fetch got the same (refused) stable token back, so it forced a new one.
    assert [c.body["force_refresh"] for c in stable] == [False, False, True]


def test_system_busy_is_retried_a_bounded_number_of_times(standin: BackgroundStandin) -> None:
    standin.api.fail("message/custom/send", -1, -1)

    async def scenario() -> None:
        api = WeChatAPI(settings_for(standin))
        await api.send_text(OPENID, "第三次成功")
        standin.api.fail("message/custom/send", -1, -1, -1)
        with pytest.raises(WeChatAPIError):
            await api.send_text(OPENID, "三次都忙")
        await api.aclose()

    run(scenario())
    assert [c.errcode for c in standin.api.received("message/custom/send")] == [
        -1,
        -1,
        0,
        -1,
        -1,
        -1,
    ]


def test_an_unreachable_api_fails_fast_with_a_clear_error() -> None:
    settings = replace(
        load_wechat_settings({"WECHAT_API_BASE_URL": "http://127.0.0.1:9/cgi-bin/"}),
        api_timeout=1.0,
    )

    async def scenario() -> None:
        api = WeChatAPI(settings)
        started = time.monotonic()
        with pytest.raises(WeChatAPIError, match="stable_token") as info:
            await api.send_text(OPENID, "x")
        assert info.value.errcode is None
        assert time.monotonic() - started < 5
        await api.aclose()

    run(scenario())


def test_wrong_credentials_name_the_problem(standin: BackgroundStandin) -> None:
    async def scenario() -> None:
        api = WeChatAPI(settings_for(standin, appsecret="wrong"))
        with pytest.raises(WeChatAPIError, match="40125"):
            await api.send_text(OPENID, "x")
        await api.aclose()

    run(scenario())
