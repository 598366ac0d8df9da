"""Item resolution on the held-out colloquial questions (eval/resolution_questions.yml).

Syncs the demo catalog into a throw-away SQLite database, resolves every question and prints
top-1 / top-3 accuracy and how genuinely ambiguous questions are handled. Questions are split
by position into a "dev" half (the only one looked at while tuning) and a "test" half.

    .venv/bin/python eval/resolution_eval.py [--show-errors dev]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.settings import load_settings  # noqa: E402
from banshi.db import make_engine, migrate, session_scope  # noqa: E402
from banshi.lexicon import load_lexicon  # noqa: E402
from banshi.resolution import Decision, Resolver  # noqa: E402
from catalog_sync.service import run_sync  # noqa: E402
from eval.nlu_examples import training_texts  # noqa: E402

DEMO = ROOT / "demo" / "catalog"


def evaluate(questions: list[dict], resolver: Resolver, engine, show: str | None) -> dict:  # type: ignore[no-untyped-def]
    rows: dict[str, dict[str, int]] = {}
    for index, q in enumerate(questions):
        split = "dev" if index % 2 == 0 else "test"
        stats = rows.setdefault(
            split,
            {
                "n": 0,
                "top1": 0,
                "top3": 0,
                "one_right": 0,
                "asked": 0,
                "none": 0,
                "amb_n": 0,
                "amb_asked": 0,
                "amb_guessed_in_set": 0,
            },
        )
        with session_scope(engine) as session:
            result = resolver.resolve(session, q["text"])
        if "ambiguous" in q:
            stats["amb_n"] += 1
            offered = {c.task_code for c in result.options}
            if result.decision is Decision.ASK and len(offered & set(q["ambiguous"])) >= 2:
                stats["amb_asked"] += 1
            elif (
                result.decision is Decision.ONE
                and result.best
                and result.best.task_code in q["ambiguous"]
            ):
                stats["amb_guessed_in_set"] += 1
            elif show == split:
                print(
                    f"[amb] {q['text']} -> {result.decision} {[c.name for c in result.candidates[:3]]}"
                )
            continue
        stats["n"] += 1
        expect = set(q["expect"])
        top = result.top(3)
        hit1 = bool(top) and top[0] in expect
        stats["top1"] += hit1
        stats["top3"] += bool(expect & set(top))
        stats["one_right"] += result.decision is Decision.ONE and hit1
        stats["asked"] += result.decision is Decision.ASK
        stats["none"] += result.decision is Decision.NONE
        if show == split and not hit1:
            print(
                f"[miss] {q['text']} -> {result.decision} "
                f"{[(c.name, c.score) for c in result.candidates[:3]]} expected {sorted(expect)}"
            )
    return rows


def out_of_scope_given_an_item(resolver: Resolver, engine) -> tuple[list[tuple[str, str]], int]:  # type: ignore[no-untyped-def]
    """The out_of_scope training messages the resolver would answer with an item: the
    assistant must say "nothing fits" to 黑洞是什么, not guess an item."""
    texts = training_texts("out_of_scope")
    given = []
    for text in texts:
        with session_scope(engine) as session:
            result = resolver.resolve(session, text)
        if result.decision is not Decision.NONE and result.best:
            given.append((text, result.best.name))
    return given, len(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", default=str(ROOT / "eval" / "resolution_questions.yml"))
    parser.add_argument("--show-errors", choices=("dev", "test"))
    args = parser.parse_args()
    data = yaml.safe_load(Path(args.questions).read_text(encoding="utf-8"))
    questions = data["questions"]
    main_set = [q for q in questions if not q.get("requires_delta")]
    delta_set = [q for q in questions if q.get("requires_delta")]

    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(
            load_settings({}),
            database_url=f"sqlite:///{tmp}/eval.db",
            redis_url=None,
            var_dir=Path(tmp),
            jieba_dir=Path(tmp) / "jieba",
        )
        engine = make_engine(settings.database_url)
        migrate(engine)
        run_sync(str(DEMO / "items.jsonl"), engine, settings)
        resolver = Resolver(load_lexicon(settings.lexicon_path))
        started = time.perf_counter()
        rows = evaluate(main_set, resolver, engine, args.show_errors)
        elapsed = time.perf_counter() - started
        off_topic = out_of_scope_given_an_item(resolver, engine)
        run_sync(str(DEMO / "delta-20261120.jsonl"), engine, settings)
        delta_rows = evaluate(delta_set, resolver, engine, args.show_errors)

    print(f"questions: {len(main_set)} on items.jsonl, {len(delta_set)} after the delta")
    print(
        f"{'split':<6} {'n':>4} {'top-1':>7} {'top-3':>7} {'answered right':>15} {'asked':>6} "
        f"{'none':>5} | {'ambiguous':>9} {'asked back':>10} {'guessed':>8}"
    )
    total = {k: 0 for k in next(iter(rows.values()))}
    for split, s in sorted(rows.items()) + [("all", total)]:
        if split != "all":
            for k, v in s.items():
                total[k] += v
        n, a = max(s["n"], 1), max(s["amb_n"], 1)
        print(
            f"{split:<6} {s['n']:>4} {s['top1'] / n:>7.1%} {s['top3'] / n:>7.1%} "
            f"{s['one_right'] / n:>15.1%} {s['asked']:>6} {s['none']:>5} | {s['amb_n']:>9} "
            f"{s['amb_asked'] / a:>10.1%} {s['amb_guessed_in_set']:>8}"
        )
    d = {k: sum(r[k] for r in delta_rows.values()) for k in total}
    print(
        f"delta-only item, answered right after syncing the delta (no retraining): "
        f"{d['top1']}/{d['n']}"
    )
    print(
        f"out-of-scope messages (nlu_data) the resolver gives an item: "
        f"{len(off_topic[0])} of {off_topic[1]}"
        + "".join(
            f"\n  {text} -> {name}" for text, name in off_topic[0][: 30 if args.show_errors else 0]
        )
    )
    print(f"resolution time: {elapsed / max(len(main_set), 1) * 1000:.2f} ms per question (mean)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
