"""Benchmark of the demand surveys: results and grouping at scale, and a response turn.

For each backend — a SQLite file in a temporary directory, and a fresh schema in
PostgreSQL's ``test`` database (dropped afterwards):

  (a) 100,000 responses are generated straight into the tables (not timed): 85 % complete,
      15 % stopped at a random question; every question type answered; 20 % of responses
      carry free text, made from the labelled answers of ``eval/surveys/`` with the fillers,
      punctuation, numbers (masked, as the desk stores them) and item names people add;
  (b) ``results(session, survey)`` — every question, the open answers grouped, keywords and
      quotes — runs in a process of its own: wall-clock seconds and that process's peak RSS
      (``os.wait4``), against 30 s and 1 GB;
  (c) 300 citizens fill in the survey through :class:`SurveyDesk` on the same database, and
      every turn (start and each answer) is timed: p50 / p95 / p99 against p95 ≤ 50 ms.

    cd /work/main && .venv/bin/python bench/surveys_bench.py [--responses 100000] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from banshi.conversation import Gist, Message, Request  # noqa: E402
from banshi.db import make_engine, migrate, session_scope  # noqa: E402
from banshi.privacy.masking import mask_text  # noqa: E402
from banshi.surveys.definition import Given, QuestionType, next_question  # noqa: E402
from banshi.surveys.desk import SurveyDesk  # noqa: E402
from banshi.surveys.loader import parse_definition  # noqa: E402
from banshi.surveys.models import SurveyAnswer, SurveyResponse  # noqa: E402
from banshi.surveys.moderation import flag_of  # noqa: E402
from banshi.surveys.store import store_definition  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_SECONDS = 30.0
TARGET_RSS_MB = 1000.0
TARGET_TURN_P95_MS = 50.0
NOW = datetime(2026, 12, 20, 10, 0)
SURVEY_ID = "demand-bench"

SURVEY = """\
id: demand-bench
title: 办事体验调查
intro: 想听听您办事时的感受。
opens: 2026-12-01
closes: 2027-01-31
questions:
  - {id: q1, type: single, text: 您最近一次怎么办的事？, options: [到大厅办, 网上办, 先网上再到现场, 委托他人], other: true}
  - {id: q2, type: multiple, text: 哪些情况让您不方便？, options: [排队时间长, 材料反复交, 跑了不止一次, 网上办不成, 预约不上, 态度不好, 指南看不懂, 停车难], max: 3}
  - {id: q3, type: single, text: 网上办不成主要是哪一步？, options: [登录认证, 填表, 上传材料, 提交后没人处理], show_if: {q2: 网上办不成}}
  - {id: q4, type: rating, text: 总体体验打几分？}
  - {id: q5, type: ranking, text: 最难办的三件事, options: [户口迁移, 护照, 社保卡, 公积金提取, 不动产登记, 营业执照, 结婚登记, 医保异地备案], max: 3}
  - {id: q6, type: text, text: 哪里最不方便？有什么建议？, optional: true}
