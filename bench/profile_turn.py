"""Where one turn's milliseconds go, under the bench's load (issue 18).

Starts the assistant as the WeChat bench does, offers signed pushes at a steady rate from
many citizens, and meanwhile

- samples both servers (and their Sanic workers) with py-spy (``pip install py-spy``; on-CPU
  samples only, so waiting is not counted) and sorts every sample into the component that
  was running: NLU components, policies, tracker and lock stores, the action server call, the
  channel's own bookkeeping, Sanic, …;
- counts the Redis commands per message (MONITOR): by command, sent by a client (a round
  trip) or run inside a Lua script, and by command and key (the citizen's OpenID and the
  message id written ``<openid>``, ``<n>``);
- counts the SQL statements each server runs per message, by text, with the transactions
  begun and connections opened (``bench/trace/sitecustomize.py``, loaded into both servers);
- counts the SQL statements of each part of a turn, in this process, over the same database.

Prints one table per server in CPU milliseconds per message, the statements and commands,
and writes the figures as JSON.

    .venv/bin/python bench/profile_turn.py [--rate 10] [--seconds 40] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import QUESTIONS, live_assistant, machine, steady  # noqa: E402

# (component, path fragment): a sample goes to the first component found walking from the
# running function outwards, so a library (json, sqlalchemy, redis, tensorflow) is charged to
# the part of the turn that called it.
RASA_PARTS = [
    ("NLU: DIET", "nlu/classifiers/diet_classifier.py"),
    ("NLU: DIET", "rasa/utils/tensorflow/"),
    ("NLU: linear ensemble", "bot/components/ensemble.py"),
    ("NLU: novelty featurizer", "bot/components/novelty.py"),
    ("NLU: tokenizer", "bot/components/tokenizer.py"),
    ("NLU: tokenizer", "nlu/tokenizers/"),
    ("NLU: count-vector/lexical/regex featurizers", "nlu/featurizers/"),
    ("NLU: other components", "bot/components/"),
    ("NLU: other components", "rasa/nlu/"),
    ("policies", "core/policies/"),
    ("lock store", "core/lock_store.py"),
    ("tracker store", "bot/tracker_store.py"),
    ("tracker store", "core/tracker_store.py"),
    ("tracker and events", "shared/core/trackers.py"),
    ("tracker and events", "shared/core/events.py"),
    ("action server call", "core/actions/action.py"),
    ("action server call", "rasa/utils/endpoints.py"),
    ("channel: held and owed check (one statement)", "banshi/owed.py"),
    ("channel: owed messages (notice changes, tickets)", "banshi/notices/"),
    ("channel: owed messages (notice changes, tickets)", "banshi/tickets/"),
    ("channel: owed messages (bookings, surveys, hot issues)", "bot/wechat/bookings_push.py"),
    ("channel: owed messages (bookings, surveys, hot issues)", "bot/wechat/surveys_push.py"),
    ("channel: owed messages (bookings, surveys, hot issues)", "banshi/bookings/"),
    ("channel: owed messages (bookings, surveys, hot issues)", "banshi/surveys/"),
    ("channel: owed messages (bookings, surveys, hot issues)", "banshi/hot_issues/"),
    ("channel: 转人工 check", "banshi/handoff/"),
    ("channel: hooks (other)", "app/channel_hooks.py"),
    ("channel: window", "bot/wechat/window.py"),
    ("channel: pending answers", "bot/wechat/storage.py"),
    ("channel: serial lock", "bot/wechat/serial.py"),
    ("channel: de-duplication", "bot/wechat/dedup.py"),
    ("channel: rate limit", "bot/wechat/ratelimit.py"),
    ("channel: protocol (XML, signatures)", "bot/wechat/protocol.py"),
    ("channel: 客服消息", "bot/wechat/delivery.py"),
    ("channel: 客服消息", "bot/wechat/api.py"),
    ("channel: routing and turn", "bot/wechat/"),
    ("REST channel", "core/channels/rest.py"),
    ("graph runner and processor", "rasa/engine/"),
    ("graph runner and processor", "core/processor.py"),
    ("graph runner and processor", "core/agent.py"),
    ("Sanic (HTTP)", "sanic/"),
    ("Redis client", "redis/"),
    ("event loop", "asyncio/"),
    ("event loop", "uvloop"),
]
ACTION_PARTS = [
    ("DB (SQLAlchemy)", "sqlalchemy/"),
    ("item resolution", "banshi/resolution"),
    ("guide and answers", "banshi/guide.py"),
    ("guide and answers", "banshi/answers.py"),
    ("guide and answers", "banshi/catalog.py"),
    ("guide and answers", "banshi/"),
    ("actions (adapters)", "actions/"),
    ("rasa_sdk and Sanic", "rasa_sdk/"),
    ("rasa_sdk and Sanic", "sanic/"),
    ("event loop and threads", "asyncio/"),
    ("event loop and threads", "threading.py"),
]


# Where a thread waits without py-spy seeing it idle: a thread pool's worker waiting for work,
# uvloop's loop waiting in epoll.
IDLE = ("_worker (concurrent/futures/thread.py:81)", "serve (sanic/server/runners.py:155)")


def samples(stacks: Path) -> Iterator[tuple[list[str], int]]:
    """py-spy's raw output (``frame;frame;… count``): each stack's frames and its count."""
    for line in stacks.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            yield stack.split(";"), int(count)


def classify(stacks: Path, parts: list[tuple[str, str]]) -> Counter[str]:
    """Samples per component from py-spy's raw output."""
    out: Counter[str] = Counter()
    for frames, count in samples(stacks):
        if frames[-1].strip() in IDLE:
            continue
        name = "other"
        for frame in reversed(frames):  # innermost first
            match = next((part for part, fragment in parts if fragment in frame), None)
            if match:
                name = match
                break
        out[name] += count
    return out


