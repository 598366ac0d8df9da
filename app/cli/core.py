"""``banshi``: the one entry point (catalog sync and status, training, running the bot).

Every command first brings the database schema up to date (alembic), so a fresh clone or an
upgraded deployment needs no separate migration step.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from banshi.db import get_engine, migrate, session_scope
from banshi.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.wechat.push import PushResult
    from catalog_sync.service import SyncReport

log = logging.getLogger("banshi")


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = get_engine(settings.database_url)
    migrate(engine)
    return engine


def _changed(report: SyncReport) -> bool:
    return report.kind == "items" and report.status == "ok"


def _queue_notice_changes(engine: Engine, sync_id: int) -> int:
    """Queue what the sync changed for holders of recent notices (delivered by the channel)."""
    from datetime import date

    from banshi.notices import changes_for_notices

    with session_scope(engine) as session:
        return len(changes_for_notices(session, sync_id, date.today()))


def _push_notice_changes(engine: Engine) -> PushResult:
    """Push the queued changes as 客服消息 to holders whose 48-hour window is open."""
    from bot.wechat.push import push_now

    return push_now(engine)


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


def cmd_catalog_sync(args: argparse.Namespace, settings: Settings) -> int:
    from catalog_sync.lock import SyncBusy
    from catalog_sync.service import run_sync
    from catalog_sync.source import FetchError

    engine = _engine(settings)

    def once() -> int:
        code = 0
        for source in args.sources:
            try:
                report = run_sync(source, engine, settings, kind=args.kind)
            except (FetchError, SyncBusy) as exc:
                print(f"同步失败：{exc}", file=sys.stderr)
                code = 2
                continue
            told = _queue_notice_changes(engine, report.sync_id) if _changed(report) else 0
            # The sync has succeeded by now; whatever WeChat says cannot change that.
            pushed = _push_notice_changes(engine) if told and not args.no_push else None
            if args.json:
                print(
                    json.dumps(
                        {
                            "sync_id": report.sync_id,
                            "source": report.source,
                            "kind": report.kind,
                            "status": report.status,
                            "counts": report.counts,
                            "seconds": round(report.seconds, 3),
                            "rejections": [r.__dict__ for r in report.rejections],
                            "notice_changes": told,
                            "notice_push": pushed and pushed.__dict__,
                        },
                        ensure_ascii=False,
                    )
                )
                continue
            print(f"[{report.kind}] {source}\n  {report.message}（{report.seconds:.1f} 秒）")
            for r in report.rejections:
                print(f"  拒收 第 {r.line} 行 {r.task_guid or '-'}：{r.reason}")
            if told:
                print(_changes_line(told, pushed))
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
    from catalog_sync.status import catalog_status, format_status

    with session_scope(_engine(settings)) as session:
        status = catalog_status(session, last=args.last)
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        print(format_status(status))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    _engine(settings)
    print(f"数据库结构已是最新：{settings.database_url.split('@')[-1]}")
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.training import TrainingError, train

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

    from banshi.training import model_path, rasa_command
    from bot.action_server import free_port, start_action_server

    model = model_path()
    if not model.exists():
        print(f"没有找到模型 {model}，请先运行 banshi train。", file=sys.stderr)
        return 2
    log = settings.var_dir / "log" / "action-server.log"
    print(f"正在启动动作服务器（日志：{log}）……")
    try:
        server = start_action_server(log)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="banshi", description="办事助手 Banshi")
    parser.add_argument("-v", "--verbose", action="store_true", help="more logging")
    sub = parser.add_subparsers(dest="command", required=True)

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

    from bot.wechat.cli import register as register_wechat

    register_wechat(sub)  # `banshi run`, `banshi wechat menu`, `banshi wechat push-changes`
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args, load_settings()) or 0)


if __name__ == "__main__":
    sys.exit(main())