"""
PREFIXES = [
    "",
    "",
    "",
    "说实话，",
    "我觉得",
    "希望",
    "真的是",
    "老实讲，",
    "建议：",
    "就一点：",
    "反映一下，",
]
SUFFIXES = [
    "",
    "",
    "。",
    "！",
    "，希望改进",
    "，太麻烦了",
    "，能不能改改",
    "😤",
    "。谢谢",
    "，体验很差",
]
ITEMS = ["办护照", "办社保卡", "提公积金", "迁户口", "办不动产证", "办营业执照", "办医保备案"]


def labelled_answers() -> list[str]:
    found: list[str] = []
    for name in ("free_text.yml", "free_text_heldout.yml"):
        data = yaml.safe_load((ROOT / "eval" / "surveys" / name).read_text(encoding="utf-8"))
        for kind, entry in data.items():
            if kind != "none":
                found.extend(str(a) for a in entry["answers"])
    return found


def free_text(rng: random.Random, bases: list[str]) -> str:
    said = rng.choice(PREFIXES) + rng.choice(bases) + rng.choice(SUFFIXES)
    if rng.random() < 0.15:
        said = f"{rng.choice(ITEMS)}的时候，{said}"
    if rng.random() < 0.03:
        said += f"，电话1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}"
    return said


def answer_for(rng: random.Random, question: Any, bases: list[str], write: bool) -> dict[str, Any]:
    """One generated answer row (without ids)."""
    row: dict[str, Any] = {
        "choices": None,
        "rating": None,
        "text": None,
        "skipped": False,
        "flag": None,
    }
    if question.type is QuestionType.SINGLE:
        key = rng.choice([o.key for o in question.choices])
        row["choices"] = [key]
        if key == "其他":
            row["text"] = mask_text(rng.choice(["找代办", "托朋友办的", "社区帮忙办"]))
    elif question.type in (QuestionType.MULTIPLE, QuestionType.RANKING):
        keys = [o.key for o in question.options]
        row["choices"] = rng.sample(keys, rng.randint(1, question.most))
    elif question.type is QuestionType.RATING:
        row["rating"] = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 4, 5, 3])[0]
    elif write:
        said = free_text(rng, bases)
        row["text"] = mask_text(said)
        flag = flag_of(said)
        row["flag"] = flag.value if flag else None
    else:
        row["skipped"] = True
    return row


def generate(engine: Engine, count: int, seed: int) -> dict[str, int]:
    """Insert ``count`` responses with their answers; returns counts."""
    rng = random.Random(seed)
    bases = labelled_answers()
    with session_scope(engine) as session:
        store_definition(session, parse_definition(SURVEY), NOW)
    definition = parse_definition(SURVEY)

    stats = {"responses": 0, "answers": 0, "texts": 0, "complete": 0}
    batch = 5000
    for start in range(0, count, batch):
        responses, answers = [], []
        for n in range(start, min(start + batch, count)):
            rid = n + 1
            write = rng.random() < 0.2  # 20 % of responses carry free text: they reach q6
            complete = write or rng.random() < (0.85 - 0.2) / 0.8  # 85 % complete in all
            given: dict[str, Given] = {}
            stop_after = rng.randint(0, len(definition.questions) - 1)
            question = next_question(definition, given)
            while question is not None and (complete or len(given) < stop_after):
                row = answer_for(rng, question, bases, write)
                given[question.id] = Given(
                    tuple(row["choices"] or ()), row["rating"], row["skipped"]
                )
                answers.append(
                    {"response_id": rid, "question": question.id, "answered_at": NOW, **row}
                )
                stats["texts"] += bool(row["text"]) and question.type is QuestionType.TEXT
                question = next_question(definition, given)
            started = NOW - timedelta(minutes=rng.randint(10, 20000))
            responses.append(
                {
                    "id": rid,
                    "survey_id": SURVEY_ID,
                    "openid": f"bench-{rid:07d}",
                    "status": "complete" if question is None else "in_progress",
                    "current": question.id if question else None,
                    "started_at": started,
                    "updated_at": started,
                    "completed_at": started if question is None else None,
                }
            )
            stats["complete"] += question is None
        with engine.begin() as conn:
            conn.execute(insert(SurveyResponse.__table__), responses)
            conn.execute(insert(SurveyAnswer.__table__), answers)
        stats["responses"] += len(responses)
        stats["answers"] += len(answers)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('survey_response', 'id'), :n)"),
                {"n": count},
            )
            conn.execute(text("ANALYZE"))
    return stats


def measure_results(url: str) -> tuple[float, float, dict[str, Any]]:
    """Run :func:`results` in a child process; (seconds, peak RSS MB, summary)."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--results-only", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise RuntimeError(f"the results process failed ({status})")
    summary = json.loads(out)
    return summary.pop("seconds"), usage.ru_maxrss / 1024, summary


def results_only(url: str) -> None:
    from banshi.surveys.results import results

    engine = make_engine(url)
    started = time.perf_counter()
    with session_scope(engine) as session:
        data = results(session, SURVEY_ID)
    seconds = time.perf_counter() - started
    text_q = next(q for q in data["questions"] if q["type"] == "text")
    summary = {
        "seconds": seconds,
        "responses": data["responses"],
        "texts": text_q["answered"],
        "groups": [(g["label"], g["size"]) for g in text_q["groups"][:8]],
        "keywords": text_q["keywords"][:8],
    }
    print(json.dumps(summary, ensure_ascii=False))


