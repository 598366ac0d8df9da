"""Benchmark of the WeChat channel (issues 4 and 18): latency, capacity, workers, guarantees.

Starts the assistant (``banshi run`` machinery: the Rasa server with the WeChat channel *and*
Rasa's REST channel on the same model, the action server ``app.slow_actions`` — the real
actions, slowed past 5 s only for OpenIDs containing "slow") with the stand-in's API side
receiving 客服消息, then measures:

  1. one worker: latency at a steady rate (default 10 msg/s) from 50 simulated citizens:
     p50/p95/p99 of the passive reply through signed pushes, and of the same load through
     the REST channel (the two take turns in 15-second blocks; the spread of the blocks is
     the noise);
  2. one worker: capacity, the highest steady rate (a ramp of 15-second steps, the channels
     taking turns at each rate, then the gap between the rate held and the first not held
     halved until it is ``--resolution`` msg/s narrow) at which p99 stays under 4.5 s
     (WeChat's passive budget);
     at each step, the CPU milliseconds per message of each process (the Rasa server, its
     workers, the action server, Redis, this bench) and of the rest of the machine;
  3. ``--workers`` workers (default: the cores): the memory of every process and the WeChat
     capacity again, with the CPU per message, and the scaling that CPU allows;
  4. on those workers, duplicates: every push delivered 3 times (0, 0.3 and 0.6 s apart):
     dialogue turns counted in the tracker store (Redis) must equal the messages sent;
  5. on those workers, lost answers: actions made slower than 5 s (6 s): every push must get
     its answer, passively or as a 客服消息.

The figures are written as JSON (``--json``) and compared with ``bench/baseline-wechat.json``:
a figure worse than the baseline by more than the noise measured is named, and the exit status
is 1. ``--update-baseline`` makes this run the baseline (on purpose: say why in the commit).

    cd /work/main && .venv/bin/python bench/wechat_bench.py [--quick] [--json out.json]

Needs a trained model (``banshi train``) and Redis (REDIS_URL, default db 15; keys are
tagged per run and deleted afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import figures as fig  # noqa: E402
from harness import (  # noqa: E402
    DEADLINE,
    QUESTIONS,
    CpuMeter,
    CpuShare,
    Live,
    Load,
    Run,
    Sender,
    live_assistant,
    machine,
    pct,
    steady,
)

from wechat_standin.driver import text_xml  # noqa: E402

BASELINE = HERE / "baseline-wechat.json"
# Short answers only (one text each), so that answers can be counted per push.
SLOW_QUESTIONS = ["护照办理收费吗", "居住证办理要多久", "新生儿落户要跑几次"]
Figures = dict[str, fig.Figure]


async def latency(args: argparse.Namespace, load: Load, out: Figures) -> None:
    print(f"\n1. latency: {args.rate:g} msg/s from {args.citizens} citizens for {args.seconds:g} s")
    # The two channels take turns in blocks, so that a change in the machine's load (it is
    # shared) weighs on both alike; the spread of the blocks is the noise.
    wechat, rest = Run(), Run()
    blocks: dict[str, list[Run]] = {"wechat": [], "rest": []}
    for _ in range(max(1, int(args.seconds // args.block))):
        for name, run, sender in (
            ("wechat", wechat, load.wechat_sender(args.citizens, "l")),
            ("rest", rest, load.rest_sender(args.citizens, "r")),
        ):
            part = await steady(args.rate, args.block, sender)
            blocks[name].append(part)
            run.add(part)
            await asyncio.sleep(1)
    print(f"   WeChat (passive reply): {wechat.summary()}")
    print(f"   REST channel:           {rest.summary()}")
    for name, run in (("wechat", wechat), ("rest", rest)):
        for p in (50, 95, 99):
            noise = fig.noise_of([b.ms(p) for b in blocks[name]])
            out[f"latency.{name}.p{p}_ms"] = fig.Figure(run.ms(p), noise, "lower", "ms")
        out[f"latency.{name}.failed"] = fig.Figure(run.failures, 0, "lower", "count")
    ratios = [w.ms(50) / r.ms(50) for w, r in zip(blocks["wechat"], blocks["rest"], strict=True)]
    ratio = pct(wechat.latencies, 50) / pct(rest.latencies, 50)
    out["latency.p50_ratio"] = fig.Figure(round(ratio, 2), fig.noise_of(ratios), "lower")
    print(
        f"   p99 ≤ 300 ms: {'yes' if wechat.p99 <= 0.3 else 'NO'};  p50 WeChat/REST = "
        f"{ratio:.2f} (≤ 1.2: {'yes' if ratio <= 1.2 else 'NO'})"
    )


@dataclass(frozen=True)
class Held:
    """The highest rate a channel held, where the CPU went at that step, and the lowest rate
    it was seen not to hold (0: none tried)."""

    rate: float = 0.0
    cpu: CpuShare | None = None
    over: float = 0.0

    @property
    def noise(self) -> float:
        """How far the capacity may lie above the rate held: the gap to the rate not held."""
        return (self.over - self.rate) if self.over else self.rate * 0.25


async def _try(
    name: str, rate: float, sender: Sender, step: float, meter: CpuMeter
) -> tuple[bool, CpuShare | None]:
    """One step of the ramp: ``rate`` for ``step`` seconds; whether p99 stayed in budget."""
    before = meter.read()
    run = await steady(rate, step, sender)
    cpu = meter.share(before, meter.read(), run.sent)
    busy = f"{cpu.busy:4.0%}" if cpu else "   ?"
    ok = run.failures == 0 and run.p99 < DEADLINE
    print(
        f"    {name:6s} {rate:6.1f} msg/s: {run.summary()}  cores {busy} busy  "
        f"{'ok' if ok else 'over'}",
        flush=True,
    )
    if cpu:
        print(f"      {cpu.line()}")
    await asyncio.sleep(3)  # let the queue drain between steps
    return ok, cpu


async def ramp(
    senders: dict[str, Callable[[str], Sender]],
    rates: list[float],
    step: float,
    meter: CpuMeter,
    resolution: float = 0.0,
) -> dict[str, Held]:
    """The highest rate each channel holds with p99 under the budget; the channels take turns
    at each rate (a shared machine's load drifts). Then, while a channel's gap between the
    rate it held and the first it did not is wider than ``resolution`` msg/s, the gap is
    halved (the channels again taking turns, one trial each per round)."""
    best = {name: Held() for name in senders}
    going = set(senders)
    for rate in rates:
        for name, sender in senders.items():
            if name not in going:
                continue
            ok, cpu = await _try(name, rate, sender(f"c{name[0]}{int(rate * 10)}"), step, meter)
            if ok:
                best[name] = Held(rate, cpu)
            else:
                best[name] = Held(best[name].rate, best[name].cpu, over=rate)
                going.discard(name)
        if not going:
            break
    if resolution <= 0:
        return best
    print(f"    bisecting to {resolution:g} msg/s")
    while True:
        narrowing = {
            name: held
            for name, held in best.items()
            if held.over and held.over - held.rate > resolution
        }
        if not narrowing:
            return best
        for name, held in narrowing.items():
            rate = round((held.rate + held.over) / 2 * 2) / 2  # to half a message a second
            if not held.rate < rate < held.over:  # the gap cannot be halved any further
                best[name] = Held(held.rate, held.cpu, held.rate + resolution)
                continue
            trial = senders[name](f"b{name[0]}{int(rate * 10)}")
            ok, cpu = await _try(name, rate, trial, step, meter)
            best[name] = Held(rate, cpu, held.over) if ok else Held(held.rate, held.cpu, rate)


def _record_cpu(out: Figures, prefix: str, held: Held) -> None:
    """The CPU per message at the highest step held, as informational figures."""
    if held.cpu is not None:
        for part, value in held.cpu.ms.items():
            out[f"{prefix}.{part}_ms"] = fig.Figure(value, 0.0, "info", "ms")


def _cpu_bound(held: Held, workers: int, cores: int, one: float) -> str:
    """What the CPU per message allows at a sustained rate: ``workers`` workers share the
    ``cores`` with everything else (W + O per message), one worker has one core for its W;
    ``one``: the capacity one worker measured (the scaling's denominator)."""
    if held.cpu is None:
        return "   CPU bound: no step held"
    w = held.cpu.ms["workers"] or held.cpu.ms["rasa"]
    o = held.cpu.ms["total"] - w
    if w <= 0 or w + o <= 0:
        return "   CPU bound: no worker CPU measured"
    most = cores * 1000 / (w + o)
    lines = (
        f"   CPU at {held.rate:g} msg/s: the workers W {w:.1f} ms/msg, everything else "
        f"O {o:.1f} ms/msg, {cores} cores\n"
        f"   → {workers} workers ≤ {cores}·1000/(W+O) = {most:.1f} msg/s (held {held.rate:g}); "
        f"one worker ≤ 1000/W = {1000 / w:.1f} msg/s"
    )
    if one:
        lines += f"; over the {one:g} msg/s one worker held, scaling ≤ {most / one:.2f}×"
    return lines


async def duplicates(args: argparse.Namespace, live: Live, load: Load, out: Figures) -> None:
    print(
        f"\n4. duplicates: {args.dup_messages} messages at {args.rate:g} msg/s, each delivered 3×"
    )

    async def triple(i: int) -> float | None:
        openid = load.openid("d", i % args.citizens)
        question = QUESTIONS[i % len(QUESTIONS)]
        outcome = await load.driver.push(text_xml(openid, question), repeat=3, gap=0.3)
        return outcome.latency if outcome.ok else None

    dup = await steady(args.rate, args.dup_messages / args.rate, triple)
    await asyncio.sleep(3)
    turns = 0
    for c in range(args.citizens):
        stored = live.redis.get(f"banshi:tracker:{load.openid('d', c)}")
        if stored:
            turns += sum(1 for e in json.loads(stored)["events"] if e.get("event") == "user")
    out["duplicates.duplicate_turns"] = fig.Figure(turns - dup.sent, 0, "zero", "count")
    out["duplicates.failed_pushes"] = fig.Figure(dup.failures, 0, "zero", "count")
    print(
        f"   {dup.sent * 3} deliveries of {dup.sent} messages → {turns} dialogue turns: "
        f"{turns - dup.sent} duplicate turns, {dup.failures} failed pushes"
    )


async def lost(args: argparse.Namespace, live: Live, load: Load, out: Figures) -> None:
    print(
        f"\n5. lost answers: actions slowed to 6 s, {args.slow_messages} messages from "
        f"{args.slow_citizens} citizens"
    )
    sent: dict[str, int] = {}
    passive: dict[str, int] = {}
    api = live.standin.api

    async def slow(i: int) -> float | None:
        openid = load.openid("slow", i % args.slow_citizens)
        sent[openid] = sent.get(openid, 0) + 1
        outcome = await load.driver.push(text_xml(openid, SLOW_QUESTIONS[i % len(SLOW_QUESTIONS)]))
        if outcome.reply is not None:
            passive[openid] = passive.get(openid, 0) + 1
        return outcome.latency if outcome.ok else None

    run = await steady(2.0, args.slow_messages / 2.0, slow)
    deadline = time.monotonic() + args.slow_messages / args.slow_citizens * 6.5 + 15
    missing = args.slow_messages
    while time.monotonic() < deadline:
        missing = sum(
            max(0, n - passive.get(o, 0) - len(api.delivered(o))) for o, n in sent.items()
        )
        if missing == 0:
            break
        await asyncio.sleep(1)
    by_cs = sum(len(api.delivered(o)) for o in sent)
    extra = sum(max(0, passive.get(o, 0) + len(api.delivered(o)) - n) for o, n in sent.items())
    out["slow.lost"] = fig.Figure(missing, 0, "zero", "count")
    out["slow.extra"] = fig.Figure(extra, 0, "zero", "count")
    out["slow.reply_p99_ms"] = fig.Figure(run.ms(99), 0, "lower", "ms")
    print(
        f"   {run.sent} messages: {sum(passive.values())} answered passively, {by_cs} by 客服消息, "
        f"{missing} lost, {extra} extra; every reply in time (p99 {run.ms(99):.0f} ms, "
        f"failed {run.failures})"
    )


async def one_worker(args: argparse.Namespace, live: Live, out: Figures) -> None:
    load = live.load()
    try:
        print("warming up …", flush=True)
        await load.warm_up()
        await latency(args, load, out)
        rates = [float(x) for x in args.rates.split(",")]
        print(f"\n2. capacity, 1 worker: highest steady rate with p99 < {DEADLINE} s")
        held = await ramp(
            {
                "WeChat": lambda tag: load.wechat_sender(args.citizens, tag),
                "REST": lambda tag: load.rest_sender(args.citizens, tag),
            },
            rates,
            args.step,
            CpuMeter(live),
            args.resolution,
        )
        caps = {name: h.rate for name, h in held.items()}
        for name, value in caps.items():
            out[f"capacity.1.{name.lower()}"] = fig.Figure(
                value, held[name].noise, "higher", "msg/s"
            )
            _record_cpu(out, f"cpu.1.{name.lower()}", held[name])
        ratio = caps["WeChat"] / caps["REST"] if caps["REST"] else float("nan")
        out["capacity.1.ratio"] = fig.Figure(round(ratio, 2), 0.0, "higher")
        for name, h in held.items():
            print(f"   {name}: held {h.rate:g} msg/s" + (f", not {h.over:g}" if h.over else ""))
        print(
            f"   WeChat {caps['WeChat']:g} msg/s, REST {caps['REST']:g} msg/s: ratio {ratio:.2f} "
            f"(≥ 0.9: {'yes' if ratio >= 0.9 else 'NO'})"
        )
    finally:
        await load.aclose()


async def many_workers(args: argparse.Namespace, live: Live, out: Figures) -> None:
    load = live.load()
    try:
        await load.warm_up()
        rates = [float(x) for x in args.rates.split(",")]
        print(f"\n3. capacity, {args.workers} workers (WeChat)")
        ramped = await ramp(
            {"WeChat": lambda tag: load.wechat_sender(args.citizens, tag)},
            rates,
            args.step,
            CpuMeter(live),
            args.resolution,
        )
        held = ramped["WeChat"]
        value = held.rate
        out[f"capacity.{args.workers}.wechat"] = fig.Figure(value, held.noise, "higher", "msg/s")
        if held.over:
            print(f"   held {value:g} msg/s, not {held.over:g}")
        _record_cpu(out, f"cpu.{args.workers}.wechat", held)
        one = out["capacity.1.wechat"].value if "capacity.1.wechat" in out else 0.0
        scale = value / one if one else float("nan")
        out["capacity.scaling"] = fig.Figure(round(scale, 2), 0.0, "higher")
        print(
            f"   {args.workers} workers: {value:g} msg/s = {scale:.2f}× one worker "
            f"(≥ 1.6: {'yes' if scale >= 1.6 else 'NO'})"
        )
        print(_cpu_bound(held, args.workers, os.cpu_count() or 1, one))
        await duplicates(args, live, load, out)
        await lost(args, live, load, out)
    finally:
        await load.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--block", type=float, default=15.0, help="seconds per latency block")
    parser.add_argument("--rates", default="10,15,20,25,30,35,40,50,60,80", help="capacity ramp")
    parser.add_argument("--step", type=float, default=15.0, help="seconds per capacity step")
    parser.add_argument(
        "--resolution",
        type=float,
        default=2.0,
        help="after the ramp, halve the gap between the rate held and the first not held "
        "until it is this narrow (msg/s; 0: the ramp's steps only)",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="0: one worker only, no guarantees"
    )
    parser.add_argument("--dup-messages", type=int, default=200)
    parser.add_argument("--slow-messages", type=int, default=30)
    parser.add_argument("--slow-citizens", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="short run (smoke test)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--update-baseline", action="store_true", help="make this run the baseline")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.block, args.step, args.rates = 10.0, 5.0, 5.0, "10,30"
        args.resolution = 0.0
        args.dup_messages, args.slow_messages, args.slow_citizens = 30, 6, 3
    about = {
        "machine": machine(),
        "command": shlex.join([sys.executable, *sys.argv]),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    print(f"machine: {about['machine']}")
    out: Figures = {}
    print("starting the assistant with 1 worker (banshi run --rest --actions app.slow_actions) …")
    started = time.monotonic()
    with live_assistant(workers=1) as live:
        print(f"ready in {time.monotonic() - started:.0f} s; logs in {live.log_dir}")
        print(live.assistant.memory_report())
        asyncio.run(one_worker(args, live, out))
    if args.workers < 1:  # a quick look at one worker only
        print("\nfigures: " + json.dumps({k: v.value for k, v in out.items()}))
        return 0
    print(f"\nstarting the assistant with {args.workers} workers …", flush=True)
    started = time.monotonic()
    with live_assistant(workers=args.workers) as live:
        print(f"ready in {time.monotonic() - started:.0f} s; logs in {live.log_dir}")
        print(live.assistant.memory_report())
        for usage in live.assistant.memory():
            out[f"memory.{usage.name}"] = fig.Figure(round(usage.pss_mb), 0, "lower", "MB")
        asyncio.run(many_workers(args, live, out))
    about["load_after"] = machine()["load"]
    print("\nfigures: " + json.dumps({k: v.value for k, v in out.items()}, ensure_ascii=False))
    if args.json:
        fig.write(args.json, out, about)
    if args.update_baseline:
        fig.write(args.baseline, out, about)
        print(f"baseline updated: {args.baseline}")
        return 0
    lines, worse = fig.report(out, args.baseline)
    print("\n" + "\n".join(lines))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
