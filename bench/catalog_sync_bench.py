"""Benchmark of ``banshi catalog sync`` (issue "catalog sync figures").

Generates a synthetic export (bench/gen_catalog.py) into a temporary directory, then for each
backend — a SQLite file in a temporary directory, and a fresh schema in PostgreSQL's ``test``
database (dropped afterwards) — runs, each as its own ``banshi catalog sync`` process with
DATABASE_URL and BANSHI_VAR_DIR set and REDIS_URL unset:

  (a) the full import of the items file;
  (b) the re-import of the same file (must report "unchanged");
  (c) the delta (new versions, new items, cancellations).

Each is measured for wall-clock seconds and peak RSS of the sync process (through
``/usr/bin/time -v`` when present, else ``os.wait4``), checked for correctness with the sync's
own report and ``banshi catalog status --json``, and compared with the targets.
The schema is created beforehand with ``banshi db upgrade`` (not timed). The targets (issue
18): the full import within 60 s and the unchanged re-import within 7 s of wall-clock time,
the delta within 1.5 s in process (the sync's own ``seconds``: a command's start-up, about a
second of imports and migrations checks, is not the sync's). The figures are compared with
``bench/baseline-sync.json`` (``--json`` writes them, ``--update-baseline`` replaces it).

    cd /work/main && .venv/bin/python bench/catalog_sync_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import figures as fig  # noqa: E402
from gen_catalog import generate  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_SECONDS = {"full": 60.0, "reimport": 7.0, "delta": 1.5}
IN_PROCESS = {"delta"}  # steps judged on the sync's own time, not the command's
BASELINE = HERE / "baseline-sync.json"
TARGET_RSS_MB = 500.0  # MB = 10**6 bytes
GNU_TIME = Path("/usr/bin/time")


# ------------------------------------------------------------------ measuring one process


@dataclass
class Measured:
    argv: list[str]
    seconds: float
    max_rss_kib: int
    returncode: int
    stdout: str
    stderr: str

    @property
    def rss_mb(self) -> float:
        return self.max_rss_kib * 1024 / 1e6


def _gnu_time_works() -> bool:
    if not GNU_TIME.exists():
        return False
    try:
        probe = subprocess.run(
            [str(GNU_TIME), "-v", "true"], capture_output=True, text=True, timeout=10
        )
    except OSError:
        return False
    return "Maximum resident set size" in probe.stderr


USE_GNU_TIME = _gnu_time_works()


def run_measured(argv: list[str], env: dict[str, str], workdir: Path) -> Measured:
    """Run ``argv``; return its wall-clock time and the peak RSS of that process."""
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    if USE_GNU_TIME:
        rusage_path = workdir / "time-v.txt"
        full = [str(GNU_TIME), "-v", "-o", str(rusage_path), *argv]
        with out_path.open("wb") as out, err_path.open("wb") as err:
            started = time.perf_counter()
            returncode = subprocess.run(full, env=env, stdout=out, stderr=err).returncode
            seconds = time.perf_counter() - started
        report = rusage_path.read_text()
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
        max_rss = int(match.group(1)) if match else -1
    else:
        with out_path.open("wb") as out, err_path.open("wb") as err:
            started = time.perf_counter()
            proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
            _, status, rusage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - started
            proc.returncode = returncode = os.waitstatus_to_exitcode(status)
        max_rss = rusage.ru_maxrss  # KiB on Linux
    return Measured(
        argv,
        seconds,
        max_rss,
        returncode,
        out_path.read_text(encoding="utf-8", errors="replace"),
        err_path.read_text(encoding="utf-8", errors="replace"),
    )


# ------------------------------------------------------------------ backends


@dataclass
class Backend:
    name: str
    url: str
    var_dir: Path
    cleanup: Callable[[], None] = lambda: None
    version: str = ""


def sqlite_backend(base: Path) -> Backend:
    directory = base / "sqlite"
    directory.mkdir()
    return Backend(
        "sqlite",
        f"sqlite:///{directory / 'banshi.db'}",
        directory / "var",
        version=f"SQLite {sqlite3.sqlite_version}",
    )


def postgres_backend(base: Path, admin_url: str) -> Backend:
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        version = conn.execute(text("SHOW server_version")).scalar_one()

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in admin_url else "?"
    directory = base / "postgres"
    directory.mkdir()
    return Backend(
        "postgres",
        f"{admin_url}{sep}options=-csearch_path%3D{schema}",
        directory / "var",
        cleanup=drop,
        version=f"PostgreSQL {version} (schema {schema})",
    )


# ------------------------------------------------------------------ steps and checks


@dataclass
class StepResult:
    backend: str
    step: str
    label: str
    measured: Measured
    report: dict[str, Any] | None
    status: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)

    @property
    def time_ok(self) -> bool:
        return self.judged_seconds <= TARGET_SECONDS[self.step]

    @property
    def judged_seconds(self) -> float:
        if self.step in IN_PROCESS and self.report and "seconds" in self.report:
            return float(self.report["seconds"])
        return self.measured.seconds

    @property
    def rss_ok(self) -> bool:
        return 0 <= self.measured.rss_mb <= TARGET_RSS_MB

    @property
    def ok(self) -> bool:
        return self.time_ok and self.rss_ok and not self.problems


def _expect(problems: list[str], what: str, actual: Any, expected: Any) -> None:
    if actual != expected:
        problems.append(f"{what}: {actual!r} != expected {expected!r}")


def _last_json_line(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                return None
            return value if isinstance(value, dict) else None
    return None


def bench_backend(
    backend: Backend,
    banshi: str,
    data: Path,
    manifest: dict[str, Any],
    workdir: Path,
    log: Callable[[str], None],
) -> list[StepResult]:
    env = dict(os.environ)
    for name in ("REDIS_URL", "BANSHI_JIEBA_DIR"):
        env.pop(name, None)
    env["DATABASE_URL"] = backend.url
    env["BANSHI_VAR_DIR"] = str(backend.var_dir)

    upgrade = subprocess.run(
        [banshi, "db", "upgrade"], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if upgrade.returncode:
        raise RuntimeError(f"banshi db upgrade failed on {backend.name}: {upgrade.stderr}")

    def status() -> dict[str, Any] | None:
        done = subprocess.run(
            [banshi, "catalog", "status", "--json", "--last", "1"],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        return json.loads(done.stdout) if done.returncode == 0 else None

    n = manifest["items"]
    n_upd, n_cancel, n_new = (
        manifest["delta_updated"],
        manifest["delta_cancelled"],
        manifest["delta_created"],
    )
    steps = [
        ("full", f"(a) full import, {n} items", data / "items.jsonl"),
        ("reimport", "(b) re-import, unchanged", data / "items.jsonl"),
        ("delta", f"(c) delta, {manifest['delta']} records", data / "delta.jsonl"),
    ]
    results: list[StepResult] = []
    before: dict[str, Any] | None = None
    for step, label, path in steps:
        log(f"  {backend.name}: {label} …")
        argv = [banshi, "catalog", "sync", "--json", str(path)]
        measured = run_measured(argv, env, workdir)
        report = _last_json_line(measured.stdout)
        after = status()
        problems: list[str] = []
        if measured.returncode != 0:
            problems.append(f"exit status {measured.returncode}: {measured.stderr[-500:]}")
        if report is None or after is None:
            problems.append("no JSON report or status")
        else:
            counts = report["counts"]
            items = after["items"]
            _expect(problems, "rejected", counts.get("rejected"), 0)
            if step == "full":
                _expect(problems, "sync status", report["status"], "ok")
                _expect(problems, "created", counts.get("created"), n)
                _expect(
                    problems,
                    "catalog status items",
                    items,
                    {"active": n, "suspended": 0, "cancelled": 0, "total": n},
                )
            elif step == "reimport":
                _expect(problems, "sync status", report["status"], "unchanged")
                _expect(problems, "unchanged", counts.get("unchanged"), n)
                _expect(problems, "created+updated", counts["created"] + counts["updated"], 0)
                _expect(problems, "catalog status items", items, (before or {}).get("items"))
            else:
                _expect(problems, "sync status", report["status"], "ok")
                _expect(problems, "created", counts.get("created"), n_new)
                _expect(problems, "updated", counts.get("updated"), n_upd + n_cancel)
                _expect(problems, "cancelled", counts.get("cancelled"), n_cancel)
                _expect(
                    problems,
                    "catalog status items",
                    items,
                    {
                        "active": n - n_cancel + n_new,
                        "suspended": 0,
                        "cancelled": n_cancel,
                        "total": n + n_new,
                    },
                )
        results.append(StepResult(backend.name, step, label, measured, report, after, problems))
        before = after
    return results


# ------------------------------------------------------------------ report


def machine() -> dict[str, str]:
    model = "?"
    mem = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "nproc": nproc or str(os.cpu_count()),
        "cpu": model,
        "ram": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": load,
    }


def format_table(results: list[StepResult]) -> str:
    header = (
        f"{'backend':<9} {'step':<28} {'wall s':>7} {'target':>7} {'in-proc s':>9} "
        f"{'peak RSS MB':>11} {'target':>7}  {'time':<4} {'mem':<4} {'check':<5} result"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        inproc = r.report.get("seconds") if r.report else None
        lines.append(
            f"{r.backend:<9} {r.label:<28} {r.measured.seconds:>7.2f} "
            f"{('≤ ' if r.step not in IN_PROCESS else 'in ≤ ') + format(TARGET_SECONDS[r.step], 'g'):>7} "
            f"{(format(inproc, '.2f') if inproc is not None else '-'):>9} "
            f"{r.measured.rss_mb:>11.1f} {'≤ ' + format(TARGET_RSS_MB, 'g'):>7}  "
            f"{'PASS' if r.time_ok else 'FAIL':<4} {'PASS' if r.rss_ok else 'FAIL':<4} "
            f"{'OK' if not r.problems else 'FAIL':<5} {'PASS' if r.ok else 'FAIL'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--delta", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument("--pg-url", default=PG_URL, help="admin URL of the `test` database")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--update-baseline", action="store_true")
    args = parser.parse_args(argv)

    banshi = str(Path(sys.executable).parent / "banshi")
    if not Path(banshi).exists():
        banshi = shutil.which("banshi") or sys.exit("banshi console script not found")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    command = f"cd {Path.cwd()} && {shlex.join([sys.executable, *sys.argv])}"
    base = Path(tempfile.mkdtemp(prefix="banshi-bench-"))
    results: list[StepResult] = []
    versions: list[str] = []
    try:
        log(f"generating {args.items} items + {args.delta}-record delta in {base / 'data'} …")
        started = time.perf_counter()
        manifest = generate(base / "data", args.items, args.delta, args.seed)
        log(f"  done in {time.perf_counter() - started:.1f} s")
        for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
            backend = (
                sqlite_backend(base) if name == "sqlite" else postgres_backend(base, args.pg_url)
            )
            versions.append(backend.version)
            workdir = base / f"run-{name}"
            workdir.mkdir()
            try:
                results += bench_backend(backend, banshi, base / "data", manifest, workdir, log)
            finally:
                backend.cleanup()
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    m = machine()
    print()
    print("banshi catalog sync benchmark")
    print(f"  command:  {command}")
    print(
        f"  each step: DATABASE_URL=<backend> BANSHI_VAR_DIR=<tmp>/var (REDIS_URL unset) "
        f"banshi catalog sync --json <tmp>/data/{{items,items,delta}}.jsonl"
        f"  [measured with {'/usr/bin/time -v' if USE_GNU_TIME else 'os.wait4'}]"
    )
    print(
        f"  machine:  nproc {m['nproc']}, {m['cpu']}, RAM {m['ram']}, {m['os']}, "
        f"Python {m['python']}, load avg {m['load']}"
    )
    print(f"  backends: {'; '.join(versions)}")
    print(
        f"  data:     {manifest['items']} items, {manifest['items_bytes'] / 1e6:.1f} MB, "
        f"{manifest['materials']} materials, {manifest['situations']} situations; delta "
        f"{manifest['delta']} = {manifest['delta_updated']} new versions + "
        f"{manifest['delta_cancelled']} cancellations + {manifest['delta_created']} new items "
        f"(seed {manifest['seed']})"
    )
    print()
    print(format_table(results))
    problems = [(r, p) for r in results for p in r.problems]
    if problems:
        print("\ncorrectness problems:")
        for r, p in problems:
            print(f"  {r.backend} {r.label}: {p}")
    passed = all(r.ok for r in results)
    print(f"\noverall: {'PASS' if passed else 'FAIL'}")
    current = {
        f"{r.backend}.{r.step}.{kind}_s": fig.Figure(round(value, 2), 0.0, "lower", "s")
        for r in results
        for kind, value in (
            ("wall", r.measured.seconds),
            ("in_process", float((r.report or {}).get("seconds", float("nan")))),
        )
    } | {
        f"{r.backend}.{r.step}.rss_mb": fig.Figure(round(r.measured.rss_mb), 0.0, "lower", "MB")
        for r in results
    }
    about = {"machine": m, "command": command, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    if args.json:
        fig.write(args.json, current, about)
    if args.update_baseline:
        fig.write(args.baseline, current, about)
        print(f"baseline updated: {args.baseline}")
    else:
        lines, worse = fig.report(current, args.baseline)
        print("\n" + "\n".join(lines))
        passed = passed and not worse
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
