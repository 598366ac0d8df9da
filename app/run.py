"""``banshi run``: the action server and the Rasa server with the WeChat channel, together.

The Rasa server gets a credentials file and an endpoints file written into a temporary
directory (action endpoint on the port the action server got; tracker and lock stores in
Redis when REDIS_URL is set). ``banshi run`` reports ready only once the model is loaded in
every worker, and Ctrl-C (or SIGTERM) stops both servers.

Every core is used: with REDIS_URL the Rasa server runs one Sanic worker per core (each loads
the model; the channel's de-duplication, per-citizen order and pending answers live in Redis,
so they hold across workers), and one worker without it. The Rasa server is started through
:func:`serve_rasa`, which spares it a cost Rasa pays on every turn (see there).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.settings import PROJECT_ROOT, load_settings
from banshi.db import get_engine, migrate

CHANNEL = "app.rasa_entry.WeChatChannel"
PUBLIC_PAGES = "app.rasa_entry.PublicPages"  # GET /notices/{number}
ACTIONS = "app.action_entry"  # the actions with their services installed
log = logging.getLogger(__name__)
WEBHOOK_PATH = "/webhooks/wechat/webhook"


class StartError(RuntimeError):
    """A server did not come up; the message says which and where its log is."""


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ActionServer:
    """The action server as a child process on a free port (custom actions always go over
    HTTP in Rasa 3.6 OSS)."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    def write_endpoints(self, path: Path) -> Path:
        """An endpoints file (YAML is a superset of JSON) pointing Rasa at this server."""
        path.write_text(json.dumps({"action_endpoint": {"url": self.url}}) + "\n")
        return path

    def stop(self, timeout: float = 10.0) -> None:
        _stop(self.process, timeout)


def redis_store(redis_url: str, key_prefix: str) -> dict[str, Any]:
    """A Rasa endpoint entry (tracker or lock store) for ``redis_url``."""
    url = urllib.parse.urlparse(redis_url)
    entry: dict[str, Any] = {
        "type": "redis",
        "url": url.hostname or "localhost",
        "port": url.port or 6379,
        "db": int((url.path or "/0").lstrip("/") or 0),
        "key_prefix": key_prefix,
    }
    if url.password:
        entry["password"] = urllib.parse.unquote(url.password)
    if url.username:
        entry["username"] = urllib.parse.unquote(url.username)
    if url.scheme == "rediss":
        entry["use_ssl"] = True
    return entry


TRACKER_STORE = "bot.tracker_store.MaskingRedisTrackerStore"
LOCK_STORE = "bot.lock_store.ScriptedRedisLockStore"
MEMORY_TRACKER_STORE = "bot.tracker_store.MaskingInMemoryTrackerStore"


def write_config(
    directory: Path,
    action_url: str,
    redis_url: str | None,
    rest: bool = False,
    retention_days: int = 180,
) -> tuple[Path, Path]:
    """credentials.yml and endpoints.yml for the Rasa server (YAML is a superset of JSON).

    The channel reads its secrets from the WECHAT_* environment, never from this file. The
    tracker store masks personal numbers before anything is stored and, in Redis, expires a
    conversation ``retention_days`` after its last message.
    """
    credentials: dict[str, Any] = {CHANNEL: {}, PUBLIC_PAGES: {}}
    if rest:  # for benchmarks only: anyone could write into any conversation through it
        credentials["rest"] = {}
    endpoints: dict[str, Any] = {
        "action_endpoint": {"url": action_url},
        "tracker_store": {"type": MEMORY_TRACKER_STORE},
    }
    if redis_url:
        endpoints["tracker_store"] = {
            **redis_store(redis_url, "banshi"),
            "type": TRACKER_STORE,
            "retention_days": retention_days,
        }
        endpoints["lock_store"] = {**redis_store(redis_url, "banshi"), "type": LOCK_STORE}
    credentials_path = directory / "credentials.yml"
    endpoints_path = directory / "endpoints.yml"
    credentials_path.write_text(json.dumps(credentials, indent=2) + "\n")
    endpoints_path.write_text(json.dumps(endpoints, indent=2) + "\n")
    return credentials_path, endpoints_path


