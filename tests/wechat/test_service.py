"""The service's rules with a stand-in dialogue: passive in time, 客服消息 after, once only,
in order, nothing lost (real stores: memory and Redis; the stand-in's API side)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from app.settings import load_wechat_settings
from banshi.text import split_message
from bot.wechat import texts
from bot.wechat.api import WeChatAPI
from bot.wechat.dedup import DedupStore, MemoryDedupStore, RedisDedupStore
from bot.wechat.delivery import Delivery, compose
from bot.wechat.serial import MemorySerializer, RedisSerializer, Serializer
from bot.wechat.service import Turn, WeChatService
from bot.wechat.storage import CitizenStore
from tests.wechat.conftest import run
from wechat_standin.server import BackgroundStandin

OPENID = "oService00000000000000000000"


class Harness:
    def __init__(self, service: WeChatService, api: WeChatAPI, redis: Redis | None) -> None:
        self.service = service
        self.api = api
        self.redis = redis
        self.turns: list[str] = []

    def turn(self, answer: list[str] | str, seconds: float = 0.0, fail: bool = False) -> Turn:
        async def run_turn() -> list[str]:
            self.turns.append(str(answer))
            await asyncio.sleep(seconds)
            if fail:
                raise RuntimeError("the action server is down")
            return [answer] if isinstance(answer, str) else list(answer)

        return Turn(run_turn)

    async def push(
        self, key: str, turn: Turn, budget: float = 1.0, openid: str = OPENID
    ) -> str | None:
        deadline = asyncio.get_running_loop().time() + budget
        return (await self.service.handle(f"{openid}:m:{key}", openid, turn, deadline)).text

    async def close(self) -> None:
        await self.service.drain(10)
        await self.api.aclose()
        if self.redis is not None:
            await self.redis.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make(
    request: pytest.FixtureRequest,
    standin: BackgroundStandin,
    redis_url: str,
    prefix: str,
    engine: Engine,
) -> Callable[[], Harness]:
    def factory() -> Harness:
        settings = load_wechat_settings({"WECHAT_API_BASE_URL": standin.api_base})
        api = WeChatAPI(replace(settings, api_timeout=2.0))
        store = CitizenStore(engine)
        dedup: DedupStore
        serial: Serializer
        redis: Redis | None = None
        if request.param == "memory":
            dedup, serial = MemoryDedupStore(), MemorySerializer()
        else:
            redis = Redis.from_url(redis_url, decode_responses=True)
            dedup, serial = RedisDedupStore(redis, prefix), RedisSerializer(redis, prefix)
        service = WeChatService(dedup, serial, Delivery(api, store), store, after_passive=0.05)
        return Harness(service, api, redis)

    return factory


def test_a_quick_answer_is_the_passive_reply(
    make: Callable[[], Harness], standin: BackgroundStandin
) -> None:
    async def scenario() -> None:
        h = make()
        started = time.monotonic()
        assert await h.push("1", h.turn("您好")) == "您好"
        assert time.monotonic() - started < 0.5
        await h.close()

    run(scenario())
    assert standin.api.delivered(OPENID) == []


def test_a_slow_answer_goes_out_as_a_customer_service_message(
    make: Callable[[], Harness], standin: BackgroundStandin
) -> None:
    async def scenario() -> None:
        h = make()
        started = time.monotonic()
        assert await h.push("1", h.turn("慢慢的答复", seconds=0.8), budget=0.3) is None
        assert 0.25 < time.monotonic() - started < 0.6  # `success` at the budget, not later
        await h.close()

    run(scenario())
    assert standin.api.delivered(OPENID) == ["慢慢的答复"]


def test_three_deliveries_make_one_turn(
    make: Callable[[], Harness], standin: BackgroundStandin
) -> None:
    async def scenario() -> None:
        h = make()
        turn = h.turn("只答一次", seconds=0.2)
        replies = await asyncio.gather(*(h.push("7", turn) for _ in range(3)))
        assert h.turns == ["只答一次"]
        assert set(replies) == {"只答一次"}  # whichever delivery WeChat still waits for
        await h.close()

    run(scenario())
    assert standin.api.delivered(OPENID) == []


def test_a_retry_after_the_deadline_gets_success_and_one_delivery(
    make: Callable[[], Harness], standin: BackgroundStandin
) -> None:
    async def scenario() -> None:
        h = make()
        turn = h.turn("迟到的答复", seconds=0.6)
        first = await h.push("8", turn, budget=0.2)
        retry = await h.push("8", turn, budget=0.2)  # WeChat's retry, 5 s later in real life
        await asyncio.sleep(0.6)
        late_retry = await h.push("8", turn, budget=0.2)  # ready now, but CS holds the claim
        assert (first, retry, late_retry) == (None, None, None)
        assert len(h.turns) == 1
        await h.close()

    run(scenario())
    assert standin.api.delivered(OPENID) == ["迟到的答复"]


def test_a_retry_of_an_answered_push_gets_the_same_answer(make: Callable[[], Harness]) -> None:
    async def scenario() -> None:
        h = make()
        turn = h.turn("同一个答复")
        assert await h.push("9", turn) == "同一个答复"
        assert await h.push("9", turn) == "同一个答复"  # WeChat did not get the first one
        assert len(h.turns) == 1
        await h.close()

    run(scenario())


def test_a_long_answer_is_split_passive_first(
    make: Callable[[], Harness], standin: BackgroundStandin
) -> None:
    answer = "\n".join(
        f"{i}. 申请人身份证原件及复印件一份，加盖公章，由窗口核验后退还原件。" for i in range(80)
    )
    parts = split_message(answer)
    assert len(parts) >= 3

    async def scenario() -> None:
        h = make()
        first = await h.push("10", h.turn(answer))
        assert first == parts[0]
        await h.close()

    run(scenario())
    assert standin.api.delivered(OPENID) == parts[1:]
    assert all(len(p.encode()) <= 2000 for p in parts)


def test_45015_answer_is_delivered_with_the_next_message(
    make: Callable[[], Harness], standin: BackgroundStandin
) -> None:
    standin.api.fail("message/custom/send", 45015)

    async def scenario() -> None:
        h = make()
        assert await h.push("11", h.turn("第一问的答复", seconds=0.5), budget=0.1) is None
        await asyncio.sleep(0.8)  # the 客服消息 was refused with 45015 meanwhile
        reply = await h.push("12", h.turn("第二问的答复"))
        assert reply == texts.PENDING_PREFIX + "第一问的答复\n\n第二问的答复"
        await h.close()

    run(scenario())
    sends = standin.api.received("message/custom/send", OPENID)
    assert [c.errcode for c in sends] == [45015]


def test_one_citizen_is_answered_in_order(
    make: Callable[[], Harness], standin: BackgroundStandin
) -> None:
    async def scenario() -> None:
        h = make()
        first = asyncio.create_task(h.push("20", h.turn("第一条", seconds=0.5), budget=0.2))
        await asyncio.sleep(0.05)
        second = await h.push("21", h.turn("第二条"), budget=1.5)
        assert await first is None
        # The first answer went out (客服消息) before the second turn even started.
        assert standin.api.delivered(OPENID) == ["第一条"]
        assert second == "第二条"
        await h.close()

    run(scenario())


def test_a_failing_turn_says_sorry(make: Callable[[], Harness]) -> None:
    async def scenario() -> None:
        h = make()
        assert await h.push("30", h.turn("x", fail=True)) == texts.BUSY
        await h.close()

    run(scenario())


def test_compose_joins_short_messages_and_splits_long_ones() -> None:
    assert compose([], ["一", "二"]) == ["一\n\n二"]
    assert compose(["旧"], ["新"]) == [texts.PENDING_PREFIX + "旧\n\n新"]
    kept_again = compose([texts.PENDING_PREFIX + "旧"], [])
    assert kept_again == [texts.PENDING_PREFIX + "旧"]
    long = "字" * 1000  # 3,000 bytes
    parts = compose([], [long, "尾"])
    assert [len(p.encode()) <= 2000 for p in parts] == [True] * len(parts)
    assert "".join(parts).replace("\n", "") == long + "尾"
