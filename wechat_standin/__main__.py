"""``python -m wechat_standin``: serve the stand-in (API side and conversation page).

With ``--run`` it also starts the assistant (``banshi run``, as a separate program) pointed
at itself, so one command gives a working conversation on a clean clone (after ``banshi
train``).

The account is configured as a 公众号 console would be: ``--token``, ``--appid``,
``--secret``, ``--aes-key``, each defaulting to the ``WECHAT_*`` variable the assistant reads
(``WECHAT_TOKEN``, ``WECHAT_APPID``, ``WECHAT_APPSECRET``, ``WECHAT_AES_KEY``) and then to the
development account both sides share, so the two agree without either importing the other.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

from aiohttp import web

from wechat_standin.account import DEV_APPID, DEV_APPSECRET, DEV_TOKEN, Account, Mode
from wechat_standin.api import StandinAPI
from wechat_standin.crypto import CryptoError, aes_key
from wechat_standin.driver import PushDriver
from wechat_standin.launcher import Assistant, StartError, start_assistant
from wechat_standin.page import Page
from wechat_standin.server import BackgroundStandin

DEFAULT_MENU = Path("bot/wechat/menu.yml")  # relative to where it is started (the project)


def parse_args(argv: list[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m wechat_standin", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="the stand-in's port (8765)")
    parser.add_argument(
        "--webhook",
        default="http://127.0.0.1:5005/webhooks/wechat/webhook",
        help="the assistant's webhook (banshi run's URL)",
    )
    parser.add_argument(
        "--mode",
        choices=[m.value for m in Mode],
        help="push mode (default: safe when an EncodingAESKey is set)",
    )
    parser.add_argument("--token", default=env.get("WECHAT_TOKEN") or DEV_TOKEN)
    parser.add_argument("--appid", default=env.get("WECHAT_APPID") or DEV_APPID)
    parser.add_argument("--secret", default=env.get("WECHAT_APPSECRET") or DEV_APPSECRET)
    parser.add_argument("--aes-key", default=(env.get("WECHAT_AES_KEY") or "").strip() or None)
    parser.add_argument(
        "--menu",
        type=Path,
        default=DEFAULT_MENU,
        help="the menu the page offers until the account creates one (bot/wechat/menu.yml)",
    )
    parser.add_argument(
        "--run", action="store_true", help="also start the assistant (banshi run) against it"
    )
    return parser.parse_args(argv)


def assistant_env(
    env: Mapping[str, str], account: Account, secret: str, api_base: str
) -> dict[str, str]:
    """The assistant's environment: the same account, and this stand-in as WeChat's API."""
    child = {**env, "WECHAT_API_BASE_URL": api_base}
    child.update(WECHAT_TOKEN=account.token, WECHAT_APPID=account.appid, WECHAT_APPSECRET=secret)
    if account.aes_key:
        child["WECHAT_AES_KEY"] = account.aes_key
    return child


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    args = parse_args(argv, env)
    if args.aes_key:
        try:
            aes_key(args.aes_key)
        except CryptoError as exc:
            print(f"EncodingAESKey 有误：{exc}", file=sys.stderr)
            return 2
    mode = Mode(args.mode or (Mode.SAFE if args.aes_key else Mode.PLAIN))
    if mode != Mode.PLAIN and not args.aes_key:
        print("兼容/安全模式需要 EncodingAESKey（--aes-key 或 WECHAT_AES_KEY）。", file=sys.stderr)
        return 2
    api = StandinAPI(appid=args.appid, secret=args.secret)
    account = Account(args.token, args.appid, args.aes_key, mode.value)

    def install(app: web.Application) -> None:
        page = Page(api, PushDriver(args.webhook, account), menu_path=args.menu)
        page.install(app)

    standin = BackgroundStandin(api, args.port, install).start()

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    assistant: Assistant | None = None
    try:
        if args.run:
            port = urlparse(args.webhook).port or 5005
            print(f"正在启动办事助手（端口 {port}，加载模型约需 40 秒）……", flush=True)
            try:
                assistant = start_assistant(
                    port, assistant_env(env, account, args.secret, standin.api_base)
                )
            except StartError as exc:
                print(f"办事助手启动失败：{exc}", file=sys.stderr)
                return 2
        print("微信替身已启动：")
        print(f"  对话页面：{standin.url}")
        print(
            f"  API 替身：{standin.api_base}（助手需设置 WECHAT_API_BASE_URL={standin.api_base}）"
        )
        print(f"  推送目标：{args.webhook}（{mode.label}模式）")
        print("按 Ctrl-C 停止。", flush=True)
        while assistant is None or assistant.process.poll() is None:
            time.sleep(1)
        print("办事助手已退出。", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        if assistant is not None:
            assistant.stop()
        standin.stop()


if __name__ == "__main__":
    sys.exit(main())