def py_spy() -> str | None:
    return shutil.which("py-spy") or next(
        (str(p) for p in [Path(sys.executable).parent / "py-spy"] if p.exists()), None
    )


def record(pid: int, seconds: float, out: Path, rate: int) -> subprocess.Popen[bytes]:
    spy = py_spy()
    assert spy is not None
    return subprocess.Popen(
        [
            *(spy, "record", "--pid", str(pid), "--duration", str(int(seconds))),
            *("--rate", str(rate), "--format", "raw", "--subprocesses"),
            *("--output", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


_OPENID = re.compile(r"o[0-9A-Za-z_-]{27}")
_NUMBER = re.compile(r"\d+")


def redis_key_family(words: list[str]) -> str:
    """The key a command touches, with OpenIDs and numbers generalised (EVALSHA: its first
    key)."""
    name = words[0].upper() if words else ""
    at = 3 if name in ("EVALSHA", "EVAL") else 1
    key = words[at] if len(words) > at else ""
    return _NUMBER.sub("<n>", _OPENID.sub("<openid>", key))


def count_redis(url: str, stop: threading.Event, counts: Counter[str]) -> None:
    """Every command the servers send to this Redis database: ``name`` (all), ``client:name``
    (a round trip), ``lua:name`` (inside a script) and ``key:name key`` (by key family)."""
    import redis

    client = redis.Redis.from_url(url)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    with client.monitor() as monitor:
        for command in monitor.listen():
            if stop.is_set():
                break
            if int(command.get("db", -1)) != int(db):
                continue
            words = str(command.get("command", "")).split(" ")
            name = words[0].upper()
            where = "lua" if command.get("client_type") == "lua" else "client"
            counts[name] += 1
            counts[f"{where}:{name}"] += 1
            counts[f"key:{where} {name} {redis_key_family(words)}"] += 1


def read_sql_trace(prefix: Path) -> dict[int, Counter[str]]:
    """The statements each traced process counted so far, by pid."""
    out: dict[int, Counter[str]] = {}
    for path in prefix.parent.glob(prefix.name + ".*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out[int(data["pid"])] = Counter(data["counts"])
    return out


def sql_lines(title: str, counts: Counter[str], messages: int, top: int = 30) -> list[str]:
    """The statements per message, most frequent first (transactions and connections apart)."""
    per = max(messages, 1)
    statements = {k: v for k, v in counts.items() if not k.startswith("(")}
    lines = [
        f"{title}: {sum(statements.values()) / per:.2f} SQL statements per message, "
        f"{counts.get('(transaction begun)', 0) / per:.2f} transactions, "
        f"{counts.get('(connection opened)', 0) / per:.2f} connections opened"
    ]
    for text, count in sorted(statements.items(), key=lambda kv: -kv[1])[:top]:
        short = text if len(text) <= 150 else text[:147] + "..."
        lines.append(f"  {count / per:6.2f}  {short}")
    return lines


def sql_per_part(database_url: str) -> dict[str, float]:
    """SQL statements of each part of a turn, run here over the same database: the guide's
    answer (the action), the held and owed check before the dialogue (nothing owed: no claim
    follows), a notice-change claim and the window write (the channel)."""
    from sqlalchemy import event

    from app.services import build_services
    from app.settings import load_settings
    from banshi.asks import Ask
    from banshi.db import get_engine, session_scope
    from banshi.guide import DialogueState
    from banshi.notices import claim_changes
    from banshi.owed import check
    from bot.wechat.storage import record_contact

    settings = load_settings({"DATABASE_URL": database_url})
    engine = get_engine(database_url)
    services = build_services(settings, engine)
    statements = 0

    def counted(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", counted)
    guide_questions = [q for q in QUESTIONS if q not in ("你好", "谢谢", "今天天气怎么样")]
    for question in guide_questions:  # warm: the index, the hall cache
        services.guide.handle(question, Ask.OVERVIEW, DialogueState())
    statements = 0
    for question in guide_questions:
        services.guide.handle(question, Ask.OVERVIEW, DialogueState())
    guide = statements / len(guide_questions)
    statements = 0
    for i in range(20):
        with session_scope(engine) as session:
            check(session, f"oProfile{i:020d}", time_now(), settings.booking_remind_at)
    checks = statements / 20
    statements = 0
    for i in range(20):
        with session_scope(engine) as session:
            claim_changes(session, f"oProfile{i:020d}")
    claims = statements / 20
    statements = 0
    with session_scope(engine) as session:
        record_contact(session, "oProfile00000000000000000000", time_now())
    window = statements
    event.remove(engine, "before_cursor_execute", counted)
    return {
        "guide answer": guide,
        "held and owed check": checks,
        "notice-change claim": claims,
        "window write": window,
    }


def time_now() -> Any:
    from datetime import datetime

    return datetime.utcnow().replace(microsecond=0)


def table(title: str, samples: Counter[str], messages: int, sample_ms: float) -> list[str]:
    total = sum(samples.values())
    lines = [f"{title}: {total * sample_ms / max(messages, 1):.1f} ms CPU per message"]
    for name, count in samples.most_common():
        per = count * sample_ms / max(messages, 1)
        lines.append(f"  {name:<44} {per:7.2f} ms  {100 * count / max(total, 1):5.1f} %")
    return lines


def redis_lines(counts: Counter[str], messages: int) -> list[str]:
    per = max(messages, 1)
    plain = {k: v for k, v in counts.items() if ":" not in k}
    client = {k[7:]: v for k, v in counts.items() if k.startswith("client:")}
    lua = {k[4:]: v for k, v in counts.items() if k.startswith("lua:")}
    keys = {k[4:]: v for k, v in counts.items() if k.startswith("key:")}

    def listed(values: dict[str, int]) -> str:
        ordered = sorted(values.items(), key=lambda kv: -kv[1])
        return ", ".join(f"{k} {v / per:.2f}" for k, v in ordered)

    lines = [
        f"Redis commands per message: {sum(plain.values()) / per:.1f} "
        f"({sum(client.values()) / per:.1f} round trips, {sum(lua.values()) / per:.1f} inside "
        "Lua scripts)",
        f"  round trips: {listed(client)}",
        f"  inside scripts: {listed(lua)}",
        "  by command and key:",
    ]
    for key, count in sorted(keys.items(), key=lambda kv: -kv[1]):
        if count / per >= 0.05:
            lines.append(f"    {count / per:6.2f}  {key}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--sample-rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if py_spy() is None:
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="profile-turn-"))
    figures: dict[str, Any] = {"machine": machine(), "rate": args.rate, "seconds": args.seconds}
    trace = tmp / "sql"
    python_path = os.pathsep.join(
        p for p in (str(HERE / "trace"), os.environ.get("PYTHONPATH", "")) if p
    )
    extra_env = {"PYTHONPATH": python_path, "BANSHI_BENCH_SQL_TRACE": str(trace)}
    with live_assistant(workers=args.workers, extra_env=extra_env) as live:
        load = live.load()
        asyncio.run(load.warm_up())
        time.sleep(1.5)  # the traces are written every half second
        sql_before = read_sql_trace(trace)
        redis_counts: Counter[str] = Counter()
        stop = threading.Event()
        monitor = threading.Thread(
            target=count_redis, args=(live.redis_url, stop, redis_counts), daemon=True
        )
        monitor.start()
        spies = [
            record(live.assistant.rasa.pid, args.seconds, tmp / "rasa.txt", args.sample_rate),
            record(
                live.assistant.actions.process.pid,
                args.seconds,
                tmp / "actions.txt",
                args.sample_rate,
            ),
        ]
        time.sleep(1.0)  # py-spy attaches
        started = time.monotonic()
        run = asyncio.run(
            steady(args.rate, args.seconds - 2, load.wechat_sender(args.citizens, "p"))
        )
        busy = time.monotonic() - started
        stop.set()
        time.sleep(1.5)
        sql_after = read_sql_trace(trace)
        server_pids = {
            "Rasa server": live.assistant.rasa.pid,
            "action server": live.assistant.actions.process.pid,
        }
        for spy in spies:
            spy.wait(args.seconds + 30)
        sql = sql_per_part(live.database_url)
    traced: dict[str, Counter[str]] = {}
    for pid, after in sql_after.items():
        name = next((n for n, p in server_pids.items() if p == pid), f"process {pid}")
        diff = after - sql_before.get(pid, Counter())
        if diff:
            traced[name] = traced.get(name, Counter()) + diff
    messages = run.sent
    sample_ms = 1000 / args.sample_rate
    rasa = classify(tmp / "rasa.txt", RASA_PARTS)
    actions = classify(tmp / "actions.txt", ACTION_PARTS)
    lines = [
        f"machine: {figures['machine']}",
        f"load: {args.rate:g} msg/s from {args.citizens} citizens for {busy:.0f} s; "
        f"{messages} messages, passive reply {run.summary()}",
        "",
        *table("Rasa server (with the WeChat channel)", rasa, messages, sample_ms),
        "",
        *table("action server", actions, messages, sample_ms),
        "",
        *redis_lines(redis_counts, messages),
        "",
        *(line for name, counts in traced.items() for line in sql_lines(name, counts, messages)),
        "",
        "SQL statements by part, run here: " + ", ".join(f"{k} {v:.1f}" for k, v in sql.items()),
    ]
    print("\n".join(lines))
    figures |= {
        "messages": messages,
        "latency_ms": [run.ms(50), run.ms(95), run.ms(99)],
        "rasa_ms_per_message": {k: round(v * sample_ms / messages, 2) for k, v in rasa.items()},
        "actions_ms_per_message": {
            k: round(v * sample_ms / messages, 2) for k, v in actions.items()
        },
        "redis_per_message": {k: round(v / messages, 2) for k, v in redis_counts.items()},
        "sql_per_message": {
            name: {k: round(v / messages, 3) for k, v in counts.items()}
            for name, counts in traced.items()
        },
        "sql_statements": sql,
    }
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
