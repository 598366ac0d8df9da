"""What holds one Rasa worker at its limit: its event loop's lag and its loop thread's CPU.

Starts the assistant with one worker as the WeChat bench does, with a probe in every event
loop (``bench/trace/sitecustomize.py``: a 10 ms sleep, again and again; how late it wakes is
how long the loop was held by other work), then offers WeChat pushes and REST messages in
turn at each rate and prints, per step: the latency, the Rasa process's CPU and its loop
thread's CPU per message, how busy the loop thread was (its CPU over the wall time), and the
loop's lag (mean, p99, largest). A loop thread near 100 % busy is a worker held by its core;
a loop lagging while its thread is far from busy is held by waiting it does in the loop
(synchronous I/O, the GIL).

``--spy SECONDS`` also samples the Rasa process with py-spy ``--idle`` for that long at the
first rate and sorts the loop thread's samples into: idle in the loop, running Python, and
blocked inside the loop (synchronous sockets, locks, TensorFlow) by caller.

    .venv/bin/python bench/loop_probe.py [--rates 25,30,35] [--step 15] [--spy 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import CpuMeter, live_assistant, machine, steady  # noqa: E402
from profile_turn import py_spy, samples  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int, tid: int) -> float | None:
    """CPU seconds of one thread (/proc/<pid>/task/<tid>/stat)."""
    try:
        text = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def loop_lag(prefix: Path, pid: int, start: float, end: float) -> dict[str, float]:
    """The probe's seconds of ``pid`` within [start, end): wake-ups, mean / p99 / max lag."""
    path = prefix.parent / f"{prefix.name}.{pid}.loop.json"
    data = json.loads(path.read_text())
    bins: list[float] = data["bins"]
    count = 0
    total = largest = 0.0
    histogram = [0] * (len(bins) + 1)
    for second, row in data["seconds"].items():
        if start <= int(second) < int(end):
            count += int(row[0])
            total += row[1]
            largest = max(largest, row[2])
            for i, n in enumerate(row[4:]):
                histogram[i] += int(n)
    p99 = float("nan")
    seen = 0
    for i, n in enumerate(histogram):
        seen += n
        if count and seen >= 0.99 * count:
            p99 = bins[i] if i < len(bins) else float("inf")
            break
    return {
        "wakeups": count,
        "mean_ms": total / count if count else float("nan"),
        "p99_below_ms": p99,
        "max_ms": largest,
    }


IDLE_LEAVES = ("run_forever", "serve (sanic/server/runners.py")
OWN = ("bot/", "app/", "banshi/", "rasa/core/", "rasa/nlu/", "rasa/utils/", "rasa/shared/")


