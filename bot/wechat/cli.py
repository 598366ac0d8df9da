"""``banshi run``, ``banshi wechat menu`` and ``banshi wechat push-changes``, registered into
banshi's command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from banshi.settings import PROJECT_ROOT, Settings


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.training import model_path
    from bot.wechat.runner import StartError, run_until_interrupted, start_assistant
    from bot.wechat.settings import SettingsError, load_wechat_settings

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)  # stop the children on SIGTERM as on Ctrl-C
    try:
        wechat = load_wechat_settings()
    except SettingsError as exc:
        print(f"微信配置有误：{exc}", file=sys.stderr)
        return 2
    model = model_path()
    if not model.exists():
        print(f"没有找到模型 {model}，请先运行 banshi train。", file=sys.stderr)
        return 2
    if wechat.is_development:
        print(
            "注意：未设置 WECHAT_TOKEN，正在使用开发用令牌，只能配合本地替身（wechat_standin）使用。"
        )
    mode = "安全/兼容模式（AES）" if wechat.aes_key else "明文模式"
    print(
        f"正在启动动作服务器和 Rasa 服务器（加载模型约需 40 秒；日志在 {settings.var_dir / 'log'}）……"
    )
    try:
        assistant = start_assistant(
            model,
            port=args.port,
            host=args.host,
            actions_module=args.actions,
            rest=args.rest,
            workers=args.workers,
        )
    except KeyboardInterrupt:
        return 0
    except StartError as exc:
        print(f"启动失败：{exc}", file=sys.stderr)
        return 2
    print(f"办事助手已就绪（{mode}）。")
    print(f"微信公众号服务器地址（URL）：{assistant.webhook_url}")
    if args.rest:
        print(f"REST 通道（仅供测试）：{assistant.base_url}/webhooks/rest/webhook")
    print("按 Ctrl-C 停止。", flush=True)
    return run_until_interrupted(assistant)


def cmd_menu(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wechat.api import WeChatAPIError, standalone_api
    from bot.wechat.menu import MenuError, domain_intents, load_menu
    from bot.wechat.settings import load_wechat_settings

    try:
        menu = load_menu(intents=domain_intents(PROJECT_ROOT / "bot" / "domain.yml"))
    except MenuError as exc:
        print(f"菜单不符合微信的要求：{exc}", file=sys.stderr)
        return 2
    payload = menu.payload()
    if args.dry_run:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    wechat = load_wechat_settings()

    async def push() -> None:
        async with standalone_api(wechat) as api:
            await api.create_menu(payload)

    try:
        asyncio.run(push())
    except WeChatAPIError as exc:
        print(f"菜单推送失败：{exc}", file=sys.stderr)
        return 2
    buttons = sum(len(b.get("sub_button") or [b]) for b in payload["button"])
    print(
        f"菜单已推送到 {wechat.api_base_url}（{len(payload['button'])} 个主菜单，{buttons} 个按钮）。"
    )
    return 0


def cmd_push_changes(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import get_engine, migrate
    from bot.wechat.push import push_now
    from bot.wechat.settings import SettingsError, load_wechat_settings

    try:
        wechat = load_wechat_settings()
    except SettingsError as exc:
        print(f"微信配置有误：{exc}", file=sys.stderr)
        return 2
    engine = get_engine(settings.database_url)
    migrate(engine)
    result = push_now(engine, wechat)
    if result.unreachable:
        print(
            f"无法连接微信（{result.unreachable}）：已推送 {result.sent} 条告知单变更提醒，"
            f"{result.waiting} 条在市民下次发消息时送达。",
            file=sys.stderr,
        )
        return 2
    print(
        f"已通过客服消息推送 {result.sent} 条告知单变更提醒；"
        f"{result.waiting} 条在市民下次发消息时送达。"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``run``, ``wechat menu`` and ``wechat push-changes`` to banshi's subcommands."""
    run = subparsers.add_parser(
        "run", help="serve the assistant: Rasa with the WeChat channel and the action server"
    )
    run.add_argument("--port", type=int, default=5005, help="the Rasa server's port (5005)")
    run.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 to expose it)"
    )
    run.add_argument(
        "--actions", default="actions", help="the action package (tests use a slowed one)"
    )
    run.add_argument(
        "--rest", action="store_true", help="also serve Rasa's REST channel (benchmarks only)"
    )
    run.add_argument(
        "--workers", type=int, default=1, help="Sanic worker processes (needs REDIS_URL)"
    )
    run.set_defaults(func=cmd_run)

    wechat = subparsers.add_parser("wechat", help="the WeChat 公众号")
    wechat_sub = wechat.add_subparsers(dest="wechat_command", required=True)
    menu = wechat_sub.add_parser("menu", help="push bot/wechat/menu.yml as the account's menu")
    menu.add_argument("--dry-run", action="store_true", help="print the menu, push nothing")
    menu.set_defaults(func=cmd_menu)
    push = wechat_sub.add_parser(
        "push-changes",
        help="push pending notice changes as 客服消息 to citizens whose 48-hour window is open",
    )
    push.set_defaults(func=cmd_push_changes)


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.wechat.cli run`` works before (and besides) ``banshi run``."""
    import logging

    from banshi.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m bot.wechat.cli")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return int(args.func(args, load_settings()) or 0)


if __name__ == "__main__":
    sys.exit(main())
