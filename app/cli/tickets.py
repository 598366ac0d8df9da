"""Tickets, 转人工 and 好差评 (issue 16): ``banshi tickets …``, ``banshi ratings list``, what
``banshi run`` does for them on a schedule, and their console pages.

- ``banshi tickets list [--state S] [--json]``, ``banshi tickets show NUMBER [--json]``,
  ``banshi tickets reply NUMBER "TEXT"``, ``banshi tickets close NUMBER`` (which invites the
  citizen to rate), ``banshi tickets push`` (deliver the outbox now);
- ``banshi ratings list [--json]``;
- chores: deliver the outbox every few seconds (staff replies, staff lines of a handoff,
  rating invitations), turn handoffs nobody took in time into tickets every minute, escalate
  near-due and overdue tickets (and settle due dates once a new year's calendar is loaded),
  purge drafts left half-way daily;
- :func:`console_pages`: the 工单, 人工服务 and 好差评 pages and their dashboard cards.

A refused command (an unknown number, a move the ticket's state does not allow) prints why
and exits with status 1. Replies and closings from here are recorded in the audit log as the
staff member named by ``--staff`` (default ``cli``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from app.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from app.run import Chore
    from bot.wechat.outbox import ReplyTemplate

log = logging.getLogger("banshi")

OUTBOX_EVERY = 2.0  # seconds: a staff line of a 转人工 conversation should feel live
HANDOFF_EVERY = 60.0
ESCALATE_EVERY = 30 * 60.0
DRAFTS_EVERY = 24 * 3600.0
DRAFT_DAYS = 1  # a ticket told half-way and left for a day is forgotten


def _engine(settings: Settings) -> Engine:
    from app.services import engine_for

    return engine_for(settings)


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def reply_template(settings: Settings) -> ReplyTemplate:
    """The template message announcing a reply outside the 48-hour window.

    ``Settings.reply_template_id`` (``WECHAT_REPLY_TEMPLATE_ID``) names the template chosen in
    the 公众号 console; until it is set, such replies wait for the citizen's next message."""
    from bot.wechat.outbox import ReplyTemplate

    return ReplyTemplate(getattr(settings, "reply_template_id", None) or None)


# ---------------------------------------------------------------------- tickets


def _refused(exc: Exception) -> int:
    print(str(exc), file=sys.stderr)
    return 1


def _list_line(row: dict[str, Any]) -> str:
    due = row["due_on"] or "期限待定"
    where = row["dept"] or "待派单"
    about = row["item"] or row["hall"] or "—"
    return f"{row['number']}  {row['kind_label']}  {row['state_label']}  {where}  {about}  {due}"


