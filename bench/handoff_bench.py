"""Benchmark of 转人工 (issue 16): how soon a citizen's message reaches the staff page —
"a handoff message citizen → staff page ≤ 1 s p95 on this machine".

The assistant as ``banshi run`` starts it (:func:`harness.live_assistant`: the Rasa server with
the WeChat channel on the trained model, Redis db 15, a fresh SQLite database), and the staff
console as its own process, started twice over the same database: with ``REDIS_URL`` (the
page is woken by Redis pub/sub, as ``banshi run`` starts it with Redis) and without (the
embedded default: the waiting page re-reads its version every 150 ms).

``--citizens`` citizens are each held by a member of staff (taken before the clock starts).
They send ``--messages`` messages in all as signed WeChat pushes to the channel, open loop at
``--rate`` messages a second, round robin. For each citizen a staff client waits on the
console's long-poll endpoint (``GET /handoff/{id}/log?seen=…``) as the page does, asking again
as soon as an answer arrives. Latency: from just before the push is sent to the moment the
staff endpoint's answer holding that line has arrived. Target: p95 ≤ 1 s.

    cd /work/main && .venv/bin/python bench/handoff_bench.py [--citizens 8] [--messages 240]
        [--rate 4] [--skip-polling] [--json PATH] [--update-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import figures  # noqa: E402
import httpx  # noqa: E402
from harness import Live, Load, live_assistant, machine, pct  # noqa: E402

from app.run import free_port  # noqa: E402
from banshi.calendar import seed_from_chinesecalendar  # noqa: E402
from banshi.db import make_engine, migrate, session_scope  # noqa: E402
from banshi.handoff.service import HandoffService  # noqa: E402
from banshi.privacy.crypto import FieldCipher  # noqa: E402
from banshi.staff.accounts import add_staff  # noqa: E402
from banshi.staff.passwords import PasswordHashing  # noqa: E402
from wechat_standin.driver import text_xml  # noqa: E402

BASELINE = ROOT / "bench" / "baseline-handoff.json"
TARGET_P95 = 1.0  # seconds
PASSWORD = "Bench-desk-2026!"
CHEAP = PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1)  # a bench's accounts
TAKEN_AT = datetime(2026, 12, 7, 10, 0)  # a Monday morning: within service hours
HTMX = {"HX-Request": "true"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SEEN = re.compile(r'hx-get="/handoff/\d+/log\?seen=([^"]+)"')
_MARK = re.compile(r"第(\d+)条")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


@dataclass
class Phase:
    """One console's measurements: latency per message, and what went wrong."""

    name: str
    sent: dict[int, float] = field(default_factory=dict)  # message -> when its push began
    latencies: dict[int, float] = field(default_factory=dict)  # message -> seconds
    push_seconds: dict[int, float] = field(default_factory=dict)  # message -> its push's
    failed_pushes: int = 0
    polls: int = 0

    def ms(self, p: float, values: list[float] | None = None) -> float:
        return round(pct(list(self.latencies.values()) if values is None else values, p) * 1000, 1)


