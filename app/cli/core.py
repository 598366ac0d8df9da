"""``banshi``: the one command line (catalog, training, running the assistant, WeChat).

Every command first brings the database schema up to date (alembic), so a fresh clone or an
upgraded deployment needs no separate migration step. Handlers parse arguments, call one
function of the domain, an adapter or :mod:`app.workflows`, and print the result.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from typing import TYPE_CHECKING

from app.settings import PROJECT_ROOT, Settings
from app.workflows import SyncOutcome, push_pending_changes, sync_and_notify
from bot.wechat.push import PushResult

if TYPE_CHECKING:
    from app.run import Chore

log = logging.getLogger("banshi")


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from app.services import engine_for

    return engine_for(settings)


# ---------------------------------------------------------------------- catalog


def _changes_line(told: int, pushed: PushResult | None) -> str:
    if pushed is None:
        return f"  告知单变更提醒 {told} 条：在市民下次发消息时送达。"
    if pushed.unreachable:
        return (
            f"  告知单变更提醒 {told} 条：无法连接微信（{pushed.unreachable}），已推送 "
            f"{pushed.sent} 条，其余在市民下次发消息时送达；可稍后运行 banshi wechat push-changes 重试。"
        )
    return (
        f"  告知单变更提醒 {told} 条：已通过客服消息推送 {pushed.sent} 条，"
        f"待市民下次发消息时送达 {pushed.waiting} 条。"
    )


def _sync_json(outcome: SyncOutcome) -> str:
    report = outcome.report
    return json.dumps(
        {
            "sync_id": report.sync_id,
            "source": report.source,
            "kind": report.kind,
            "status": report.status,
            "counts": report.counts,
            "seconds": round(report.seconds, 3),
            "rejections": [r.__dict__ for r in report.rejections],
            "notice_changes": outcome.told,
            "notice_push": outcome.pushed and outcome.pushed.__dict__,
        },
        ensure_ascii=False,
    )


def cmd_catalog_sync(args: argparse.Namespace, settings: Settings) -> int:
    from catalog_sync.lock import SyncBusy
    from catalog_sync.source import FetchError

    engine = _engine(settings)

    def once() -> int:
        code = 0
        for source in args.sources:
            try:
                outcome = sync_and_notify(
                    source, engine, settings, kind=args.kind, push=not args.no_push
                )
            except (FetchError, SyncBusy) as exc:
                print(f"同步失败：{exc}", file=sys.stderr)
                code = 2
                continue
            if args.json:
                print(_sync_json(outcome))
                continue
            report = outcome.report
            print(f"[{report.kind}] {source}\n  {report.message}（{report.seconds:.1f} 秒）")
            for r in report.rejections:
                print(f"  拒收 第 {r.line} 行 {r.task_guid or '-'}：{r.reason}")
            if outcome.told:
                print(_changes_line(outcome.told, outcome.pushed))
        return code

    if not args.schedule:
        return once()
    print(f"每 {args.schedule} 秒同步一次，Ctrl-C 停止。")
    try:
        while True:
            once()
            time.sleep(args.schedule)
    except KeyboardInterrupt:
        return 0


def cmd_catalog_status(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli.bookings import calendar_warning
    from banshi.calendar import calendar_status
    from banshi.db import session_scope
    from catalog_sync.status import catalog_status, format_status

    with session_scope(_engine(settings)) as session:
        status = catalog_status(session, last=args.last)
        calendar = calendar_status(session)
    if args.json:
        print(json.dumps({**status, "calendar": calendar}, ensure_ascii=False, indent=2))
    else:
        print(format_status(status))
        warning = calendar_warning(calendar)
        if warning:
            print(warning)
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    _engine(settings)
    print(f"数据库结构已是最新：{settings.database_url.split('@')[-1]}")
    return 0


# ---------------------------------------------------------------------- the model


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from app.training import TrainingError, train

    try:
        result = train(settings, force=args.force)
    except TrainingError as exc:
        print(f"训练失败：{exc}", file=sys.stderr)
        return 2
    if result.trained:
        print(f"模型已训练：{result.model}（{result.seconds:.0f} 秒）")
    else:
        print(f"模型已是最新，无需训练：{result.model}")
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    import subprocess
    import tempfile
    from pathlib import Path

    from app.run import free_port, start_action_server
    from app.training import model_path, rasa_command

    model = model_path()
    if not model.exists():
        print(f"没有找到模型 {model}，请先运行 banshi train。", file=sys.stderr)
        return 2
    log_path = settings.var_dir / "log" / "action-server.log"
    print(f"正在启动动作服务器（日志：{log_path}）……")
    try:
        server = start_action_server(log_path)
    except RuntimeError as exc:
        print(f"动作服务器启动失败：{exc}", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="banshi-chat-") as tmp:
            endpoints = server.write_endpoints(Path(tmp) / "endpoints.yml")
            shell = rasa_command(
                "shell", "-m", str(model), "--endpoints", str(endpoints), "-p", str(free_port())
            )
            return subprocess.run(shell, cwd=model.parent.parent).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


# ---------------------------------------------------------------------- serving and WeChat


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    import signal
    import subprocess

    from app.run import StartError, run_until_interrupted, start_assistant
    from app.settings import load_wechat_settings
    from app.training import model_path
    from bot.wechat.config import SettingsError

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
    from app.cli import all_chores
    from app.cli.console import start_console_process

    console_port = args.console_port or settings.console_port
    console = None
    if console_port:
        log_path = settings.var_dir / "log" / "console.log"
        console = start_console_process(settings, args.host, console_port, log_path)
    print(f"办事助手已就绪（{mode}）。")
    print(f"微信公众号服务器地址（URL）：{assistant.webhook_url}")
    if console is not None:
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        print(f"工作台（工作人员使用）：http://{host}:{console_port}/")
    if args.rest:
        print(f"REST 通道（仅供测试）：{assistant.base_url}/webhooks/rest/webhook")
    print("按 Ctrl-C 停止。", flush=True)
    try:
        return run_until_interrupted(assistant, all_chores(settings))
    finally:
        if console is not None and console.poll() is None:
            console.terminate()
            try:
                console.wait(10)
            except subprocess.TimeoutExpired:
                console.kill()


def chores(settings: Settings) -> list[Chore]:
    """What ``banshi run`` does on a schedule for this area: the retention policy daily."""
    from app.run import Chore
    from app.workflows import purge_expired

    engine = _engine(settings)
    return [Chore("privacy purge", 24 * 3600, lambda: purge_expired(engine, settings))]


def cmd_menu(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from app.settings import load_wechat_settings
    from bot.wechat.api import WeChatAPIError, standalone_api
    from bot.wechat.menu import MenuError, domain_intents, load_menu

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
    result = push_pending_changes(_engine(settings))
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


# ---------------------------------------------------------------------- privacy


def cmd_privacy_purge(args: argparse.Namespace, settings: Settings) -> int:
    from app.workflows import purge_expired

    report = purge_expired(_engine(settings), settings)
    if args.json:
        print(json.dumps({"deleted": report.deleted, "total": report.total}, ensure_ascii=False))
    else:
        print(f"已按保存期限清理过期数据：{report.summary()}")
    return 0


# ---------------------------------------------------------------------- registration


def register(sub: argparse._SubParsersAction) -> None:
    """catalog, db, train, chat, run, wechat, privacy."""
    catalog = sub.add_parser("catalog", help="the service catalog (事项目录)")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    sync = catalog_sub.add_parser("sync", help="import items.jsonl, halls.json or a delta")
    sync.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    sync.add_argument("--kind", choices=("items", "halls"), help="default: from the content")
    sync.add_argument("--schedule", type=int, metavar="SECONDS", help="sync again every SECONDS")
    sync.add_argument("--json", action="store_true", help="one JSON line per source")
    sync.add_argument(
        "--no-push",
        action="store_true",
        help="do not push notice changes as 客服消息; they go with the citizen's next message",
    )
    sync.set_defaults(func=cmd_catalog_sync)
    status = catalog_sub.add_parser("status", help="last syncs, items by state, rejections")
    status.add_argument("--json", action="store_true")
    status.add_argument("--last", type=int, default=5, help="how many syncs to list")
    status.set_defaults(func=cmd_catalog_status)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply the schema migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)

    train = sub.add_parser(
        "train", help="write the jieba dictionary from the catalog, train if anything changed"
    )
    train.add_argument("--force", action="store_true", help="train even if the model is current")
    train.set_defaults(func=cmd_train)

    chat = sub.add_parser("chat", help="talk to the trained model in the terminal (rasa shell)")
    chat.set_defaults(func=cmd_chat)

    run = sub.add_parser(
        "run", help="serve the assistant: Rasa with the WeChat channel and the action server"
    )
    run.add_argument("--port", type=int, default=5005, help="the Rasa server's port (5005)")
    run.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 to expose it)"
    )
    run.add_argument(
        "--actions", default="app.action_entry", help="the action module (tests use a slowed one)"
    )
    run.add_argument(
        "--rest", action="store_true", help="also serve Rasa's REST channel (benchmarks only)"
    )
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Rasa worker processes (default: one per core with REDIS_URL, else 1)",
    )
    run.add_argument(
        "--console-port",
        type=int,
        default=None,
        help="the staff console's port (default BANSHI_CONSOLE_PORT or 5080; 0: no console)",
    )
    run.set_defaults(func=cmd_run)

    wechat = sub.add_parser("wechat", help="the WeChat 公众号")
    wechat_sub = wechat.add_subparsers(dest="wechat_command", required=True)
    menu = wechat_sub.add_parser("menu", help="push bot/wechat/menu.yml as the account's menu")
    menu.add_argument("--dry-run", action="store_true", help="print the menu, push nothing")
    menu.set_defaults(func=cmd_menu)
    push = wechat_sub.add_parser(
        "push-changes",
        help="push pending notice changes as 客服消息 to citizens whose 48-hour window is open",
    )
    push.set_defaults(func=cmd_push_changes)

    privacy = sub.add_parser("privacy", help="personal data: retention")
    privacy_sub = privacy.add_subparsers(dest="privacy_command", required=True)
    purge = privacy_sub.add_parser(
        "purge", help="delete what is older than the retention period (banshi run does it daily)"
    )
    purge.add_argument("--json", action="store_true")
    purge.set_defaults(func=cmd_privacy_purge)
