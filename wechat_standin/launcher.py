"""Starting the assistant for ``python -m wechat_standin --run``: as a separate program.

The stand-in runs ``banshi run`` as a child process and knows the assistant only from the
outside — its webhook, and the channel's health page (``GET /webhooks/wechat/`` →
``{"model_loaded": true}``) to know when to open the page — never by importing it.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HEALTH_PATH = "/webhooks/wechat/"


def answer_ctrl_c() -> None:
    """In a child before it runs: Ctrl-C (SIGINT) reaches it whatever its parent ignored or
    blocked (a server library in the parent may set SIGINT to SIG_IGN, which a child would
    otherwise inherit and then never stop on Ctrl-C)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class StartError(RuntimeError):
    """The assistant did not come up; the message says why and what to do."""


def banshi_command() -> list[str]:
    """``banshi`` from this interpreter's environment (the console script), else from PATH."""
    beside = Path(sys.executable).with_name("banshi")
    found = str(beside) if beside.exists() else shutil.which("banshi")
    if found is None:
        raise StartError("找不到 banshi 命令：请先运行 scripts/setup（或 pip install -e .）。")
    return [found]


def model_loaded(base_url: str) -> bool:
    """True once the channel's health page says the model is loaded."""
    try:
        with urllib.request.urlopen(base_url + HEALTH_PATH, timeout=2) as response:
            return bool(json.loads(response.read()).get("model_loaded"))
    except (urllib.error.URLError, OSError, ValueError, AttributeError):
        return False


@dataclass
class Assistant:
    """The running ``banshi run``."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 60.0) -> None:
        """Ctrl-C, as a person would (``banshi run`` then stops its own servers)."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


def start_assistant(
    port: int,
    env: Mapping[str, str],
    command: Sequence[str] | None = None,
    timeout: float = 600.0,
    poll: float = 0.5,
) -> Assistant:
    """Run ``banshi run --port PORT`` (or ``command``) and return once its model is loaded.

    The child has a session of its own: Ctrl-C in the terminal reaches the stand-in only,
    which then stops the assistant once, in order.
    """
    argv = list(command) if command is not None else [*banshi_command(), "run"]
    argv += ["--port", str(port)]
    process = subprocess.Popen(
        argv, env=dict(env), start_new_session=True, preexec_fn=answer_ctrl_c
    )
    assistant = Assistant(process, port)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StartError(f"banshi run 已退出（{process.returncode}），见上面的输出。")
            if model_loaded(assistant.base_url):
                return assistant
            time.sleep(poll)
        raise StartError(f"{timeout:.0f} 秒内模型没有加载完成，见上面的输出。")
    except BaseException:
        assistant.stop()
        raise
