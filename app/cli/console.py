"""The staff console and its accounts: ``banshi console``, ``banshi staff …``.

The console (:mod:`console`) is given everything from outside here: the engine, the secret
key, a catalog sync that also tells notice holders (:func:`app.workflows.sync_and_notify`), a
reader of a citizen's recent conversation (Rasa's Redis tracker store), and the pages and
dashboard cards each feature area contributes (``console_pages(settings)`` in its CLI module).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from console import ConsoleServices, ConversationReader

DEFAULT_PORT = 5080
TRACKER_KEY = "banshi:tracker:"  # RedisTrackerStore keys: key_prefix + ":tracker:" + sender


# ---------------------------------------------------------------------- wiring


def conversation_reader(redis_url: str | None) -> ConversationReader | None:
    """A citizen's recent turns from the Redis tracker store (stored masked), newest last;
    None without Redis (the in-memory store lives only inside the Rasa process)."""
    if not redis_url:
        return None
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)

    def read(openid: str) -> list[tuple[datetime, str, str]]:
        raw = client.get(TRACKER_KEY + openid)
        if not raw:
            return []
        turns = []
        for event in json.loads(raw).get("events") or []:
            if event.get("event") in ("user", "bot") and event.get("text"):
                when = datetime.fromtimestamp(float(event.get("timestamp") or 0))
                turns.append((when, str(event["event"]), str(event["text"])))
        return turns[-50:]

    return read


def trigger_sync(settings: Settings) -> Any:
    """A sync of one URL for the console's button, summarised like ``catalog sync --json``."""
    from app.services import engine_for
    from app.workflows import sync_and_notify

    def run(url: str) -> Mapping[str, Any]:
        outcome = sync_and_notify(url, engine_for(settings), settings)
        report = outcome.report
        return {
            "sync_id": report.sync_id,
            "source": report.source,
            "kind": report.kind,
            "status": report.status,
            "counts": report.counts,
            "seconds": round(report.seconds, 3),
            "rejections": [r.__dict__ for r in report.rejections],
            "message": report.message,
            "notice_changes": outcome.told,
        }

    return run


def console_services(settings: Settings) -> ConsoleServices:
    from app.cli import AREAS
    from app.services import engine_for
    from console import ConsoleServices

    pages: list[Any] = []
    cards: list[Any] = []
    for area in AREAS:
        contribute = getattr(area, "console_pages", None)
        if contribute is not None:
            more_pages, more_cards = contribute(settings)
            pages += more_pages
            cards += more_cards
    return ConsoleServices(
        engine=engine_for(settings),
        secret_key=settings.secret(),
        trigger_sync=trigger_sync(settings),
        conversation_reader=conversation_reader(settings.redis_url),
        cookie_secure=settings.console_secure_cookies,
        pages=pages,
        cards=cards,
    )


def start_console_process(
    settings: Settings, host: str, port: int, log: Path
) -> subprocess.Popen[bytes]:
    """``banshi console`` as a child of ``banshi run`` (uvicorn wants a main thread)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "console", "--host", host, "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


# ---------------------------------------------------------------------- commands


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from console import serve

    port = args.port or settings.console_port
    print(f"工作台：http://{args.host}:{port}/ （Ctrl-C 停止）", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve(console_services(settings), host=args.host, port=port)
    return 0


def _session(settings: Settings) -> Any:
    from app.services import engine_for
    from banshi.db import session_scope

    return session_scope(engine_for(settings))


def cmd_staff_add(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.staff.accounts import StaffError, add_staff
    from banshi.staff.passwords import WeakPassword
    from banshi.staff.roles import Role

    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    try:
        with _session(settings) as session:
            account, otp = add_staff(session, args.user, args.role, args.hall, password)
            name, role = account.username, Role(account.role)
    except (StaffError, WeakPassword) as exc:
        print(f"无法创建账号：{exc}", file=sys.stderr)
        return 2
    if otp:
        print(f"账号 {name}（{role.label}）已创建。一次性密码：{otp}")
        print("请当面交给本人；首次登录须修改密码。")
    else:
        print(f"账号 {name}（{role.label}）已创建。")
    return 0


def cmd_staff_list(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.staff.accounts import list_staff

    with _session(settings) as session:
        accounts = list_staff(session)
    if args.json:
        print(json.dumps(accounts, ensure_ascii=False, default=str))
        return 0
    for a in accounts:
        state = "在用" if a["active"] else "已停用"
        print(f"{a['username']}\t{a['role']}\t{a.get('hall') or '-'}\t{state}")
    return 0


def cmd_staff_disable(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.staff.accounts import StaffError, disable_staff

    try:
        with _session(settings) as session:
            disable_staff(session, args.user)
    except StaffError as exc:
        print(f"无法停用：{exc}", file=sys.stderr)
        return 2
    print(f"账号 {args.user} 已停用，并已退出所有登录。")
    return 0


def cmd_staff_reset(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.staff.accounts import StaffError, reset_password

    try:
        with _session(settings) as session:
            otp = reset_password(session, args.user)
    except StaffError as exc:
        print(f"无法重置：{exc}", file=sys.stderr)
        return 2
    print(f"账号 {args.user} 的一次性密码：{otp}（首次登录须修改；锁定已解除）")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """console, staff."""
    console = sub.add_parser("console", help="the staff console (工作台), alone")
    console.add_argument("--host", default="127.0.0.1", help="interface (0.0.0.0 to expose it)")
    console.add_argument("--port", type=int, default=None, help=f"port ({DEFAULT_PORT})")
    console.set_defaults(func=cmd_console)

    staff = sub.add_parser("staff", help="staff accounts of the console")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="create an account")
    add.add_argument("user")
    add.add_argument("--role", required=True, choices=("admin", "window", "dispatcher", "reviewer"))
    add.add_argument("--hall", metavar="HALL_CODE", help="the hall of a window account")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input; otherwise a one-time password is printed",
    )
    add.set_defaults(func=cmd_staff_add)
    listing = staff_sub.add_parser("list", help="every account")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_staff_list)
    disable = staff_sub.add_parser("disable", help="disable an account and sign it out")
    disable.add_argument("user")
    disable.set_defaults(func=cmd_staff_disable)
    reset = staff_sub.add_parser("reset", help="a new one-time password (and unlock)")
    reset.add_argument("user")
    reset.set_defaults(func=cmd_staff_reset)