@contextlib.contextmanager
def console_process(live: Live, redis: bool, log_dir: Path) -> Iterator[str]:
    """``banshi console`` over the assistant's database, with or without Redis; its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": live.database_url,
        "BANSHI_CONSOLE_INSECURE_COOKIES": "1",  # plain HTTP on localhost
    }
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = live.redis_url
    log = (log_dir / f"console-{'redis' if redis else 'polling'}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "console", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the console exited; see {log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"the console did not start; see {log.name}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def hold(live: Live, citizens: list[str], staff: list[str]) -> list[int]:
    """Each citizen asks for a person and is taken by one of ``staff`` (not timed)."""
    engine = make_engine(live.database_url)
    migrate(engine)
    with session_scope(engine) as session:
        seed_from_chinesecalendar(session)
        for name in staff:
            add_staff(session, name, "admin", None, PASSWORD, hashing=CHEAP)
    people = HandoffService(engine, FieldCipher(b"bench-key-not-used-for-anything-here"))
    ids = []
    for i, openid in enumerate(citizens):
        _said, held = people.request(openid, TAKEN_AT, "我想咨询一下办理进度")
        assert held, "转人工 was refused: outside service hours?"
        [handoff_id] = [w.id for w in people.list_waiting(TAKEN_AT) if w.who == "…" + openid[-4:]]
        people.take(handoff_id, staff[i % len(staff)], TAKEN_AT)
        ids.append(handoff_id)
    engine.dispose()
    return ids


async def sign_in(base: str, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
    form = await client.get("/login")
    found = _CSRF.search(form.text)
    assert found, "no sign-in form"
    data = {"username": username, "password": PASSWORD, "csrf_token": found.group(1)}
    signed = await client.post("/login", data=data)
    assert signed.status_code == 303, f"sign-in refused: {signed.status_code}"
    return client


async def follow(
    client: httpx.AsyncClient, handoff_id: int, phase: Phase, stop: asyncio.Event
) -> None:
    """A staff page on one conversation: ask, take what came, ask again at once."""
    page = await client.get(f"/handoff/{handoff_id}")
    found = _SEEN.search(page.text)
    assert found, f"the page of handoff {handoff_id} does not ask for news"
    seen = found.group(1)
    shown: set[int] = {int(n) for n in _MARK.findall(page.text)}
    while not stop.is_set():
        answer = await client.get(f"/handoff/{handoff_id}/log?seen={seen}", headers=HTMX)
        arrived = time.perf_counter()
        phase.polls += 1
        found = _SEEN.search(answer.text)
        if found is None:
            raise RuntimeError(f"handoff {handoff_id}: {answer.status_code} without a next ask")
        seen = found.group(1)
        for number in {int(n) for n in _MARK.findall(answer.text)} - shown:
            shown.add(number)
            if number in phase.sent:
                phase.latencies[number] = arrived - phase.sent[number]


async def measure(
    live: Live,
    base: str,
    phase: Phase,
    citizens: list[str],
    ids: list[int],
    staff: list[str],
    messages: int,
    rate: float,
    offset: int,
) -> None:
    clients = {name: await sign_in(base, name) for name in staff}
    stop = asyncio.Event()
    followers = [
        asyncio.create_task(follow(clients[staff[i % len(staff)]], ids[i], phase, stop))
        for i in range(len(ids))
    ]
    await asyncio.sleep(1.0)  # every page is waiting
    load = Load(live.assistant.webhook_url, "", live.tag)

    async def push(number: int) -> None:
        openid = citizens[number % len(citizens)]
        text = f"第{number}条：请问材料还缺什么？"
        phase.sent[number] = time.perf_counter()
        outcome = await load.driver.push(text_xml(openid, text))
        if not outcome.ok or outcome.reply is not None:  # held: `success`, nothing said
            phase.failed_pushes += 1
        elif outcome.latency is not None:
            phase.push_seconds[number] = outcome.latency

    start = time.monotonic()
    pushes = []
    for k in range(messages):
        delay = start + k / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pushes.append(asyncio.create_task(push(offset + k)))
    await asyncio.gather(*pushes)
    deadline = time.monotonic() + 10
    while len(phase.latencies) < len(phase.sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    stop.set()
    for task in followers:
        task.cancel()
    await asyncio.gather(*followers, return_exceptions=True)
    for client in clients.values():
        await client.aclose()
    await load.aclose()


def report(phase: Phase, blocks: int = 4) -> dict[str, figures.Figure]:
    ordered = [phase.latencies[k] for k in sorted(phase.latencies)]
    size = max(1, len(ordered) // blocks)
    chunks = [ordered[i : i + size] for i in range(0, len(ordered), size)][:blocks]
    lost = len(phase.sent) - len(phase.latencies)
    print(
        f"  {phase.name}: {len(phase.latencies)}/{len(phase.sent)} messages reached the staff"
        f" page; p50 {phase.ms(50)} ms, p95 {phase.ms(95)} ms, p99 {phase.ms(99)} ms,"
        f" max {phase.ms(100)} ms; {phase.polls} answers to the staff pages;"
        f" the push itself p50 {phase.ms(50, list(phase.push_seconds.values()))} ms;"
        f" pushes failed or answered by the bot: {phase.failed_pushes}"
    )
    if phase.sent:
        began = min(phase.sent.values())
        slowest = sorted(phase.latencies, key=phase.latencies.__getitem__)[-5:][::-1]
        print(
            "    slowest: "
            + ", ".join(
                f"#{k} at {phase.sent[k] - began:.1f} s: {phase.latencies[k] * 1000:.0f} ms"
                f" (its push {phase.push_seconds.get(k, float('nan')) * 1000:.0f})"
                for k in slowest
            )
        )
    figs = {}
    for p in (50, 95, 99):
        noise = figures.noise_of([pct(c, p) * 1000 for c in chunks])
        figs[f"{phase.name}_p{p}_ms"] = figures.Figure(phase.ms(p), round(noise, 1), "lower", "ms")
    figs[f"{phase.name}_lost"] = figures.Figure(float(lost), 0.0, "zero", "count")
    return figs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=8)
    parser.add_argument("--messages", type=int, default=240, help="per console")
    parser.add_argument("--rate", type=float, default=4.0, help="messages a second, in all")
    parser.add_argument("--staff", type=int, default=3, help="members of staff (sessions)")
    parser.add_argument("--skip-polling", action="store_true", help="only the Redis console")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--update-baseline", action="store_true")
    args = parser.parse_args()
    about = {
        "machine": machine(),
        "uptime_before": uptime(),
        "args": vars(args) | {"json": str(args.json)},
    }
    print(f"handoff bench — {about['uptime_before']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="handoff-bench-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'banshi.db'}"
        migrate(make_engine(database_url))
        found: dict[str, figures.Figure] = {}
        with live_assistant(database_url=database_url) as live:
            load = Load(live.assistant.webhook_url, "", live.tag)
            citizens = [load.openid("h", i) for i in range(args.citizens)]
            staff = [f"bench-{live.tag}-{i}" for i in range(args.staff)]
            ids = hold(live, citizens, staff)
            modes = [("redis", True)] + ([] if args.skip_polling else [("polling", False)])
            for offset, (name, redis) in enumerate(modes):
                with console_process(live, redis, Path(tmp)) as base:
                    phase = Phase(name)
                    print(
                        f"{name}: {args.messages} messages from {args.citizens} citizens at"
                        f" {args.rate}/s, {len(staff)} staff sessions …",
                        flush=True,
                    )
                    asyncio.run(
                        measure(
                            live,
                            base,
                            phase,
                            citizens,
                            ids,
                            staff,
                            args.messages,
                            args.rate,
                            offset * 100_000,
                        )
                    )
                    found |= report(phase)
    about["uptime_after"] = uptime()
    print(f"after — {about['uptime_after']}")
    ok = all(
        found[f"{name}_p95_ms"].value <= TARGET_P95 * 1000 and found[f"{name}_lost"].value == 0
        for name in ("redis", "polling")
        if f"{name}_p95_ms" in found
    )
    print(f"target p95 ≤ {TARGET_P95 * 1000:.0f} ms: {'met' if ok else 'MISSED'}")
    if args.json:
        figures.write(args.json, found, about)
    if args.update_baseline:
        figures.write(BASELINE, found, about)
        print(f"baseline written: {BASELINE}")
        return 0 if ok else 1
    lines, worse = figures.report(found, BASELINE)
    print("\n".join(lines))
    return 0 if ok and not worse else 1


if __name__ == "__main__":
    raise SystemExit(main())