def _get(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return dict(json.loads(response.read()))
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _spawn(command: list[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log: IO[bytes] = log_path.open("wb")
    try:
        # A session of its own: Ctrl-C reaches `banshi run`, which stops the children in order.
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()


def _stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def start_action_server(
    log_path: Path, env: dict[str, str] | None = None, module: str = ACTIONS, timeout: float = 120.0
) -> ActionServer:
    """``rasa run actions --actions <module>`` on a free port, once it answers /health.

    It runs in a session of its own, so Ctrl-C in ``rasa shell`` does not reach it; the caller
    stops it with :meth:`ActionServer.stop`."""
    env = {**os.environ, **(env or {})}
    port = free_port()
    command = [sys.executable, "-m", "rasa", "run", "actions", "--actions", module]
    process = _spawn([*command, "--port", str(port)], log_path, env)
    server = ActionServer(process, port, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"the action server exited ({process.returncode}); see {log_path}")
        if _get(f"http://127.0.0.1:{port}/health") is not None:
            return server
        time.sleep(0.5)
    server.stop()
    raise StartError(f"the action server did not answer within {timeout:.0f} s; see {log_path}")


@dataclass
class Assistant:
    """The running pair of servers."""

    rasa: subprocess.Popen[bytes]
    actions: ActionServer
    port: int
    host: str
    log_dir: Path
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)
    workers: int = 1

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    @property
    def webhook_url(self) -> str:
        return self.base_url + WEBHOOK_PATH

    def stop(self) -> None:
        _stop(self.rasa)
        self.actions.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def memory(self) -> list[Usage]:
        """What each process holds: the action server, the Rasa server and its workers."""
        out = [usage("动作服务器", self.actions.process.pid)]
        workers = _children(self.rasa.pid)
        if workers:
            out.append(usage("Rasa 主进程", self.rasa.pid))
            out += [usage(f"Rasa 工作进程 {i}", pid) for i, pid in enumerate(workers, 1)]
        else:
            out.append(usage("Rasa 服务器", self.rasa.pid))
        return out

    def memory_report(self) -> str:
        """One line per process, for the console."""
        lines = [f"Rasa 工作进程：{self.workers} 个。内存（常驻 / 按比例分摊）："]
        lines += [
            f"  {u.name}（pid {u.pid}）：{u.rss_mb:.0f} MB / {u.pss_mb:.0f} MB"
            for u in self.memory()
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Usage:
    """A process's memory: resident (RSS) and its proportional share of shared pages (PSS,
    what adding up the workers should use: forked workers share their parent's pages)."""

    name: str
    pid: int
    rss_mb: float
    pss_mb: float


def usage(name: str, pid: int) -> Usage:
    values: dict[str, float] = {}
    for file in ("status", "smaps_rollup"):
        try:
            text = Path(f"/proc/{pid}/{file}").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "Pss") and rest.split():
                values[key] = int(rest.split()[0]) / 1024  # kB -> MB
    rss = values.get("VmRSS", 0.0)
    return Usage(name, pid, rss, values.get("Pss", rss))


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


READY_LINE = "Rasa server is up and running."


def _loaded(log_path: Path) -> int:
    """How many Rasa workers have loaded the model (each logs it once)."""
    try:
        return log_path.read_text(errors="replace").count(READY_LINE)
    except OSError:
        return 0


def default_workers(redis_url: str | None, cores: int | None = None) -> int:
    """One Rasa worker per core with Redis (the stores and locks are shared), else one: the
    in-memory stores cannot be."""
    if not redis_url:
        return 1
    return max(1, cores if cores is not None else os.cpu_count() or 1)


THREAD_SETTINGS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")


def compute_threads(
    workers: int, env: Mapping[str, str], cores: int | None = None
) -> dict[str, str]:
    """TensorFlow's and OpenMP's thread pools for each Rasa worker: the cores shared out
    (one each with a worker per core), unless the environment says otherwise. A pool per
    core in every worker oversubscribes the machine; one thread per worker spends less CPU
    per message (the DIET model runs on one sentence at a time)."""
    share = max(1, (cores if cores is not None else os.cpu_count() or 1) // max(1, workers))
    return {name: str(share) for name in THREAD_SETTINGS if not env.get(name)}


def start_assistant(
    model: Path,
    port: int = 5005,
    host: str = "127.0.0.1",
    actions_module: str = ACTIONS,
    rest: bool = False,
    workers: int | None = None,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    timeout: float = 600.0,
) -> Assistant:
    """Start the action server and the Rasa server; return once the model is loaded in every
    worker (``workers`` None: :func:`default_workers`)."""
    env = {**os.environ, **(env or {})}
    # Links in notices point at this server unless BANSHI_PUBLIC_URL says otherwise.
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if not env.get("BANSHI_PUBLIC_URL"):
        env["BANSHI_PUBLIC_URL"] = f"http://{public_host}:{port}"
    settings = load_settings(env)
    if workers is None:
        workers = default_workers(settings.redis_url)
    migrate(get_engine(settings.database_url))
    log_dir = log_dir or settings.var_dir / "log"
    actions = start_action_server(log_dir / "action-server.log", env, actions_module)
    tmp = tempfile.TemporaryDirectory(prefix="banshi-run-")
    try:
        credentials, endpoints = write_config(
            Path(tmp.name), actions.url, settings.redis_url, rest, settings.retention_days
        )
        if workers > 1 and not settings.redis_url:
            raise StartError("more than one worker needs REDIS_URL (shared stores and locks)")
        rasa_env = {**env, "SANIC_WORKERS": str(workers), **compute_threads(workers, env)}
        command = [
            *(sys.executable, "-m", "app.run", "run"),
            *("--model", str(model), "--credentials", str(credentials)),
            *("--endpoints", str(endpoints), "--port", str(port), "--interface", host),
        ]
        log_path = log_dir / "rasa-server.log"
        process = _spawn(command, log_path, rasa_env)
        assistant = Assistant(process, actions, port, host, log_dir, tmp, workers)
    except BaseException:
        actions.stop()
        tmp.cleanup()
        raise
    health = assistant.base_url + "/webhooks/wechat/"
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StartError(f"the Rasa server exited ({process.returncode}); see {log_path}")
            status = _get(health)
            # a worker takes connections once its model is loaded: wait for all of them
            if status and status.get("model_loaded") and _loaded(log_path) >= workers:
                return assistant
            time.sleep(0.5)
        raise StartError(f"the model was not loaded within {timeout:.0f} s; see {log_path}")
    except BaseException:
        assistant.stop()
        raise


@dataclass
class Chore:
    """Work ``banshi run`` does on a schedule beside the servers (retention, reminders …)."""

    name: str
    every: float  # seconds
    run: Callable[[], object]
    due: float = 0.0  # monotonic time of the next run: the first is at start

    def tick(self, now: float) -> None:
        if now < self.due:
            return
        self.due = now + self.every
        try:
            self.run()
        except Exception:  # a chore failing must never stop the assistant
            log.exception("the scheduled chore %r failed; it runs again later", self.name)


def run_until_interrupted(assistant: Assistant, chores: Sequence[Chore] = ()) -> int:
    """Wait for Ctrl-C or SIGTERM (or a server dying), then stop both servers; meanwhile run
    the chores when they are due."""

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    code = 0
    print(assistant.memory_report(), flush=True)
    try:
        while True:
            for chore in chores:
                chore.tick(time.monotonic())
            if assistant.rasa.poll() is not None:
                print(
                    f"Rasa 服务器已退出（{assistant.rasa.returncode}），见日志。", file=sys.stderr
                )
                code = 1
                break
            if assistant.actions.process.poll() is not None:
                print("动作服务器已退出，见日志。", file=sys.stderr)
                code = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("正在停止……")
        assistant.stop()
        signal.signal(signal.SIGTERM, previous)
    return code


# ---------------------------------------------------------------------- the Rasa server


def _validate_once_built() -> None:
    """Rasa checks every action server response with ``jsonschema.validate``, which first
    validates the schema itself against its metaschema: about 20 ms of CPU a turn, a third
    of the Rasa server's (bench/README.md). The schema is a constant, so its validator is
    built once; a response that fails still goes through Rasa's own method and its error."""
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator = validators.validator_for(schema)(schema)
    rasa_validate = RemoteAction._validate_action_result

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        if exceptions.best_match(validator.iter_errors(result)) is None:
            return True
        return bool(rasa_validate(self, result))

    RemoteAction._validate_action_result = validate


def serve_rasa(argv: Sequence[str]) -> None:
    """``rasa <argv>`` in this process, spared the per-turn costs above (forked Sanic workers
    inherit it)."""
    _validate_once_built()
    from rasa.__main__ import main

    sys.argv = ["rasa", *argv]
    main()


if __name__ == "__main__":
    serve_rasa(sys.argv[1:])