def turns(engine: Engine, citizens: int, seed: int) -> list[float]:
    """Milliseconds per desk turn over ``citizens`` full surveys."""
    rng = random.Random(seed)
    bases = labelled_answers()
    desk = SurveyDesk(engine)
    replies = {
        QuestionType.SINGLE: lambda q: str(rng.randint(1, len(q.choices) - (1 if q.other else 0))),
        QuestionType.MULTIPLE: lambda q: "、".join(
            str(n) for n in rng.sample(range(1, len(q.options) + 1), 2)
        ),
        QuestionType.RATING: lambda q: f"{rng.randint(1, 5)}分",
        QuestionType.RANKING: lambda q: " ".join(
            str(n) for n in rng.sample(range(1, len(q.options) + 1), 3)
        ),
        QuestionType.TEXT: lambda q: free_text(rng, bases),
    }
    definition = parse_definition(SURVEY)
    timings = []
    for n in range(citizens):
        openid = f"turn-{uuid.uuid4().hex[:12]}-{n}"

        def msg(
            said: str,
            gist: Gist = Gist.UNCLEAR,
            request: Request | None = None,
            openid: str = openid,
        ) -> Message:
            return Message(said, openid, gist, NOW, request=request)

        started = time.perf_counter()
        reply = desk.start(msg("参加调查", Gist.TASK, Request.SURVEY), Request.SURVEY, None)
        timings.append((time.perf_counter() - started) * 1000)
        while reply.state is not None:
            question = definition.question(reply.state.data["question"])
            said = replies[question.type](question)
            started = time.perf_counter()
            reply = desk.answer(msg(said), reply.state)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_backend(name: str, url: str, args: argparse.Namespace) -> bool:
    engine = make_engine(url)
    migrate(engine)
    started = time.perf_counter()
    stats = generate(engine, args.responses, args.seed)
    print(
        f"\n[{name}] generated {stats['responses']:,} responses ({stats['complete']:,} complete), "
        f"{stats['answers']:,} answers, {stats['texts']:,} free texts in {time.perf_counter() - started:.1f} s"
    )
    seconds, rss, summary = measure_results(url)
    ok_results = seconds <= TARGET_SECONDS and rss <= TARGET_RSS_MB
    print(
        f"[{name}] results + grouping: {seconds:.1f} s, peak RSS {rss:.0f} MB "
        f"(targets ≤ {TARGET_SECONDS:.0f} s, ≤ {TARGET_RSS_MB:.0f} MB) {'OK' if ok_results else 'MISSED'}"
    )
    print(f"[{name}]   responses {summary['responses']}, open answers {summary['texts']:,}")
    print(
        f"[{name}]   largest groups: "
        + "; ".join(f"{label} {size}" for label, size in summary["groups"])
    )
    timings = turns(engine, args.citizens, args.seed)
    p95 = percentile(timings, 95)
    ok_turns = p95 <= TARGET_TURN_P95_MS
    print(
        f"[{name}] {len(timings)} desk turns: p50 {percentile(timings, 50):.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {percentile(timings, 99):.1f} ms, mean {statistics.mean(timings):.1f} ms "
        f"(target p95 ≤ {TARGET_TURN_P95_MS:.0f} ms) {'OK' if ok_turns else 'MISSED'}"
    )
    engine.dispose()
    return ok_results and ok_turns


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--citizens", type=int, default=300, help="full surveys timed turn by turn")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=PG_URL, help="admin URL of the `test` database")
    parser.add_argument("--results-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.results_only:
        results_only(args.results_only)
        return 0
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    ok = True
    backends = args.backends.split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            ok &= run_backend("sqlite", f"sqlite:///{tmp}/bench.db", args)
    if "postgres" in backends:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(args.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            ok &= run_backend("postgres", f"{args.pg_url}?options=-csearch_path%3D{schema}", args)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
