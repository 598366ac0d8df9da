"""Handling one push under WeChat's rules: once, in order, answered in time or later.

For each push: the first delivery runs the turn (a Rasa turn or a local one) in the
background, inside the citizen's serial lock; the HTTP reply waits for it until the passive
budget (4.5 s of WeChat's 5) runs out. Ready in time: the first text is the passive reply and
any further texts follow as 客服消息. Not ready: the reply is ``success`` and every text goes
out as 客服消息 the moment the turn ends. Retries of the push never run the turn again (see
:mod:`bot.wechat.dedup`); they get the passive answer when it is theirs to give, or ``success``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.wechat import texts
from bot.wechat.arrival import Arrival, Gate, StoresGate
from bot.wechat.dedup import CS, PASSIVE, DedupStore
from bot.wechat.delivery import Delivery, compose
from bot.wechat.ratelimit import RateLimiter, Verdict
from bot.wechat.serial import Serializer
from bot.wechat.storage import CitizenStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """What a push makes the assistant do: ``run`` returns the messages to send."""

    run: Callable[[], Awaitable[list[str]]]
    # Deliver answers kept from earlier (45015) with this one; not on unsubscribe.
    with_pending: bool = True
    # Counted against the citizen's rate limit; never subscribe/unsubscribe (leaving must
    # always erase their data).
    limited: bool = True


async def _nothing() -> list[str]:
    return []


def _say(text: str) -> Callable[[], Awaitable[list[str]]]:
    async def run() -> list[str]:
        return [text]

    return run


@dataclass(frozen=True)
class Reply:
    text: str | None  # the passive reply; None means "success"


class WeChatService:
    def __init__(
        self,
        dedup: DedupStore,
        serial: Serializer,
        delivery: Delivery,
        store: CitizenStore,
        after_passive: float = 0.3,
        limiter: RateLimiter | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.gate = gate or StoresGate(dedup, limiter)
        self.dedup = dedup
        self.serial = serial
        self.delivery = delivery
        self.store = store
        # The passive reply travels back over WeChat's request; the texts after it wait a
        # moment so that they do not overtake it.
        self.after_passive = after_passive
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(
        self, key: str, openid: str, turn: Turn, deadline: float, arrival: Arrival | None = None
    ) -> Reply:
        """The reply to one delivery of the push ``key`` (``deadline``: loop time).

        ``arrival``: what :attr:`gate` said of this delivery when the caller asked it (the
        channel asks it together with the nonce); otherwise it is asked here."""
        loop = asyncio.get_running_loop()
        if arrival is None:
            arrival = await self.gate.arrive(key, openid, limited=turn.limited)
        if not arrival.first:
            return await self._repeat(key, deadline)  # a retry: counted once, run once
        if arrival.verdict is Verdict.SLOW:  # told once already: dropped quietly
            await self.dedup.finish(key, [])
            return Reply(None)
        if arrival.verdict is Verdict.NOTIFY:
            turn = Turn(_say(texts.RATE_LIMITED), with_pending=False)
        ready: asyncio.Future[list[str]] = loop.create_future()
        claimed: asyncio.Future[str] = loop.create_future()
        task = loop.create_task(self._run(key, openid, turn, ready, claimed, deadline))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        how = CS
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(ready), max(deadline - loop.time(), 0.0))
                how = PASSIVE
        finally:
            # Even when this request is cancelled, the answer must find its way out. A turn
            # done in time has claimed the passive reply for this request as it finished.
            if claimed.done():
                winner = claimed.result()
            else:
                winner = await asyncio.shield(self.dedup.claim(key, how))
                if not claimed.done():
                    claimed.set_result(winner)
        if winner == PASSIVE and ready.done() and not ready.exception() and ready.result():
            return Reply(ready.result()[0])
        if winner == PASSIVE:
            record = await self.dedup.get(key)
            if record and record.parts:
                return Reply(record.parts[0])
        return Reply(None)

    async def _repeat(self, key: str, deadline: float) -> Reply:
        """A retry: never a second turn; the passive answer if it is still ours to give."""
        loop = asyncio.get_running_loop()
        record = await self.dedup.wait_ready(key, max(deadline - loop.time(), 0.0))
        if record is None or not record.parts:
            return Reply(None)
        if await self.dedup.claim(key, PASSIVE) == PASSIVE:
            return Reply(record.parts[0])
        return Reply(None)

    async def _run(
        self,
        key: str,
        openid: str,
        turn: Turn,
        ready: asyncio.Future[list[str]],
        claimed: asyncio.Future[str],
        deadline: float,
    ) -> None:
        try:
            async with self.serial.hold(openid):
                # Earlier undelivered answers are read while the turn runs (off its latency).
                taken, ran = await asyncio.gather(
                    self.store.take_answers(openid) if turn.with_pending else _nothing(),
                    turn.run(),
                    return_exceptions=True,
                )
                pending: list[str] = []
                if isinstance(taken, BaseException):
                    log.error("could not read %s's pending answers: %r", openid, taken)
                else:
                    pending = taken
                messages: list[str]
                if isinstance(ran, BaseException):
                    log.error("the turn for %s failed: %r", key, ran, exc_info=ran)
                    messages = [texts.BUSY]
                else:
                    messages = ran
                parts = compose(pending, messages)
                if claimed.done() or asyncio.get_running_loop().time() >= deadline:
                    await self.dedup.finish(key, parts)
                else:  # the request still waits: the passive reply is claimed as we finish
                    winner = await self.dedup.finish(key, parts, claim=PASSIVE)
                    if winner and not claimed.done():
                        claimed.set_result(winner)
                ready.set_result(parts)
                try:
                    how = await asyncio.wait_for(asyncio.shield(claimed), 10.0)
                except asyncio.TimeoutError:  # the request vanished without claiming
                    how = await self.dedup.claim(key, CS)
                rest = parts[1:] if how == PASSIVE else parts
                if rest:
                    if how == PASSIVE:
                        await asyncio.sleep(self.after_passive)
                    outcome = await self.delivery.send(openid, rest)
                    log.debug("%s: %s", key, outcome)
        except Exception:
            log.exception("handling %s failed", key)
            if not ready.done():
                ready.set_result([texts.BUSY])

    async def drain(self, timeout: float = 30.0) -> None:
        """Let turns in progress finish and deliver (server shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
