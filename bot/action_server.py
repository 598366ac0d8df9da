"""The action server as a child process on a free port (``banshi chat`` and the story tests).

Custom actions always go over HTTP in Rasa 3.6 OSS, so anything that talks to the bot needs
an action server running and an endpoints file pointing at it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ActionServer:
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
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_action_server(
    log_path: Path,
    env: dict[str, str] | None = None,
    root: Path = PROJECT_ROOT,
    timeout: float = 120.0,
) -> ActionServer:
    """Start ``rasa run actions --actions actions`` and wait until it answers /health.

    It runs in its own session, so Ctrl-C in ``rasa shell`` does not reach it; the caller
    stops it with :meth:`ActionServer.stop`.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "rasa",
        "run",
        "actions",
        "--actions",
        "actions",
        "--port",
        str(port),
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log: IO[bytes] = log_path.open("wb")
    process = subprocess.Popen(
        command,
        cwd=root,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    server = ActionServer(process, port, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the action server exited with code {process.returncode}; see {log_path}"
            )
        if _healthy(port):
            return server
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"the action server did not answer within {timeout:.0f} s; see {log_path}")
