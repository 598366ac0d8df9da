"""The stand-in stands apart: it imports none of the code it judges, agrees with the assistant
on the development account by value, and starts the assistant only as another program."""

from __future__ import annotations

import ast
import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import wechat_standin
from wechat_standin.__main__ import assistant_env, main
from wechat_standin.account import DEV_APPID, DEV_APPSECRET, DEV_TOKEN, Account, Mode
from wechat_standin.crypto import CryptoError
from wechat_standin.launcher import StartError, start_assistant

PACKAGE = Path(wechat_standin.__file__).resolve().parent
# The project's own packages (the code under test) and the frameworks it is built on.
FORBIDDEN = {"bot", "banshi", "actions", "app", "catalog_sync", "console", "rasa", "rasa_sdk"}
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_module_of_the_standin_imports_the_code_it_judges() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 8
    for path in files:
        for name in imported_modules(path):
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
            assert not name.startswith("wechatpy.crypto"), f"{path.name} uses wechatpy's AES"


def test_importing_every_module_loads_none_of_them() -> None:
    modules = sorted(f"wechat_standin.{p.stem}" for p in PACKAGE.glob("*.py"))
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r}"
        " or m.startswith('wechatpy.crypto')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_development_account_agrees_with_the_assistants_defaults() -> None:
    from bot.wechat import config

    assert (DEV_TOKEN, DEV_APPID, DEV_APPSECRET) == (
        config.DEV_TOKEN,
        config.DEV_APPID,
        config.DEV_APPSECRET,
    )


def test_an_account_is_checked_as_the_console_would() -> None:
    assert Account("t", "wx1", KEY, "safe").mode == Mode.SAFE
    assert Account("t", "wx1", KEY, Mode.COMPATIBLE).encrypted
    assert not Account("t", "wx1").encrypted and Account("t", "wx1").envelope() is None
    with pytest.raises(ValueError, match="needs an EncodingAESKey"):
        Account("t", "wx1", None, "safe")
    with pytest.raises(ValueError):
        Account("t", "wx1", KEY, "secret")
    with pytest.raises(CryptoError):
        Account("t", "wx1", "too-short", "safe")


@pytest.mark.parametrize(
    "argv,message",
    [(["--mode", "safe"], "EncodingAESKey"), (["--aes-key", "short"], "43")],
)
def test_a_misconfigured_account_stops_before_serving(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv, env={}) == 2
    assert message in capsys.readouterr().err


def test_the_assistant_gets_the_same_account_and_the_standin_as_its_api() -> None:
    account = Account("tok", "wxapp", KEY, "safe")
    env = assistant_env(
        {"PATH": "/bin", "WECHAT_TOKEN": "old"}, account, "sec", "http://x/cgi-bin/"
    )
    assert env == {
        "PATH": "/bin",
        "WECHAT_API_BASE_URL": "http://x/cgi-bin/",
        "WECHAT_TOKEN": "tok",
        "WECHAT_APPID": "wxapp",
        "WECHAT_APPSECRET": "sec",
        "WECHAT_AES_KEY": KEY,
    }


# A stand-in for `banshi run`: the channel's health page, with the API base it was given.
FAKE_ASSISTANT = r"""
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
port = int(sys.argv[sys.argv.index("--port") + 1])
class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"model_loaded": self.path == "/webhooks/wechat/",
                           "api": os.environ.get("WECHAT_API_BASE_URL")}).encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
try:
    HTTPServer(("127.0.0.1", port), Health).serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_assistant_is_started_as_a_program_and_stopped_with_ctrl_c() -> None:
    port = free_port()
    env = {"WECHAT_API_BASE_URL": "http://127.0.0.1:1/cgi-bin/"}
    assistant = start_assistant(
        port, env, command=[sys.executable, "-c", FAKE_ASSISTANT], timeout=30, poll=0.05
    )
    try:
        with urllib.request.urlopen(assistant.base_url + "/webhooks/wechat/", timeout=5) as r:
            assert json.loads(r.read()) == {"model_loaded": True, "api": env["WECHAT_API_BASE_URL"]}
    finally:
        assistant.stop(timeout=10)
    assert assistant.process.returncode == 0  # it handled the Ctrl-C


def test_an_assistant_that_exits_is_reported() -> None:
    with pytest.raises(StartError, match="已退出（3）"):
        start_assistant(
            free_port(), {}, command=[sys.executable, "-c", "raise SystemExit(3)"], poll=0.05
        )


def test_the_assistant_stops_on_ctrl_c_even_when_its_parent_ignores_it() -> None:
    # a server library in the parent may leave SIGINT ignored; a child would inherit that
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assistant = start_assistant(
            free_port(), {}, command=[sys.executable, "-c", FAKE_ASSISTANT], timeout=30, poll=0.05
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assistant.stop(timeout=10)
    assert assistant.process.returncode == 0
