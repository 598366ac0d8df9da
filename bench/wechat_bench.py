"""Benchmark of the WeChat channel (issue 4 "figures to reach and report").

Starts the assistant once (``banshi run`` machinery: the Rasa server with the WeChat channel
*and* Rasa's REST channel on the same model, the action server ``wechat_standin.slow_actions``
— the real actions, slowed past 5 s only for OpenIDs containing "slow") with the stand-in's
API side receiving 客服消息, then measures, in one run:

  1. latency at a steady rate (default 10 msg/s) from 50 simulated citizens for 60 s,
     arrivals spread evenly: p50/p95/p99 of the passive reply through signed pushes, and of
     the same load through the REST channel (the two take turns in 15-second blocks);
  2. capacity: the highest steady rate (a ramp of 15-second steps, the channels taking
     turns at each rate) at which p99 stays under 4.5 s (WeChat's passive budget);
  3. duplicates: every push delivered 3 times (0, 0.3 and 0.6 s apart): dialogue turns
     counted in the tracker store (Redis) must equal the messages sent;
  4. lost answers: actions made slower than 5 s (6 s): every push must get its answer,
     passively or as a 客服消息.

    cd /work/main && .venv/bin/python bench/wechat_bench.py [--quick]

Needs a trained model (``banshi train``) and Redis (REDIS_URL, default db 15; keys are
tagged per run and deleted afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from banshi.db import make_engine, migrate  # noqa: E402
from banshi.settings import load_settings  # noqa: E402
from banshi.training import model_path  # noqa: E402
from bot.wechat.runner import start_assistant  # noqa: E402
from wechat_standin.api import StandinAPI  # noqa: E402
from wechat_standin.driver import Account, PushDriver, text_xml  # noqa: E402
from wechat_standin.server import BackgroundStandin  # noqa: E402

TOKEN, APPID, SECRET = "bench-token", "wxbench00000000001", "bench-secret"
DEADLINE = 4.5
# A mix like real traffic: greetings and small talk (rules), guide questions (action server).
QUESTIONS = [
    "你好",
    "护照办理收费吗",
    "营业执照在哪里办",
    "身份证丢了怎么补办",
    "结婚登记需要什么材料",
    "居住证办理要多久",
    "谢谢",
    "新生儿落户要跑几次",
    "今天天气怎么样",
    "公积金提取的咨询电话是多少",
]
# Short answers only (one text each), so that answers can be counted per push.
SLOW_QUESTIONS = ["护照办理收费吗", "居住证办理要多久", "新生儿落户要跑几次"]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    sent: int = 0

    def summary(self) -> str:
        ms = [v * 1000 for v in self.latencies]
        return (
            f"p50 {pct(ms, 50):7.1f} ms  p95 {pct(ms, 95):7.1f} ms  p99 {pct(ms, 99):7.1f} ms"
            f"  (n={self.sent}, failed {self.failures})"
        )

    @property
    def p99(self) -> float:
        return pct(self.latencies, 99) if self.latencies else float("inf")


async def steady(
    rate: float, seconds: float, send: Callable[[int], Coroutine[Any, Any, float | None]]
) -> Run:
    """Open-loop load: message i starts at i / rate, whatever the earlier ones are doing."""
    run = Run()
    total = int(rate * seconds)
    start = time.monotonic()
    tasks: list[asyncio.Task[float | None]] = []
    for i in range(total):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i)))
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        run.sent += 1
        if isinstance(result, BaseException) or result is None:
            run.failures += 1
        else:
            run.latencies.append(result)
    return run


class Bench:
    def __init__(self, webhook: str, rest: str, standin: BackgroundStandin, tag: str) -> None:
        self.webhook = webhook
        self.rest = rest
        self.standin = standin
        self.tag = tag
        limits = httpx.Limits(max_connections=500, max_keepalive_connections=100)
        self.client = httpx.AsyncClient(limits=limits, timeout=30)
        self.driver = PushDriver(webhook, Account(TOKEN, APPID), client=self.client)

    def openid(self, kind: str, i: int) -> str:
        return f"o{self.tag}{kind}{i:05d}".ljust(28, "0")[:28]

    async def wechat(self, openid: str, text: str) -> float | None:
        outcome = await self.driver.push(text_xml(openid, text))
        if not outcome.ok or outcome.reply is None:
            return None  # `success` (answer deferred) or a failure: not a passive reply
        return outcome.latency

    async def rest_call(self, sender: str, text: str) -> float | None:
        began = time.monotonic()
        response = await self.client.post(self.rest, json={"sender": sender, "message": text})
        if response.status_code != 200 or not response.json():
            return None
        return time.monotonic() - began

    def wechat_sender(
        self, citizens: int, label: str
    ) -> Callable[[int], Coroutine[Any, Any, float | None]]:
        async def send(i: int) -> float | None:
            return await self.wechat(
                self.openid(label, i % citizens), QUESTIONS[i % len(QUESTIONS)]
            )

        return send

    def rest_sender(
        self, citizens: int, label: str
    ) -> Callable[[int], Coroutine[Any, Any, float | None]]:
        async def send(i: int) -> float | None:
            sender = self.openid(label, i % citizens)
            return await self.rest_call(sender, QUESTIONS[i % len(QUESTIONS)])

        return send


async def capacity(
    senders: dict[str, Callable[[str], Callable[[int], Coroutine[Any, Any, float | None]]]],
    rates: list[float],
    step: float,
) -> dict[str, float]:
    """The ramp, the channels taking turns at each rate (a shared machine's load drifts)."""
    best = {name: 0.0 for name in senders}
    going = set(senders)
    for rate in rates:
        for name, sender in senders.items():
            if name not in going:
                continue
            run = await steady(rate, step, sender(f"c{name[0]}{int(rate)}"))
            ok = run.failures == 0 and run.p99 < DEADLINE
            print(
                f"    {name:6s} {rate:6.0f} msg/s: {run.summary()}  {'ok' if ok else 'over'}",
                flush=True,
            )
            if ok:
                best[name] = rate
            else:
                going.discard(name)
            await asyncio.sleep(3)  # let the queue drain between steps
        if not going:
            break
    return best


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    from importlib.metadata import version

    return (
        f"{os.cpu_count()} CPU ({cpu}), {mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Rasa {version('rasa')}, wechatpy {version('wechatpy')}"
    )


async def measure(args: argparse.Namespace, bench: Bench, r: redis.Redis) -> dict[str, object]:
    figures: dict[str, object] = {}
    print("warming up …", flush=True)
    for i in range(20):
        await bench.wechat(bench.openid("w", i), QUESTIONS[i % len(QUESTIONS)])
        await bench.rest_call(bench.openid("rw", i), QUESTIONS[i % len(QUESTIONS)])

    print(f"\n1. latency: {args.rate:g} msg/s from {args.citizens} citizens for {args.seconds:g} s")
    # The two channels take turns in blocks, so that a change in the machine's load (it is
    # shared) weighs on both alike.
    wechat, rest = Run(), Run()
    blocks = max(1, int(args.seconds // args.block))
    for _ in range(blocks):
        for run, sender in (
            (wechat, bench.wechat_sender(args.citizens, "l")),
            (rest, bench.rest_sender(args.citizens, "r")),
        ):
            part = await steady(args.rate, args.seconds / blocks, sender)
            run.latencies += part.latencies
            run.failures += part.failures
            run.sent += part.sent
            await asyncio.sleep(1)
    print(f"   WeChat (passive reply): {wechat.summary()}", flush=True)
    print(f"   REST channel:           {rest.summary()}", flush=True)
    ratio = pct(wechat.latencies, 50) / pct(rest.latencies, 50)
    figures["latency"] = {
        "wechat_ms": [round(pct(wechat.latencies, p) * 1000, 1) for p in (50, 95, 99)],
        "rest_ms": [round(pct(rest.latencies, p) * 1000, 1) for p in (50, 95, 99)],
        "p50_ratio": round(ratio, 2),
    }
    print(
        f"   p99 ≤ 300 ms: {'yes' if wechat.p99 <= 0.3 else 'NO'};  p50 WeChat/REST = {ratio:.2f} (≤ 1.2: {'yes' if ratio <= 1.2 else 'NO'})"
    )

    print(f"\n2. capacity: highest steady rate with p99 < {DEADLINE} s ({args.step:g} s steps)")
    rates = [float(x) for x in args.rates.split(",")]
    caps = await capacity(
        {
            "WeChat": lambda label: bench.wechat_sender(args.citizens, label),
            "REST": lambda label: bench.rest_sender(args.citizens, label),
        },
        rates,
        args.step,
    )
    cap_wechat, cap_rest = caps["WeChat"], caps["REST"]
    cap_ratio = cap_wechat / cap_rest if cap_rest else float("nan")
    figures["capacity"] = {"wechat": cap_wechat, "rest": cap_rest, "ratio": round(cap_ratio, 2)}
    print(
        f"   WeChat {cap_wechat:g} msg/s, REST {cap_rest:g} msg/s: ratio {cap_ratio:.2f} (≥ 0.8: {'yes' if cap_ratio >= 0.8 else 'NO'})"
    )
    await asyncio.sleep(5)

    print(
        f"\n3. duplicates: {args.dup_messages} messages at {args.rate:g} msg/s, each delivered 3×"
    )
    dup_citizens = args.citizens

    async def triple(i: int) -> float | None:
        openid = bench.openid("d", i % dup_citizens)
        outcome = await bench.driver.push(
            text_xml(openid, QUESTIONS[i % len(QUESTIONS)]), repeat=3, gap=0.3
        )
        return outcome.latency if outcome.ok else None

    dup = await steady(args.rate, args.dup_messages / args.rate, triple)
    await asyncio.sleep(3)
    turns = 0
    for c in range(dup_citizens):
        stored = r.get(f"banshi:tracker:{bench.openid('d', c)}")
        if stored:
            turns += sum(1 for e in json.loads(stored)["events"] if e.get("event") == "user")
    deliveries = dup.sent * 3
    figures["duplicates"] = {
        "messages": dup.sent,
        "deliveries": deliveries,
        "turns": turns,
        "duplicate_turns": turns - dup.sent,
    }
    print(
        f"   {deliveries} deliveries of {dup.sent} messages → {turns} dialogue turns: {turns - dup.sent} duplicate turns, {dup.failures} failed pushes"
    )

    print(
        f"\n4. lost answers: actions slowed to 6 s, {args.slow_messages} messages from {args.slow_citizens} citizens"
    )
    sent: dict[str, int] = {}
    passive: dict[str, int] = {}

    async def slow(i: int) -> float | None:
        openid = bench.openid("slow", i % args.slow_citizens)
        sent[openid] = sent.get(openid, 0) + 1
        outcome = await bench.driver.push(text_xml(openid, SLOW_QUESTIONS[i % len(SLOW_QUESTIONS)]))
        if outcome.reply is not None:
            passive[openid] = passive.get(openid, 0) + 1
        return outcome.latency if outcome.ok else None

    slow_run = await steady(2.0, args.slow_messages / 2.0, slow)
    per_citizen = args.slow_messages / args.slow_citizens
    wait = per_citizen * 6.5 + 15
    deadline = time.monotonic() + wait
    lost = args.slow_messages
    while time.monotonic() < deadline:
        lost = sum(
            max(0, n - passive.get(o, 0) - len(bench.standin.api.delivered(o)))
            for o, n in sent.items()
        )
        if lost == 0:
            break
        await asyncio.sleep(1)
    cs = sum(len(bench.standin.api.delivered(o)) for o in sent)
    extra = sum(
        max(0, passive.get(o, 0) + len(bench.standin.api.delivered(o)) - n) for o, n in sent.items()
    )
    figures["slow"] = {
        "messages": slow_run.sent,
        "passive": sum(passive.values()),
        "customer_service": cs,
        "lost": lost,
        "extra": extra,
        "reply_p99_ms": round(slow_run.p99 * 1000, 1),
    }
    print(
        f"   {slow_run.sent} messages: {sum(passive.values())} answered passively, {cs} by 客服消息, "
        f"{lost} lost, {extra} extra; every reply in time (p99 {slow_run.p99 * 1000:.0f} ms, failed {slow_run.failures})"
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--block", type=float, default=15.0, help="seconds per latency block")
    parser.add_argument("--rates", default="10,20,25,30,35,40,50,60,80", help="capacity ramp")
    parser.add_argument("--step", type=float, default=15.0, help="seconds per capacity step")
    parser.add_argument("--dup-messages", type=int, default=200)
    parser.add_argument("--slow-messages", type=int, default=30)
    parser.add_argument("--slow-citizens", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="short run (smoke test)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.block, args.step, args.rates = 10.0, 5.0, 5.0, "10,30"
        args.dup_messages, args.slow_messages, args.slow_citizens = 30, 6, 3
    model = model_path()
    if not model.exists():
        print(f"no model at {model}: run `banshi train` first", file=sys.stderr)
        return 2
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    tag = uuid.uuid4().hex[:5]
    tmp = Path(tempfile.mkdtemp(prefix="wechat-bench-"))
    database_url = os.environ.get("DATABASE_URL") or load_settings().database_url
    migrate(make_engine(database_url))
    standin = BackgroundStandin(StandinAPI(appid=APPID, secret=SECRET)).start()
    from bot.action_server import free_port

    port = args.port or free_port()
    env = {
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_APPSECRET": SECRET,
        "WECHAT_API_BASE_URL": standin.api_base,
        "BANSHI_SLOW_ACTION_SECONDS": "6",
    }
    print(f"machine: {machine()}")
    print(
        f"model: {model} ({model.stat().st_size / 1e6:.0f} MB); database {database_url.split('@')[-1]}; Redis {redis_url}"
    )
    print(
        "starting the assistant (banshi run --rest --actions wechat_standin.slow_actions) …",
        flush=True,
    )
    started = time.monotonic()
    assistant = start_assistant(
        model,
        port=port,
        actions_module="wechat_standin.slow_actions",
        rest=True,
        env=env,
        log_dir=tmp,
    )
    print(f"ready in {time.monotonic() - started:.0f} s; logs in {tmp}", flush=True)
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    bench = Bench(
        assistant.webhook_url, assistant.base_url + "/webhooks/rest/webhook", standin, tag
    )
    try:
        figures = asyncio.run(measure(args, bench, r))
        print("\nfigures: " + json.dumps(figures, ensure_ascii=False))
    finally:
        assistant.stop()
        standin.stop()
        keys = list(r.scan_iter(match=f"*{tag}*", count=1000))
        if keys:
            r.delete(*keys)
        r.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
