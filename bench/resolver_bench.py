"""Item resolution at a provincial catalog's size (issue 18).

Generates ``--items`` items (bench/gen_catalog.py: every 事项 implemented by the city and
seven districts, many with 子项 named by a bracket note) and syncs them into SQLite with the
demo's halls and lexicon, then measures:

  1. the index build at start (what the action server does before taking questions) and
     what it holds;
  2. resolve latency over the held-out questions (eval/resolution_questions.yml), and how
     they are answered: of the questions the demo catalog answers with one item, how many
     are answered with the same 事项 here, asking at most for the district;
  3. a delta synced while questions keep coming: no question waits for the index build (the
     previous generation answers until the new one is swapped in), the new item is found
     after, and the build reads only what changed;
  4. the real action server (``rasa run actions --actions app.action_entry``) over this
     catalog: its memory once it has answered.

Figures go to ``--json`` and are compared with ``bench/baseline-resolver.json`` as the WeChat
bench does (``--update-baseline`` to replace it).

    .venv/bin/python bench/resolver_bench.py [--items 10000] [--questions 414]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import figures as fig  # noqa: E402
import yaml  # noqa: E402
from gen_catalog import generate  # noqa: E402
from harness import machine, pct  # noqa: E402

from app.run import start_action_server, usage  # noqa: E402
from app.settings import load_settings  # noqa: E402
from banshi.db import make_engine, migrate, session_scope  # noqa: E402
from banshi.lexicon import load_lexicon  # noqa: E402
from banshi.resolution import Decision, Resolution, Resolver, ResolverConfig  # noqa: E402
from catalog_sync.service import run_sync  # noqa: E402

BASELINE = HERE / "baseline-resolver.json"
DEMO = ROOT / "demo" / "catalog"
QUESTIONS = ROOT / "eval" / "resolution_questions.yml"
_NOTE = re.compile(r"\s*[（(][^（）()]*[）)]$")
Figures = dict[str, fig.Figure]


def rss_mb() -> float:
    return usage("bench", os.getpid()).rss_mb


def questions(limit: int) -> list[str]:
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    return [str(q["text"]) for q in data["questions"]][:limit]


def resolve_all(
    resolver: Resolver, engine: Any, texts: list[str]
) -> tuple[list[Resolution], list[float]]:
    results, times = [], []
    for text in texts:
        started = time.perf_counter()
        with session_scope(engine) as session:
            results.append(resolver.resolve(session, text))
        times.append((time.perf_counter() - started) * 1000)
    return results, times


def base_name(name: str) -> str:
    """The 事项 a 子项 belongs to: its name without the bracket note."""
    return _NOTE.sub("", name)


def district_figures(demo: list[Resolution], big: list[Resolution], out: Figures) -> None:
    """Of the questions the demo answers with one item, those answered with the same 事项
    here (asking at most for the district), asked back with a list, or answered otherwise."""
    one = same = place_only = asked = 0
    for small, large in zip(demo, big, strict=True):
        if small.decision is not Decision.ONE or small.best is None:
            continue
        one += 1
        if (
            large.decision is Decision.ONE
            and large.best is not None
            and base_name(large.best.name) == base_name(small.best.name)
        ):
            same += 1
            place_only += large.needs_place
        elif large.decision is Decision.ASK:
            asked += 1
    out["district.same_item_share"] = fig.Figure(round(same / max(one, 1), 3), 0.0, "higher")
    out["district.asked_back_share"] = fig.Figure(round(asked / max(one, 1), 3), 0.0, "lower")
    print(
        f"   of {one} questions the demo answers with one item: {same} answered with the same "
        f"事项 ({place_only} of them asking only where: 您在哪个区办理？), {asked} asked back with "
        f"a list, {one - same - asked} answered otherwise"
    )


def rebuild_under_load(
    resolver: Resolver, engine: Any, settings: Any, delta: Path, texts: list[str], out: Figures
) -> None:
    """Sync the delta in a thread while questions keep coming; time every question."""
    done = threading.Event()
    sync_seconds: list[float] = []

    def sync() -> None:
        started = time.perf_counter()
        run_sync(str(delta), engine, settings)
        sync_seconds.append(time.perf_counter() - started)
        done.set()

    builds_before = len(resolver.builds)
    thread = threading.Thread(target=sync)
    during: list[float] = []
    thread.start()
    deadline = time.monotonic() + 120
    i = 0
    while time.monotonic() < deadline:
        _, times = resolve_all(resolver, engine, [texts[i % len(texts)]])
        during += times
        i += 1
        if done.is_set() and len(resolver.builds) > builds_before:
            break
    thread.join()
    build = resolver.builds[-1] if len(resolver.builds) > builds_before else None
    worst = max(during) if during else float("nan")
    out["rebuild.question_p95_ms"] = fig.Figure(round(pct(during, 95), 1), 0.0, "lower", "ms")
    out["rebuild.question_max_ms"] = fig.Figure(round(worst, 1), 0.0, "lower", "ms")
    if build is not None:
        out["rebuild.build_seconds"] = fig.Figure(round(build.seconds, 2), 0.0, "lower", "s")
        out["rebuild.reread"] = fig.Figure(build.reread, 0.0, "lower", "count")
    print(
        f"   delta synced in {sync_seconds[0]:.2f} s while {len(during)} questions were answered "
        f"(p95 {pct(during, 95):.1f} ms, slowest {worst:.1f} ms: none waited for the build); "
        + (
            f"then the index was rebuilt {'incrementally' if build.incremental else 'fully'} "
            f"in {build.seconds:.2f} s, {build.reread} 事项 read again"
            if build
            else "NO rebuild seen"
        )
    )


def action_server_memory(database_url: str, var_dir: Path, log_dir: Path, out: Figures) -> None:
    """The real action server over this catalog, after answering: what it holds."""
    env = {"DATABASE_URL": database_url, "BANSHI_VAR_DIR": str(var_dir), "REDIS_URL": ""}
    server = start_action_server(log_dir / "action-server.log", env)
    try:
        body = {
            "next_action": "action_guide",
            "sender_id": "oBench",
            "version": "3.6.21",
            "domain": {},
            "tracker": {
                "sender_id": "oBench",
                "slots": {},
                "latest_message": {
                    "text": "护照办理收费吗",
                    "intent": {"name": "ask_fees", "confidence": 1.0},
                    "intent_ranking": [{"name": "ask_fees", "confidence": 1.0}],
                    "entities": [],
                },
                "events": [],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": "action_listen",
                "latest_event_time": time.time(),
            },
        }
        times = []
        for _ in range(20):
            request = urllib.request.Request(
                server.url, json.dumps(body).encode(), {"Content-Type": "application/json"}
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=300) as response:
                answered = json.loads(response.read())
            times.append((time.perf_counter() - started) * 1000)
        answer = " ".join(r.get("text") or "" for r in answered.get("responses", []))
        memory = usage("action server", server.process.pid)
        out["action_server.rss_mb"] = fig.Figure(round(memory.rss_mb), 0.0, "lower", "MB")
        out["action_server.first_answer_s"] = fig.Figure(
            round(times[0] / 1000, 2), 0.0, "lower", "s"
        )
        print(
            f"   first answer in {times[0] / 1000:.2f} s (no question may wait for the index: "
            f"the server builds it before it takes questions), then p50 "
            f"{pct(times[1:], 50):.0f} ms; RSS {memory.rss_mb:.0f} MB (≤ 600: "
            f"{'yes' if memory.rss_mb <= 600 else 'NO'}); it answered: {answer[:60]!r}"
        )
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=414)
    parser.add_argument("--dir", type=Path, help="work directory (kept); default a temporary one")
    parser.add_argument("--no-server", action="store_true", help="skip the action server part")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--update-baseline", action="store_true")
    args = parser.parse_args(argv)
    about = {
        "machine": machine(),
        "command": shlex.join([sys.executable, *sys.argv]),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    print(f"machine: {about['machine']}")
    work = args.dir or Path(tempfile.mkdtemp(prefix="resolver-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out: Figures = {}
    database_url = f"sqlite:///{work / 'banshi.db'}"
    settings = replace(
        load_settings({}),
        database_url=database_url,
        redis_url=None,
        var_dir=work / "var",
        jieba_dir=work / "var" / "jieba",
    )
    engine = make_engine(database_url)
    migrate(engine)
    texts = questions(args.questions)
    print(f"\n0. generating {args.items} items and syncing them into {database_url} …", flush=True)
    manifest = generate(work / "data", args.items)
    started = time.perf_counter()
    run_sync(str(work / "data" / "items.jsonl"), engine, settings)
    run_sync(str(DEMO / "halls.json"), engine, settings)
    print(f"   {manifest['items']} items in {time.perf_counter() - started:.0f} s")

    lexicon = load_lexicon(settings.lexicon_path)
    print("\n1. the index, built at start", flush=True)
    before = rss_mb()
    resolver = Resolver(lexicon, ResolverConfig(recheck_seconds=0.0, background_above=500))
    resolver.warm(engine)
    build = resolver.builds[-1]
    held = rss_mb() - before
    out["build.seconds"] = fig.Figure(round(build.seconds, 2), 0.0, "lower", "s")
    out["build.index_mb"] = fig.Figure(round(held), 0.0, "lower", "MB")
    print(
        f"   {build.documents} 事项 from {manifest['items']} items in {build.seconds:.1f} s; the index holds {held:.0f} MB"
    )

    print(f"\n2. {len(texts)} held-out questions", flush=True)
    resolve_all(resolver, engine, texts[:20])  # warm caches
    big, times = resolve_all(resolver, engine, texts)
    for p in (50, 95, 99):
        out[f"resolve.p{p}_ms"] = fig.Figure(round(pct(times, p), 1), 0.0, "lower", "ms")
    decisions = {d.value: sum(r.decision is d for r in big) for d in Decision}
    print(
        f"   resolve p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms, p99 "
        f"{pct(times, 99):.1f} ms (p95 ≤ 25: {'yes' if pct(times, 95) <= 25 else 'NO'}); {decisions}"
    )
    with tempfile.TemporaryDirectory(prefix="resolver-demo-") as tmp:
        demo_settings = replace(
            settings, database_url=f"sqlite:///{tmp}/demo.db", var_dir=Path(tmp)
        )
        demo_engine = make_engine(demo_settings.database_url)
        migrate(demo_engine)
        run_sync(str(DEMO / "items.jsonl"), demo_engine, demo_settings)
        demo, _ = resolve_all(Resolver(lexicon), demo_engine, texts)
        demo_engine.dispose()
    district_figures(demo, big, out)

    print("\n3. a delta synced while questions keep coming", flush=True)
    background = Resolver(lexicon, ResolverConfig(recheck_seconds=0.0, background_above=500))
    background.warm(engine)
    rebuild_under_load(background, engine, settings, work / "data" / "delta.jsonl", texts, out)
    new_item = next(iter(manifest["changes"]["created"]), None)
    if new_item:
        with session_scope(engine) as session:
            places = background.places_of(session, new_item)
            found = background.index(session).by_task.get(new_item) is not None
        print(
            f"   the delta's new item is in the new index: {'yes' if found else 'NO'} ({len(places)} places)"
        )
    engine.dispose()

    if not args.no_server:
        print("\n4. the action server over this catalog", flush=True)
        action_server_memory(database_url, settings.var_dir, work, out)

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
