"""End-to-end answer quality: each held-out question through the whole assistant (issue 13).

For each question set (``eval/e2e/*.yml``; the header of each file says how it was written)
the script does what a deployment does for that catalog, in a throw-away directory:

1. syncs the set's catalog (``items.jsonl``, ``halls.json``, then any ``delta-*.jsonl``) into a
   new SQLite database; the sync writes the jieba user dictionary from that catalog;
2. picks the model: the project's ``models/banshi.tar.gz`` when it is current (trained from
   today's config, domain, data and lexicon) and was trained with that very dictionary (the
   demo catalog after ``banshi train``); otherwise a model trained for the set's dictionary —
   what ``banshi train`` does after a sync, since the tokenizer's dictionary and the novelty
   featurizer's catalog words are inputs of the model. Such models are cached under
   ``var/eval/models`` by a hash of every training input, so only the first run trains
   (5–8 minutes; ``models/`` is never touched). ``--region-model reuse`` uses the project's
   model as it is, for every set;
3. starts a real action server on that database (``app.run.start_action_server``) and loads
   the model in-process (``Agent.load`` with that action endpoint);
4. sends every question as the first message of a fresh conversation, as the WeChat channel
   hands it over (not normalised: the pipeline normalises), and judges the replies.

Each set runs in a child process of its own: jieba's dictionary is process-global, and one
catalog's words must not help another's questions.

A reply is judged by what it says, as a citizen would read it:

- *right item*: a message opens with the expected item's header (``【name】``, also with
  ``（已取消）`` / ``（暂停办理）``); a numbered list that merely contains it does not count;
- *right aspect*: the reply also holds that item's answer about the expected aspect (its
  opening lines, as ``banshi.answers`` writes them), or the item's own 常见问题 answer, or — for
  a cancelled item — the statement that it is cancelled;
- *asked back* (ambiguous questions): a numbered list of items holding at least two of the
  expected ones;
- *out of scope said plainly*: the domain's ``utter_out_of_scope`` or the guide's "没有找到与您描述
  相符的事项"; *answered as an item*: any item header in the reply.

The resolver alone (``Resolver.resolve`` on the same catalog, no NLU) is printed beside as a
diagnostic. Only figures are printed for the ``test`` half; ``--show-errors dev`` lists the
dev half's misses.

    .venv/bin/python eval/e2e_eval.py [--sets demo chengdu] [--show-errors dev]
        [--region-model retrain|reuse] [--save PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from app.settings import load_settings  # noqa: E402
from app.training import CONFIG, DATA, DOMAIN, INPUTS, TOKENIZER, model_path  # noqa: E402
from banshi import answers  # noqa: E402
from banshi.asks import Ask  # noqa: E402
from banshi.catalog import get_item, place_of  # noqa: E402
from banshi.db import make_engine, migrate, session_scope  # noqa: E402
from banshi.lexicon import load_lexicon  # noqa: E402
from banshi.models import STATE_CANCELLED, Item  # noqa: E402
from banshi.resolution import Decision, Resolver  # noqa: E402
from banshi.text import normalize_message  # noqa: E402
from banshi.userdict import dictionary_hash  # noqa: E402

SETS = ROOT / "eval" / "e2e"
CACHE = ROOT / "var" / "eval"
NOVELTY = "bot.components.NoveltyFeaturizer"
KINDS = ("item", "ambiguous", "out_of_scope")
_HEADER = re.compile(r"【([^】]+?)(?:（(?:已取消|暂停办理)）)?】")
_LISTED = re.compile(r"^\s*(\d+)\.\s*(.+?)\s*$", re.M)


# ---------------------------------------------------------------------- the set's catalog


def catalog_files(catalog: Path) -> list[Path]:
    """Items, halls, then the deltas in name order: the state the set's header assumes."""
    files = [catalog / "items.jsonl", catalog / "halls.json"]
    files += sorted(catalog.glob("delta-*.jsonl"))
    return [f for f in files if f.exists()]


