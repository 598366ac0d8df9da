"""Per-message latency of understanding a question, in-process: normalise, parse, resolve.

Loads the trained model once (``Agent.load``), syncs the demo catalog into a throw-away SQLite
database, and times ``normalize_message`` + ``agent.parse_message`` + item resolution over
about 300 messages drawn from nlu_data/ (the training texts: this measures speed, not
accuracy). Prints p50 / p95 / p99 in milliseconds (target p95 ≤ 50 ms).

    .venv/bin/python eval/latency.py [--messages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from app.settings import load_settings  # noqa: E402
from app.training import model_path  # noqa: E402
from banshi.db import make_engine, migrate, session_scope  # noqa: E402
from banshi.lexicon import load_lexicon  # noqa: E402
from banshi.resolution import Resolver  # noqa: E402
from banshi.text import normalize_message  # noqa: E402
from catalog_sync.service import run_sync  # noqa: E402
from eval.nlu_examples import training_texts  # noqa: E402

TARGET_P95_MS = 50.0
DEMO = ROOT / "demo" / "catalog"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


async def measure(texts: list[str], agent, resolver: Resolver, engine) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    times: dict[str, list[float]] = {"total": [], "parse": [], "resolve": []}
    for text in texts:
        started = time.perf_counter()
        query = normalize_message(text)
        parsed = await agent.parse_message(query)
        parsed_at = time.perf_counter()
        entity = next((e["value"] for e in parsed["entities"] if e["entity"] == "item"), None)
        with session_scope(engine) as session:
            resolver.resolve(session, query, entity)
        done = time.perf_counter()
        times["total"].append((done - started) * 1000)
        times["parse"].append((parsed_at - started) * 1000)
        times["resolve"].append((done - parsed_at) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args(argv)

    from rasa.core.agent import Agent

    model = model_path()
    if not model.exists():
        raise SystemExit(f"{model} is missing: run 'banshi train' first")
    started = time.monotonic()
    agent = Agent.load(str(model))
    print(f"Agent.load: {time.monotonic() - started:.1f} s")

    texts = training_texts()
    sample = random.Random(20261126).sample(texts, min(args.messages, len(texts)))
    with tempfile.TemporaryDirectory(prefix="banshi-latency-") as tmp:
        settings = load_settings({"BANSHI_VAR_DIR": tmp})
        engine = make_engine(settings.database_url)
        migrate(engine)
        for name in ("items.jsonl", "halls.json"):
            run_sync(str(DEMO / name), engine, settings)
        resolver = Resolver(load_lexicon(settings.lexicon_path))
        # Warm-up: the first parse builds TensorFlow's graph, the first resolve the index.
        asyncio.run(measure(sample[:20], agent, resolver, engine))
        times = asyncio.run(measure(sample, agent, resolver, engine))
        engine.dispose()

    print(f"{len(sample)} messages from nlu_data/ ({len(texts)} available)")
    for name in ("parse", "resolve", "total"):
        values = times[name]
        print(
            f"{name:8} p50 {percentile(values, 50):6.1f} ms   p95 {percentile(values, 95):6.1f} ms"
            f"   p99 {percentile(values, 99):6.1f} ms"
        )
    p95 = percentile(times["total"], 95)
    verdict = "meets" if p95 <= TARGET_P95_MS else "MISSES"
    print(f"p95 {p95:.1f} ms {verdict} the target of {TARGET_P95_MS:.0f} ms")
    return 0 if p95 <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