def spy_loop_thread(pid: int, seconds: float, out: Path) -> Counter[str]:
    """The loop thread's samples (py-spy --idle --threads), each as its innermost frame
    (where it runs or waits: a C call such as a socket read shows as the Python line that
    made it) and the innermost frame of the project or Rasa around it; idle in the loop
    apart."""
    spy = py_spy()
    assert spy is not None
    subprocess.run(
        [
            *(spy, "record", "--pid", str(pid), "--duration", str(int(seconds))),
            *("--rate", "200", "--format", "raw", "--idle", "--threads"),
            *("--output", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    parts: Counter[str] = Counter()
    for frames, count in samples(out):
        if not frames[0].startswith(f"thread ({pid})"):
            continue
        leaf = frames[-1]
        if any(mark in leaf for mark in IDLE_LEAVES):
            parts["idle: waiting in the loop"] += count
            continue
        own = next((f for f in reversed(frames) if any(s in f for s in OWN)), "")
        parts[f"{leaf}  <  {own}"] += count
    return parts


async def measure(args: argparse.Namespace, live: Any, prefix: Path) -> list[dict[str, Any]]:
    load = live.load()
    meter = CpuMeter(live)
    pid = live.assistant.rasa.pid
    rows: list[dict[str, Any]] = []
    try:
        await load.warm_up()
        for rate in [float(r) for r in args.rates.split(",")]:
            for name, sender in (
                ("wechat", load.wechat_sender(args.citizens, f"pw{int(rate)}")),
                ("rest", load.rest_sender(args.citizens, f"pr{int(rate)}")),
            ):
                started = time.monotonic()
                cpu0, main0 = meter.read(), thread_cpu(pid, pid)
                run = await steady(rate, args.step, sender)
                cpu1, main1 = meter.read(), thread_cpu(pid, pid)
                ended = time.monotonic()
                await asyncio.sleep(1.5)  # the probe writes every second
                share = meter.share(cpu0, cpu1, run.sent)
                main = (main1 or 0) - (main0 or 0)
                lag = loop_lag(prefix, pid, started + 1, ended)
                row = {
                    "channel": name,
                    "rate": rate,
                    "p50_ms": run.ms(50),
                    "p99_ms": run.ms(99),
                    "failed": run.failures,
                    "rasa_cpu_ms": share.ms["rasa"] if share else None,
                    "loop_thread_cpu_ms": round(main * 1000 / max(run.sent, 1), 1),
                    "loop_thread_busy": round(main / (ended - started), 2),
                    "cores_busy": round(share.busy, 2) if share else None,
                    **{f"lag_{k}": round(v, 1) for k, v in lag.items()},
                }
                rows.append(row)
                print(
                    f"  {name:6s} {rate:4g} msg/s: p50 {row['p50_ms']:7.1f} p99 {row['p99_ms']:7.1f}"
                    f" ms (failed {run.failures}); Rasa CPU {row['rasa_cpu_ms']} ms/msg, loop "
                    f"thread {row['loop_thread_cpu_ms']} ms/msg, busy {row['loop_thread_busy']:.0%};"
                    f" cores {row['cores_busy']:.0%}; loop lag mean {row['lag_mean_ms']} ms, p99 <"
                    f" {row['lag_p99_below_ms']} ms, max {row['lag_max_ms']} ms",
                    flush=True,
                )
                await asyncio.sleep(3)
        if args.spy:
            rate = float(args.rates.split(",")[0])
            for name, sender in (
                ("wechat", load.wechat_sender(args.citizens, "sw")),
                ("rest", load.rest_sender(args.citizens, "sr")),
            ):
                out = prefix.parent / f"spy-{name}.txt"
                spying = asyncio.create_task(asyncio.to_thread(spy_loop_thread, pid, args.spy, out))
                await asyncio.sleep(1.0)
                run = await steady(rate, args.spy - 1.5, sender)
                parts = await spying
                total = sum(parts.values()) or 1
                print(
                    f"\n  py-spy --idle, loop thread, {name} at {rate:g} msg/s ({run.sent} msgs):"
                )
                for part, n in parts.most_common(25):
                    print(f"    {n / total:6.1%}  {n * 5 / max(run.sent, 1):6.2f} ms/msg  {part}")
                await asyncio.sleep(3)
    finally:
        await load.aclose()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="25,30,35")
    parser.add_argument("--step", type=float, default=15.0)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--spy", type=float, default=0.0, help="seconds of py-spy --idle")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="loop-probe-"))
    prefix = tmp / "probe"
    python_path = os.pathsep.join(
        p for p in (str(HERE / "trace"), os.environ.get("PYTHONPATH", "")) if p
    )
    extra_env = {"PYTHONPATH": python_path, "BANSHI_BENCH_LOOP_PROBE": str(prefix)}
    print(f"machine: {machine()}")
    with live_assistant(workers=1, extra_env=extra_env) as live:
        print(f"Rasa server pid {live.assistant.rasa.pid}; files in {tmp}", flush=True)
        rows = asyncio.run(measure(args, live, prefix))
    print(f"load after: {machine()['load']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