def training_fingerprint(dictionary: Path) -> str:
    """A hash of what a model is trained from, with ``dictionary`` as the jieba dictionary."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"rasa {version('rasa')}\n".encode())
    paths = [ROOT / "banshi" / "data" / "lexicon.yml"]
    for name in INPUTS:
        path = ROOT / name
        paths += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for path in paths:
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(dictionary_hash(dictionary).encode())
    return digest.hexdigest()


def project_model_fits(dictionary: Path) -> bool:
    """``models/banshi.tar.gz`` was trained from today's inputs with this very dictionary."""
    from app.training import configured_dictionary_dir, fingerprint, is_current

    project = configured_dictionary_dir()
    if dictionary_hash(dictionary) != dictionary_hash(project):
        return False
    return is_current(fingerprint(load_settings({})))


def trained_for(dictionary: Path, log: Path) -> Path:
    """A model trained exactly as ``banshi train`` would with ``dictionary``; cached."""
    name = f"e2e-{training_fingerprint(dictionary)[:16]}"
    target = CACHE / "models" / f"{name}.tar.gz"
    if target.exists():
        return target
    config = yaml.safe_load((ROOT / CONFIG).read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] in (TOKENIZER, NOVELTY):
            component["dictionary_path"] = str(dictionary)
    work = Path(tempfile.mkdtemp(prefix="banshi-e2e-train-"))
    (work / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    command = [sys.executable, "-m", "rasa", "train", "--config", str(work / "config.yml")]
    command += ["--domain", DOMAIN, "--data", *DATA, "--out", str(target.parent)]
    command += ["--fixed-model-name", name]
    # A cache of its own: the project's training cache stays as `banshi train` left it.
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(CACHE / "rasa-cache")}
    print(f"training a model for this catalog's dictionary (log: {log}) …", file=sys.stderr)
    with log.open("wb") as out:
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0 or not target.exists():
        raise SystemExit(f"training failed ({done.returncode}); see {log}")
    return target


# ---------------------------------------------------------------------- judging a reply


@dataclass
class Judged:
    """One question's outcome."""

    text: str
    kind: str
    half: str
    aspect: str
    expected: list[str]
    replies: list[str]
    intent: str = ""
    confidence: float = 0.0
    seconds: float = 0.0
    right_item: bool = False
    right_aspect: bool = False
    faq: bool = False
    asked_back: bool = False  # a numbered list with >= 2 expected items
    asked_any: bool = False  # a numbered list of items at all
    plain_out_of_scope: bool = False
    as_item: bool = False  # some item's header in the reply
    resolver_right: bool = False
    resolver_top: list[str] = field(default_factory=list)
    reply: str = ""  # what kind of reply it was (REPLIES)


@dataclass
class Judge:
    """What the replies about one catalog are compared with."""

    names: dict[str, set[str]]  # item name -> task codes
    items: dict[str, str]  # task code -> item name
    signatures: dict[tuple[str, str], list[str]]  # (code, aspect) -> accepted opening lines
    out_of_scope: list[str]  # openings of the replies that say "not mine" plainly
    fixed: dict[str, str]  # opening of each other fixed response -> what it is

    def codes_named(self, reply: str) -> set[str]:
        codes: set[str] = set()
        for name in _HEADER.findall(reply):
            codes |= self.names.get(name, set())
        return codes

    def listed(self, reply: str) -> set[str]:
        codes: set[str] = set()
        if "以下事项" not in reply:
            return codes
        for _number, name in _LISTED.findall(reply):
            codes |= self.names.get(name, set())
        return codes

    def reply_kind(self, whole: str, named: set[str], listed: set[str], plain: bool) -> str:
        if named:
            return "an item"
        if listed:
            return "asked back"
        if plain:
            return "not mine"
        return next((kind for opening, kind in self.fixed.items() if opening in whole), "a task")

    def judge(self, result: Judged) -> None:
        whole = "\n".join(result.replies)
        named = self.codes_named(whole)
        listed = self.listed(whole)
        expected = set(result.expected)
        result.as_item = bool(named)
        result.asked_any = bool(listed)
        result.plain_out_of_scope = any(o in whole for o in self.out_of_scope) and not named
        result.reply = self.reply_kind(whole, named, listed, result.plain_out_of_scope)
        if result.kind == "ambiguous":
            result.asked_back = len(listed & expected) >= 2
            return
        right = named & expected
        result.right_item = bool(right)
        for code in right:
            if f"【{self.items[code]}】常见问题：" in whole:
                result.faq = result.right_aspect = True
            for opening in self.signatures.get((code, result.aspect), []):
                if opening in whole:
                    result.right_aspect = True


