"""``python -m wechat_standin``: serve the stand-in (API side and conversation page).

With ``--run`` it also starts the assistant (``banshi run``) pointed at itself, so one
command gives a working conversation on a clean clone (after ``banshi train``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from bot.wechat.settings import SettingsError, load_wechat_settings
from wechat_standin.api import StandinAPI
from wechat_standin.driver import Account, PushDriver
from wechat_standin.page import Page
from wechat_standin.server import BackgroundStandin

MODES = {"plain": "明文", "compatible": "兼容", "safe": "安全"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wechat_standin", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="the stand-in's port (8765)")
    parser.add_argument(
        "--webhook",
        default="http://127.0.0.1:5005/webhooks/wechat/webhook",
        help="the assistant's webhook (banshi run's URL)",
    )
    parser.add_argument(
        "--mode", choices=list(MODES), help="push mode (default: safe when WECHAT_AES_KEY is set)"
    )
    parser.add_argument(
        "--run", action="store_true", help="also start the assistant (banshi run) against it"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_wechat_settings()
    except SettingsError as exc:
        print(f"微信配置有误：{exc}", file=sys.stderr)
        return 2
    mode = args.mode or ("safe" if settings.aes_key else "plain")
    if mode != "plain" and not settings.aes_key:
        print("兼容/安全模式需要设置 WECHAT_AES_KEY。", file=sys.stderr)
        return 2
    api = StandinAPI(appid=settings.appid, secret=settings.appsecret)
    account = Account(settings.token, settings.appid, settings.aes_key, mode)
    holder: dict[str, Page] = {}

    def install(app):  # type: ignore[no-untyped-def]
        holder["page"] = Page(api, PushDriver(args.webhook, account))
        holder["page"].install(app)

    standin = BackgroundStandin(api, args.port, install).start()

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    assistant = None
    try:
        if args.run:
            from urllib.parse import urlparse

            from banshi.training import model_path
            from bot.wechat.runner import StartError, start_assistant

            port = urlparse(args.webhook).port or 5005
            print(f"正在启动办事助手（端口 {port}，加载模型约需 40 秒）……", flush=True)
            os.environ["WECHAT_API_BASE_URL"] = standin.api_base
            try:
                assistant = start_assistant(model_path(), port=port)
            except StartError as exc:
                print(f"办事助手启动失败：{exc}", file=sys.stderr)
                return 2
        print("微信替身已启动：")
        print(f"  对话页面：{standin.url}")
        print(
            f"  API 替身：{standin.api_base}（助手需设置 WECHAT_API_BASE_URL={standin.api_base}）"
        )
        print(f"  推送目标：{args.webhook}（{MODES[mode]}模式）")
        print("按 Ctrl-C 停止。", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        if assistant is not None:
            assistant.stop()
        standin.stop()


if __name__ == "__main__":
    sys.exit(main())