def cmd_tickets_list(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.tickets.cli import tickets_json

    try:
        with session_scope(_engine(settings)) as session:
            text = tickets_json(session, args.state, limit=args.limit)
    except ValueError as exc:  # an unknown state names the allowed ones
        return _refused(exc)
    if args.json:
        print(text)
        return 0
    rows = json.loads(text)
    for row in rows:
        print(_list_line(row))
    print(f"共 {len(rows)} 条。")
    return 0


def cmd_tickets_show(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.tickets.cli import ticket_json
    from banshi.tickets.errors import TicketError

    try:
        with session_scope(_engine(settings)) as session:
            text = ticket_json(session, args.number)
    except TicketError as exc:
        return _refused(exc)
    if args.json:
        print(text)
        return 0
    t = json.loads(text)
    print(f"{t['kind_label']}工单 {t['number']}（{t['state_label']}）")
    print(f"承办部门：{t['dept'] or '待派单'}  答复期限：{t['due_on'] or '待定'}")
    print(f"内容：{t['content']}")
    for r in t["replies"]:
        print(f"答复（{r['at']} {r['dept'] or r['staff']}）：{r['text']}")
    for e in t["history"]:
        print(f"  {e['at']}  {e['action_label']}  {e['actor']}  {e['reason']}")
    return 0


def cmd_tickets_reply(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.tickets import cli
    from banshi.tickets.audit import StaffAction, record_action
    from banshi.tickets.errors import TicketError
    from banshi.tickets.numbering import normalize_number

    now = _now()
    try:
        with session_scope(_engine(settings)) as session:
            line = cli.reply(session, args.number, args.text, args.staff, now)
            number = normalize_number(args.number)
            summary = f"答复工单 {number}（命令行）"
            record_action(
                session, args.staff, StaffAction.REPLY, f"ticket:{number}", summary=summary, at=now
            )
    except TicketError as exc:
        return _refused(exc)
    print(line)
    return 0


def cmd_tickets_close(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.tickets import cli
    from banshi.tickets.audit import StaffAction, record_action
    from banshi.tickets.errors import TicketError
    from banshi.tickets.numbering import normalize_number

    now = _now()
    try:
        with session_scope(_engine(settings)) as session:
            line = cli.close(session, args.number, args.staff, now)
            number = normalize_number(args.number)
            summary = f"办结工单 {number}（命令行）"
            record_action(
                session, args.staff, StaffAction.CLOSE, f"ticket:{number}", summary=summary, at=now
            )
    except TicketError as exc:
        return _refused(exc)
    print(line)
    return 0


def deliver_outbox(settings: Settings, engine: Engine | None = None) -> Any:
    """Push what the outbox owes citizens now (:func:`bot.wechat.outbox.deliver_now`)."""
    from app.settings import load_wechat_settings
    from bot.wechat.outbox import deliver_now

    return deliver_now(
        engine or _engine(settings),
        load_wechat_settings(),
        settings.links(),
        reply_template(settings),
    )


def cmd_tickets_push(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wechat.config import SettingsError

    try:
        result = deliver_outbox(settings)
    except SettingsError as exc:
        print(f"微信配置有误：{exc}", file=sys.stderr)
        return 2
    line = (
        f"客服消息 {result.custom} 条，模板消息 {result.template} 条；"
        f"微信拒收、待群众下次发消息时送达 {result.refused} 条。"
    )
    if result.unreachable:
        print(f"无法连接微信（{result.unreachable}）：{line}其余稍后重试。", file=sys.stderr)
        return 2
    print(line)
    return 0


# ---------------------------------------------------------------------- ratings


def cmd_ratings_list(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.ratings.cli import ratings_json

    with session_scope(_engine(settings)) as session:
        text = ratings_json(session, limit=args.limit)
    if args.json:
        print(text)
        return 0
    rows = json.loads(text)
    for r in rows:
        aside = "（已甄别，不计入）" if r["set_aside"] else ""
        stage = f"  {r['followup']['stage_label']}" if r["followup"] else ""
        print(f"{r['rated_at']}  {r['service_label']} {r['ref']}  {r['level_label']}{aside}{stage}")
    print(f"共 {len(rows)} 条。")
    return 0


# ---------------------------------------------------------------------- banshi run


def escalate_tickets(engine: Engine, now: datetime | None = None) -> int:
    """Flag near-due and overdue tickets to the dispatcher (each urgency recorded once in the
    ticket's history), and give due dates to tickets filed before their year's calendar was
    loaded; how many tickets need the dispatcher."""
    from banshi.calendar.workdays import WorkCalendar
    from banshi.db import session_scope
    from banshi.tickets.config import TicketConfig
    from banshi.tickets.deadlines import escalate, settle_unknown_dues

    when = now or _now()
    policy = TicketConfig().deadlines
    with session_scope(engine) as session:
        calendar = WorkCalendar(session)
        settle_unknown_dues(session, calendar, policy, when)
        found = escalate(session, calendar, policy, when)
    if found:
        log.info("%d tickets are near due, overdue or without a due date", len(found))
    return len(found)


def purge_drafts(engine: Engine, now: datetime | None = None) -> int:
    from banshi.db import session_scope
    from banshi.tickets.drafts import purge_drafts as purge

    with session_scope(engine) as session:
        return purge(session, (now or _now()) - timedelta(days=DRAFT_DAYS))


def chores(settings: Settings) -> list[Chore]:
    """The outbox every 2 s, expired handoffs every minute, escalation every 30 minutes, old
    drafts daily."""
    from app.run import Chore
    from app.services import build_handoff
    from app.settings import load_wechat_settings
    from bot.wechat.config import SettingsError
    from bot.wechat.outbox import deliver_now

    engine = _engine(settings)
    people = build_handoff(settings, engine)
    found = [
        Chore("handoff expiry", HANDOFF_EVERY, lambda: people.expire_waiting(_now())),
        Chore("ticket escalation", ESCALATE_EVERY, lambda: escalate_tickets(engine)),
        Chore("ticket drafts purge", DRAFTS_EVERY, lambda: purge_drafts(engine)),
    ]
    try:
        wechat = load_wechat_settings()
    except SettingsError as exc:  # banshi run refuses to start then anyway; say it once
        log.error("the outbox is not delivered: %s", exc)
        return found
    links, template = settings.links(), reply_template(settings)
    outbox = Chore(
        "tickets outbox", OUTBOX_EVERY, lambda: deliver_now(engine, wechat, links, template)
    )
    return [outbox, *found]


# ---------------------------------------------------------------------- the console


def console_pages(settings: Settings) -> tuple[list[Any], list[Any]]:
    """(pages, dashboard cards) of tickets, 转人工 and 好差评 for ``ConsoleServices``."""
    from app.services import build_handoff
    from banshi.privacy.crypto import FieldCipher
    from console.pages import handoff, ratings, tickets

    engine = _engine(settings)
    cipher = FieldCipher(settings.secret())
    desk = tickets.TicketConsole(cipher)
    people = build_handoff(settings, engine)
    pages = [tickets.page(desk), handoff.page(people), ratings.page(cipher)]
    cards = [tickets.card(desk), handoff.card(people), ratings.card()]
    return pages, cards


# ---------------------------------------------------------------------- registration


def register(sub: argparse._SubParsersAction) -> None:
    """tickets, ratings."""
    from banshi.staff.audit import CLI_ACTOR

    tickets = sub.add_parser("tickets", help="工单: list, show, reply, close; push the outbox")
    t_sub = tickets.add_subparsers(dest="tickets_command", required=True)
    listing = t_sub.add_parser("list", help="open tickets, the earliest due first")
    listing.add_argument("--state", help="only this state: a code (answered) or label (答复)")
    listing.add_argument("--limit", type=int, default=200)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_tickets_list)
    show = t_sub.add_parser("show", help="one ticket with its replies and history (masked)")
    show.add_argument("number")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_tickets_show)
    reply = t_sub.add_parser("reply", help="answer a ticket; the reply is sent to the citizen")
    reply.add_argument("number")
    reply.add_argument("text")
    reply.add_argument("--staff", default=CLI_ACTOR, help="who answers (the audit log's name)")
    reply.set_defaults(func=cmd_tickets_reply)
    close = t_sub.add_parser("close", help="办结 an answered ticket and invite a rating")
    close.add_argument("number")
    close.add_argument("--staff", default=CLI_ACTOR, help="who closes it (the audit log's name)")
    close.set_defaults(func=cmd_tickets_close)
    push = t_sub.add_parser(
        "push", help="deliver what is owed to citizens now (banshi run does it every 2 s)"
    )
    push.set_defaults(func=cmd_tickets_push)

    ratings = sub.add_parser("ratings", help="好差评")
    r_sub = ratings.add_subparsers(dest="ratings_command", required=True)
    r_list = r_sub.add_parser("list", help="the newest ratings, set-aside ones marked")
    r_list.add_argument("--limit", type=int, default=500)
    r_list.add_argument("--json", action="store_true")
    r_list.set_defaults(func=cmd_ratings_list)