def _opening(text: str) -> str:
    """The lines that tell one answer from another: the first, or two when the first is only
    the header."""
    lines = text.splitlines()
    return "\n".join(lines[:2]) if len(lines) > 1 and lines[0].endswith("】") else lines[0]


def build_judge(engine: Any, domain_responses: dict[str, Any]) -> Judge:
    from sqlalchemy import select

    today = date.today()
    names: dict[str, set[str]] = {}
    items: dict[str, str] = {}
    signatures: dict[tuple[str, str], list[str]] = {}
    writers: dict[Ask, list[Callable[..., str]]] = {
        ask: [fn] for ask, fn in answers.ANSWERS.items()
    }
    with session_scope(engine) as session:
        codes = list(session.execute(select(Item.task_code)).scalars())
        for code in codes:
            item = get_item(session, code)
            if item is None:
                continue
            items[code] = item.name
            names.setdefault(item.name, set()).add(code)
            place = place_of(session, item)
            for ask, fns in writers.items():
                accepted = []
                if item.state == STATE_CANCELLED:
                    accepted.append(answers.state_notice(item) or "")
                for fn in fns:
                    try:
                        accepted.append(_opening(fn(item, place, today)))
                    except TypeError:  # a writer that needs more than (item, place, today)
                        continue
                signatures[(code, ask.value)] = [a for a in accepted if a]

    def opening(name: str) -> str:
        return str(domain_responses[name][0]["text"])[:14]

    out_of_scope = [opening("utter_out_of_scope"), answers.NOT_FOUND[:14]]
    fixed = {opening("utter_nlu_fallback"): "not understood"}
    for name in ("utter_greet", "utter_goodbye", "utter_thank", "utter_affirm", "utter_deny"):
        fixed[opening(name)] = "small talk"
    fixed[opening("utter_ask_capabilities")] = "small talk"
    return Judge(names, items, signatures, out_of_scope, fixed)


# ---------------------------------------------------------------------- one set, one process


