"""``banshi run``: the action server and the Rasa server with the WeChat channel, together.

The Rasa server gets a credentials file and an endpoints file written into a temporary
directory (action endpoint on the port the action server got; tracker and lock stores in
Redis when REDIS_URL is set). ``banshi run`` reports ready only once the model is loaded,
and Ctrl-C (or SIGTERM) stops both servers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from banshi.db import get_engine, migrate
from banshi.settings import PROJECT_ROOT
from bot.action_server import ActionServer, free_port

CHANNEL = "bot.wechat.channel.WeChatInput"
NOTICE_PAGES = "bot.notice_pages.NoticePageInput"  # GET /notices/{number}
WEBHOOK_PATH = "/webhooks/wechat/webhook"


class StartError(RuntimeError):
    """A server did not come up; the message says which and where its log is."""


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


def write_config(
    directory: Path, action_url: str, redis_url: str | None, rest: bool = False
) -> tuple[Path, Path]:
    """credentials.yml and endpoints.yml for the Rasa server (YAML is a superset of JSON).

    The channel reads its secrets from the WECHAT_* environment, never from this file.
    """
    credentials: dict[str, Any] = {CHANNEL: {}, NOTICE_PAGES: {}}
    if rest:  # for benchmarks only: anyone could write into any conversation through it
        credentials["rest"] = {}
    endpoints: dict[str, Any] = {"action_endpoint": {"url": action_url}}
    if redis_url:
        endpoints["tracker_store"] = redis_store(redis_url, "banshi")
        endpoints["lock_store"] = redis_store(redis_url, "banshi")
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
    log_path: Path, env: dict[str, str], module: str = "actions", timeout: float = 120.0
) -> ActionServer:
    """``rasa run actions --actions <module>`` on a free port, once it answers /health."""
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


def start_assistant(
    model: Path,
    port: int = 5005,
    host: str = "127.0.0.1",
    actions_module: str = "actions",
    rest: bool = False,
    workers: int = 1,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    timeout: float = 600.0,
) -> Assistant:
    """Start the action server and the Rasa server; return once the model is loaded."""
    env = {**os.environ, **(env or {})}
    # Links in notices point at this server unless BANSHI_PUBLIC_URL says otherwise.
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if not env.get("BANSHI_PUBLIC_URL"):
        env["BANSHI_PUBLIC_URL"] = f"http://{public_host}:{port}"
    from banshi.settings import load_settings

    settings = load_settings(env)
    migrate(get_engine(settings.database_url))
    log_dir = log_dir or settings.var_dir / "log"
    actions = start_action_server(log_dir / "action-server.log", env, actions_module)
    tmp = tempfile.TemporaryDirectory(prefix="banshi-run-")
    try:
        credentials, endpoints = write_config(Path(tmp.name), actions.url, settings.redis_url, rest)
        if workers > 1:
            if not settings.redis_url:
                raise StartError("more than one worker needs REDIS_URL (shared stores and locks)")
            env["SANIC_WORKERS"] = str(workers)
        command = [
            *(sys.executable, "-m", "rasa", "run"),
            *("--model", str(model), "--credentials", str(credentials)),
            *("--endpoints", str(endpoints), "--port", str(port), "--interface", host),
        ]
        log_path = log_dir / "rasa-server.log"
        process = _spawn(command, log_path, env)
        assistant = Assistant(process, actions, port, host, log_dir, tmp)
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
            if status and status.get("model_loaded"):
                return assistant
            time.sleep(0.5)
        raise StartError(f"the model was not loaded within {timeout:.0f} s; see {log_path}")
    except BaseException:
        assistant.stop()
        raise


def run_until_interrupted(assistant: Assistant) -> int:
    """Wait for Ctrl-C or SIGTERM (or a server dying), then stop both servers."""

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    code = 0
    try:
        while True:
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
