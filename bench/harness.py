"""What the WeChat benchmarks share: a running assistant, open-loop load, percentiles.

:func:`live_assistant` starts ``banshi run``'s machinery (the Rasa server with the WeChat
channel and Rasa's REST channel on the same model, the action server ``app.slow_actions``)
with the stand-in's API side receiving 客服消息 and Redis db 15 for the stores, and cleans
Redis up afterwards. :func:`steady` offers load at a fixed rate whatever the replies are doing
(open loop: a slow server does not slow the arrivals down, as with real citizens).
:class:`CpuMeter` says where the CPU went while it did, process by process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.run import Assistant, free_port, start_assistant  # noqa: E402
from app.settings import load_settings  # noqa: E402
from app.training import model_path  # noqa: E402
from banshi.db import make_engine, migrate  # noqa: E402
from wechat_standin.api import StandinAPI  # noqa: E402
from wechat_standin.driver import Account, PushDriver, text_xml  # noqa: E402
from wechat_standin.server import BackgroundStandin  # noqa: E402

TOKEN, APPID, SECRET = "bench-token", "wxbench00000000001", "bench-secret"
DEADLINE = 4.5  # WeChat's passive budget
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

Sender = Callable[[int], Coroutine[Any, Any, "float | None"]]


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds
    failures: int = 0
    sent: int = 0

    def add(self, other: Run) -> None:
        self.latencies += other.latencies
        self.failures += other.failures
        self.sent += other.sent

    def ms(self, p: float) -> float:
        return round(pct(self.latencies, p) * 1000, 1)

    def summary(self) -> str:
        return (
            f"p50 {self.ms(50):7.1f} ms  p95 {self.ms(95):7.1f} ms  p99 {self.ms(99):7.1f} ms"
            f"  (n={self.sent}, failed {self.failures})"
        )

    @property
    def p99(self) -> float:
        return pct(self.latencies, 99) if self.latencies else float("inf")


async def steady(rate: float, seconds: float, send: Sender) -> Run:
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


class Load:
    """Senders of signed WeChat pushes and of REST-channel messages."""

    def __init__(self, webhook: str, rest: str, tag: str) -> None:
        self.webhook = webhook
        self.rest = rest
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

    def wechat_sender(self, citizens: int, label: str) -> Sender:
        async def send(i: int) -> float | None:
            return await self.wechat(
                self.openid(label, i % citizens), QUESTIONS[i % len(QUESTIONS)]
            )

        return send

    def rest_sender(self, citizens: int, label: str) -> Sender:
        async def send(i: int) -> float | None:
            sender = self.openid(label, i % citizens)
            return await self.rest_call(sender, QUESTIONS[i % len(QUESTIONS)])

        return send

    async def warm_up(self, messages: int = 20) -> None:
        for i in range(messages):
            await self.wechat(self.openid("w", i), QUESTIONS[i % len(QUESTIONS)])
            await self.rest_call(self.openid("rw", i), QUESTIONS[i % len(QUESTIONS)])

    async def aclose(self) -> None:
        await self.client.aclose()


@dataclass
class Live:
    assistant: Assistant
    standin: BackgroundStandin
    redis: redis.Redis
    tag: str
    redis_url: str
    database_url: str
    log_dir: Path

    def load(self) -> Load:
        return Load(
            self.assistant.webhook_url,
            self.assistant.base_url + "/webhooks/rest/webhook",
            self.tag,
        )


@contextlib.contextmanager
def live_assistant(
    workers: int = 1,
    slow_seconds: float = 6.0,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Live]:
    """The assistant on a trained model, the stand-in's API side, Redis (REDIS_URL, default
    db 15; this run's keys are deleted afterwards). ``extra_env``: for both servers besides."""
    model = model_path()
    if not model.exists():
        raise SystemExit(f"no model at {model}: run `banshi train` first")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    tag = uuid.uuid4().hex[:5]
    log_dir = Path(tempfile.mkdtemp(prefix="wechat-bench-"))
    database_url = database_url or os.environ.get("DATABASE_URL") or load_settings().database_url
    migrate(make_engine(database_url))
    standin = BackgroundStandin(StandinAPI(appid=APPID, secret=SECRET)).start()
    env = {
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_APPSECRET": SECRET,
        "WECHAT_API_BASE_URL": standin.api_base,
        "BANSHI_SLOW_ACTION_SECONDS": str(slow_seconds),
        # far above the bench's rate per citizen: the limiter must not shape the figures
        "WECHAT_RATE_LIMIT": "100000",
        **(extra_env or {}),
    }
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assistant = None
    try:
        assistant = start_assistant(
            model,
            port=free_port(),
            actions_module="app.slow_actions",
            rest=True,
            workers=workers,
            env=env,
            log_dir=log_dir,
        )
        yield Live(assistant, standin, client, tag, redis_url, database_url, log_dir)
    finally:
        if assistant is not None:
            assistant.stop()
        standin.stop()
        keys = list(client.scan_iter(match=f"*{tag}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot (/proc/stat)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    """How busy all cores were between two :func:`cpu_times` readings (0..1)."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else float("nan")


TICK = os.sysconf("SC_CLK_TCK")  # the unit of /proc/stat and /proc/<pid>/stat times
CpuReading = tuple[tuple[float, float], dict[int, float]]  # cpu_times(), CPU s by pid


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process (all its threads) since it started; None once
    it is gone. From /proc/<pid>/stat (psutil is not in the venv)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # after the command in parentheses (which may hold spaces): field 3 onwards; utime and
    # stime are fields 14 and 15 (proc(5))
    fields = text.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def redis_pid(client: redis.Redis) -> int | None:
    """The Redis server's pid, if it runs on this machine (INFO's process_id names a
    redis-server here)."""
    try:
        pid = int(client.info("server")["process_id"])
        comm = Path(f"/proc/{pid}/comm").read_text()
    except (redis.RedisError, KeyError, ValueError, OSError):
        return None
    return pid if comm.startswith("redis") else None


@dataclass(frozen=True)
class CpuShare:
    """CPU milliseconds per message sent over one stretch of load, by part: ``rasa`` (the
    Rasa server, or its main process with several workers), ``workers`` (their sum),
    ``actions``, ``redis`` (when it runs here), ``bench`` (this process: the load, its
    signing and HTTP client, and the stand-in's API side), ``other`` (the rest of the
    machine's busy time) and ``total``."""

    ms: dict[str, float]
    worker_ms: list[float]  # each Rasa worker
    busy: float  # how busy all cores were (0..1)

    def line(self) -> str:
        parts = []
        for name, value in self.ms.items():
            text = f"{name} {value:.1f}"
            if name == "workers" and len(self.worker_ms) > 1:
                text += " (" + " + ".join(f"{v:.1f}" for v in self.worker_ms) + ")"
            parts.append(text)
        return "CPU ms/msg: " + " · ".join(parts)


class CpuMeter:
    """Where the CPU goes while the assistant takes load, process by process: the processes
    :meth:`Assistant.memory` enumerates, Redis and this one."""

    def __init__(self, live: Live) -> None:
        rasa, actions = live.assistant.rasa.pid, live.assistant.actions.process.pid
        self.parts: dict[str, list[int]] = {"rasa": [rasa], "workers": [], "actions": [actions]}
        for process in live.assistant.memory():
            if process.pid not in (rasa, actions):
                self.parts["workers"].append(process.pid)
        pid = redis_pid(live.redis)
        if pid is not None:
            self.parts["redis"] = [pid]
        self.parts["bench"] = [os.getpid()]

    def read(self) -> CpuReading:
        seconds = {}
        for pids in self.parts.values():
            for pid in pids:
                value = process_cpu(pid)
                if value is not None:
                    seconds[pid] = value
        return cpu_times(), seconds

    def share(self, before: CpuReading, after: CpuReading, messages: int) -> CpuShare | None:
        """Per message sent between two readings; None without messages."""
        if messages <= 0:
            return None

        def ms(pid: int) -> float:
            if pid not in before[1] or pid not in after[1]:
                return 0.0
            return (after[1][pid] - before[1][pid]) * 1000 / messages

        out = {name: sum((ms(pid) for pid in pids), 0.0) for name, pids in self.parts.items()}
        total = (after[0][0] - before[0][0]) / TICK * 1000 / messages
        # may dip below 0 by the tick's resolution (10 ms over the whole stretch)
        out["other"] = total - sum(out.values())
        out["total"] = total
        order = ("rasa", "workers", "actions", "redis", "bench", "other", "total")
        return CpuShare(
            {name: round(out[name], 1) for name in order if name in out},
            [round(ms(pid), 1) for pid in self.parts["workers"]],
            busy_share(before[0], after[0]),
        )


def machine() -> dict[str, str]:
    """What the figures were measured on, and how busy it was."""
    cpu = mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB"
    from importlib.metadata import version

    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "ram": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "rasa": version("rasa"),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