def run_set(name: str, region_model: str) -> dict[str, Any]:
    """Every question of ``eval/e2e/<name>.yml`` through the assistant; the judged results."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    # Rasa's debug log repeats every message: the test half's texts must not be printed.
    configure_structlog(logging.WARNING)

    from app.run import start_action_server
    from catalog_sync.service import run_sync

    spec = yaml.safe_load((SETS / f"{name}.yml").read_text(encoding="utf-8"))
    questions = spec["questions"]
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"banshi-e2e-{name}-") as tmp:
        var = Path(tmp)
        env = {"BANSHI_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var / 'catalog.db'}"}
        env["REDIS_URL"] = ""
        settings = replace(load_settings(env), redis_url=None)
        engine = make_engine(settings.database_url)
        migrate(engine)
        for source in catalog_files(ROOT / spec["catalog"]):
            run_sync(str(source), engine, settings)
        dictionary = settings.jieba_dir
        if region_model == "reuse" or project_model_fits(dictionary):
            model = model_path()
            how = "the project's model"
        else:
            model = trained_for(dictionary, CACHE / f"train-{name}.log")
            how = f"a model trained for this catalog's dictionary ({model.name})"
        print(f"[{name}] {how}", file=sys.stderr)

        resolver = Resolver(load_lexicon(settings.lexicon_path))
        server = start_action_server(var / "action-server.log", env=env)
        try:
            agent = Agent.load(str(model), action_endpoint=EndpointConfig(server.url))
            judge = build_judge(engine, agent.domain.responses)
            loop = asyncio.new_event_loop()
            results = [ask_one(agent, loop, resolver, engine, judge, q) for q in questions]
            loop.close()
        finally:
            server.stop()
            engine.dispose()
    return {"set": name, "model": how, "results": [asdict(r) for r in results]}


def ask_one(
    agent: Any,
    loop: asyncio.AbstractEventLoop,
    resolver: Resolver,
    engine: Any,
    judge: Judge,
    question: dict[str, Any],
) -> Judged:
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    text = str(question["text"])
    started = time.perf_counter()
    replies = loop.run_until_complete(agent.handle_text(text, sender_id=sender)) or []
    seconds = time.perf_counter() - started
    tracker = loop.run_until_complete(agent.tracker_store.retrieve(sender))
    intent = (tracker.latest_message.intent or {}) if tracker else {}
    result = Judged(
        text=text,
        kind=str(question["kind"]),
        half=str(question["half"]),
        aspect=str(question["aspect"]),
        expected=[str(c) for c in question.get("items") or []],
        replies=[str(r["text"]) for r in replies if r.get("text")],
        intent=str(intent.get("name") or ""),
        confidence=float(intent.get("confidence") or 0.0),
        seconds=seconds,
    )
    judge.judge(result)
    with session_scope(engine) as session:
        resolution = resolver.resolve(session, normalize_message(text))
    result.resolver_top = [c.name for c in resolution.candidates[:3]]
    expected = set(result.expected)
    if result.kind == "ambiguous":
        offered = {c.task_code for c in resolution.options}
        result.resolver_right = resolution.decision is Decision.ASK and len(offered & expected) >= 2
    elif result.kind == "item":
        best = resolution.best
        result.resolver_right = best is not None and best.task_code in expected
    else:
        result.resolver_right = resolution.decision is Decision.NONE
    return result


# ---------------------------------------------------------------------- the report


def _share(hits: int, n: int) -> str:
    return f"{hits / n:6.1%} ({hits:>3}/{n:<3})" if n else " " * 16


def table(runs: list[dict[str, Any]]) -> list[str]:
    """Per set, half and kind; then both sets together."""
    lines = [
        f"{'set':<8} {'half':<5} {'kind':<13} {'n':>4}  {'right item':<17}{'right aspect':<17}"
        f"{'asked back':<17}{'oos plain':<17}{'oos as item':>11}  {'resolver alone':<17}"
    ]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for run in runs:
        for r in run["results"]:
            for key in ((run["set"], r["half"], r["kind"]), ("all", r["half"], r["kind"])):
                groups.setdefault(key, []).append(r)
    names = [run["set"] for run in runs] + (["all"] if len(runs) > 1 else [])
    for set_name in names:
        for half in ("dev", "test"):
            for kind in KINDS:
                rows = groups.get((set_name, half, kind), [])
                n = len(rows)
                if not n:
                    continue
                count = lambda key, rows=rows: sum(1 for r in rows if r[key])  # noqa: E731
                item = kind == "item"
                lines.append(
                    f"{set_name:<8} {half:<5} {kind:<13} {n:>4}  "
                    f"{_share(count('right_item'), n) if item else '':<17}"
                    f"{_share(count('right_aspect'), n) if item else '':<17}"
                    f"{_share(count('asked_back'), n) if kind == 'ambiguous' else '':<17}"
                    f"{_share(count('plain_out_of_scope'), n) if kind == 'out_of_scope' else '':<17}"
                    f"{count('as_item') if kind == 'out_of_scope' else '':>11}  "
                    f"{_share(count('resolver_right'), n)}"
                )
    return lines


REPLIES = ("an item", "asked back", "not mine", "not understood", "small talk", "a task")


def outcomes(runs: list[dict[str, Any]]) -> list[str]:
    """What kind of reply each kind of question got, both sets, per half (counts only)."""
    lines = [f"{'half':<5} {'kind':<13} " + " ".join(f"{r:>14}" for r in REPLIES)]
    for half in ("dev", "test"):
        for kind in KINDS:
            rows = [
                r for run in runs for r in run["results"] if (r["half"], r["kind"]) == (half, kind)
            ]
            counts = [sum(1 for r in rows if r["reply"] == reply) for reply in REPLIES]
            lines.append(f"{half:<5} {kind:<13} " + " ".join(f"{c:>14}" for c in counts))
    return lines


def aspects(runs: list[dict[str, Any]], half: str) -> list[str]:
    """Right aspect per aspect, item questions of one half (a diagnostic)."""
    rows: dict[str, list[bool]] = {}
    for run in runs:
        for r in run["results"]:
            if r["kind"] == "item" and r["half"] == half:
                rows.setdefault(r["aspect"], []).append(r["right_aspect"])
    return [f"  {aspect:<12} {_share(sum(v), len(v))}" for aspect, v in sorted(rows.items())]


def latency(runs: list[dict[str, Any]]) -> str:
    times = sorted(r["seconds"] * 1000 for run in runs for r in run["results"])
    if not times:
        return ""
    p = lambda q: times[min(len(times) - 1, round(q * len(times)) - 1)]  # noqa: E731
    return f"turn (agent + action server): p50 {p(0.5):.0f} ms, p95 {p(0.95):.0f} ms"


def errors(runs: list[dict[str, Any]], half: str) -> Iterable[str]:
    for run in runs:
        for r in run["results"]:
            if r["half"] != half:
                continue
            ok = {
                "item": r["right_item"] and r["right_aspect"],
                "ambiguous": r["asked_back"],
                "out_of_scope": r["plain_out_of_scope"],
            }[r["kind"]]
            if ok:
                continue
            first = " / ".join(line.splitlines()[0][:60] for line in r["replies"][:2])
            why = "aspect" if r["kind"] == "item" and r["right_item"] else r["kind"]
            yield (
                f"[{run['set']} {why}] {r['text']}\n"
                f"    expected {r['aspect']} of {r['expected'][:3]}  nlu {r['intent']} "
                f"{r['confidence']:.2f}  resolver {r['resolver_top'][:2]}\n    replied {first}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=sorted(p.stem for p in SETS.glob("*.yml")))
    parser.add_argument("--show-errors", choices=("dev",))
    parser.add_argument("--region-model", choices=("retrain", "reuse"), default="retrain")
    parser.add_argument("--save", help="write the dev half's judged questions (JSON) here")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child mode: one set
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        run = run_set(args.one, args.region_model)
        Path(args.out).write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
        return 0

    runs = []
    with tempfile.TemporaryDirectory(prefix="banshi-e2e-") as tmp:
        for name in args.sets:
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, __file__, "--one", name, "--out", str(out)]
            command += ["--region-model", args.region_model]
            # The child's stdout is Rasa's log, which quotes the questions: never shown.
            child = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL)
            if child.returncode != 0:
                raise SystemExit(f"the {name} set failed")
            runs.append(json.loads(out.read_text(encoding="utf-8")))
    for run in runs:
        print(f"{run['set']}: {len(run['results'])} questions, {run['model']}")
    print("\n".join(table(runs)))
    print("the replies, both sets (an item: any item's answer, right or wrong):")
    print("\n".join(outcomes(runs)))
    print("right aspect by aspect, dev half:")
    print("\n".join(aspects(runs, "dev")))
    print(latency(runs))
    if args.show_errors:
        print(f"\nerrors, {args.show_errors} half:")
        print("\n".join(errors(runs, args.show_errors)))
    if args.save:
        dev = [
            {"set": run["set"], **r} for run in runs for r in run["results"] if r["half"] == "dev"
        ]
        Path(args.save).write_text(json.dumps(dev, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
