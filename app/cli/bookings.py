"""Appointments and the working calendar: ``banshi bookings …``, ``banshi calendar …``, the
reminders and disruption notices ``banshi run`` pushes, the console's pages and cards.

Wiring done here, and nowhere else: the booking settings (:func:`booking_config`), the
WeChat pushes (:class:`bot.wechat.bookings_push.BookingPusher`) with their templates
(:func:`push_config`), the cipher that lets the console reveal one booking's personal data.
Commands a member of staff runs on the server (check-in, no-show, loading a notice) are in
the audit log under the actor ``cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from app.settings import Settings

if TYPE_CHECKING:
    from app.run import Chore
    from banshi.bookings.config import BookingConfig
    from bot.wechat.bookings_push import BookingPushConfig, BookingPusher, BookingPushResult, Kind

CHORE_EVERY = 300  # seconds: disruption notices within five minutes of a change
clock: Callable[[], datetime] = datetime.now  # what "now" is for the commands (tests move it)


def _engine(settings: Settings) -> Engine:
    from app.services import engine_for

    return engine_for(settings)


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日期应写作 YYYY-MM-DD，如 2026-12-08（现为“{text}”）"
        ) from None


# ---------------------------------------------------------------------- wiring


def booking_config(settings: Settings) -> BookingConfig:
    """The booking settings: ``settings.bookings`` once the settings carry them."""
    from banshi.bookings.config import BookingConfig

    config = getattr(settings, "bookings", None)
    return config if isinstance(config, BookingConfig) else BookingConfig()


def push_config(settings: Settings) -> BookingPushConfig:
    """Templates and the reminder hour from the settings (``WECHAT_TEMPLATE_BOOKING_REMINDER``,
    ``WECHAT_TEMPLATE_BOOKING_CHANGE``, ``BANSHI_BOOKING_REMIND_AT``); without a template a
    closed window waits for the citizen's next message."""
    from bot.wechat.bookings_push import BookingPushConfig, BookingTemplate

    reminder, change = settings.booking_reminder_template, settings.booking_change_template
    return BookingPushConfig(
        reminder_template=BookingTemplate(reminder) if reminder else None,
        disruption_template=BookingTemplate(change) if change else None,
        remind_at=settings.booking_remind_at,
    )


def pusher(settings: Settings, engine: Engine | None = None) -> BookingPusher:
    from bot.wechat.bookings_push import BookingPusher

    return BookingPusher(engine or _engine(settings), push_config(settings))


def push(sender: BookingPusher, kind: Kind, now: datetime | None = None) -> BookingPushResult:
    """One round of pushes; never raises (what is not sent waits)."""
    from app.settings import load_wechat_settings
    from bot.wechat.bookings_push import BookingPushResult
    from bot.wechat.config import SettingsError

    try:
        wechat = load_wechat_settings()
    except SettingsError as exc:
        return BookingPushResult(unreachable=f"微信配置有误：{exc}")
    return sender.push_now(wechat, kind, now)


def push_line(result: BookingPushResult, what: str) -> str:
    """What staff read after a push: the console shows it after a hall change too."""
    line = (
        f"{what}：已推送 {result.sent} 条（客服消息 {result.custom}，模板消息 {result.template}），"
        f"{result.kept} 条在群众下次发消息时告知。"
    )
    if result.unreachable:
        line += f"暂时无法连接微信（{result.unreachable}），其余稍后由 banshi run 自动重试。"
    return line


def calendar_warning(status: Mapping[str, Any]) -> str | None:
    """The line ``banshi catalog status`` prints when the booking horizon reaches a year whose
    holidays are not loaded (``status``: :func:`banshi.calendar.calendar_status`)."""
    unknown = list(status.get("unknown_years") or [])
    if not unknown:
        return None
    years = "、".join(f"{y}年" for y in unknown)
    return (
        f"注意：{years}节假日安排尚未录入，这些日期不能预约、按工作日计算的期限也无法确定。"
        "国务院通知发布后，请用 banshi calendar load 文件 录入（格式见 demo/calendar/2027.yml）。"
    )


# ---------------------------------------------------------------------- bookings


def _session(settings: Settings) -> Any:
    from banshi.db import session_scope

    return session_scope(_engine(settings))


def _refused(exc: Exception) -> str:
    from console.pages.bookings import refusal_text

    return refusal_text(exc)


def cmd_slots(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.bookings.cli import slots_json

    try:
        with _session(settings) as session:
            config = booking_config(settings)
            data = slots_json(session, args.item, args.date, args.hall, config=config, now=clock())
    except LookupError as exc:
        print(f"查不到：{exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    if args.json:
        _print(data)
        return 0
    window = f" {data['window']}窗口" if data["window"] else ""
    print(f"【{data['item_name']}】{data['hall_name']}{window} {data['date']}")
    for s in data["slots"]:
        print(
            f"  {s['start']}-{s['end']}  可约 {s['capacity']}，已约 {s['booked']}，余 {s['left']}"
        )
    if data["reason_text"]:
        print(f"  {data['reason_text']}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.bookings.cli import list_json

    with _session(settings) as session:
        rows = list_json(session, args.date, args.hall, today=clock().date())
    if args.json:
        _print(rows)
        return 0
    from console.pages.bookings import STATUS_LABELS

    for r in rows:
        print(
            f"{r['number']}\t{r['hall']} {r['window'] or '-'}\t{r['slot']}\t"
            f"{STATUS_LABELS.get(r['status'], r['status'])}\t{r['item_name']}\t"
            f"{r['name']} {r['mobile']} {r['id_number']}"
        )
    if not rows:
        print(f"{args.date or clock().date()} 没有预约。")
    return 0


def _attendance(args: argparse.Namespace, settings: Settings, no_show: bool) -> int:
    from banshi.bookings.cli import check_in_json, no_show_json
    from banshi.bookings.states import BookingRefused
    from banshi.staff.audit import CLI_ACTOR, AuditAction, record
    from console.pages.bookings import BookingAudit, audit_entry

    try:
        with _session(settings) as session:
            if no_show:
                data = no_show_json(session, args.number, booking_config(settings), clock())
                audit_entry(
                    session,
                    CLI_ACTOR,
                    BookingAudit.NO_SHOW,
                    f"booking:{data['number']}",
                    f"记录爽约 {data['number']}",
                )
            else:
                data = check_in_json(session, args.number, clock())
                record(
                    session,
                    CLI_ACTOR,
                    AuditAction.CHECK_IN,
                    f"booking:{data['number']}",
                    summary=f"签到 {data['number']}",
                )
    except BookingRefused as exc:
        print(f"未办理：{_refused(exc)}", file=sys.stderr)
        return 2
    if args.json:
        _print(data)
        return 0
    if no_show:
        print(f"{data['number']} 已记为爽约（{data['name']}，{data['date']} {data['slot']}）。")
    else:
        late = f"，迟到 {data['minutes_late']} 分钟" if data["minutes_late"] else ""
        print(f"{data['number']} 已签到（{data['name']}，{data['slot']}{late}）。")
    return 0


def cmd_checkin(args: argparse.Namespace, settings: Settings) -> int:
    return _attendance(args, settings, no_show=False)


def cmd_no_show(args: argparse.Namespace, settings: Settings) -> int:
    return _attendance(args, settings, no_show=True)


def remind(
    settings: Settings, sender: BookingPusher, now: datetime | None = None
) -> dict[str, Any]:
    """Tomorrow's reminders, pushed now, and abandoned drafts purged."""
    from banshi.bookings.notify import purge_old_drafts
    from banshi.db import session_scope
    from bot.wechat.bookings_push import Kind

    now = now or clock()
    result = push(sender, Kind.REMINDER, now)
    with session_scope(sender.engine) as session:
        purged = purge_old_drafts(session, now, booking_config(settings))
    return {**result.__dict__, "sent": result.sent, "drafts_purged": purged}


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    outcome = remind(settings, pusher(settings))
    if args.json:
        _print(outcome)
    else:
        from bot.wechat.bookings_push import BookingPushResult

        fields = ("custom", "template", "kept", "unreachable")
        print(push_line(BookingPushResult(**{k: outcome[k] for k in fields}), "明天的预约提醒"))
    return 2 if outcome["unreachable"] else 0


# ---------------------------------------------------------------------- calendar


def cmd_calendar_load(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.calendar import CalendarFileError, load_calendar_file
    from banshi.staff.audit import CLI_ACTOR
    from console.pages.bookings import BookingAudit, audit_entry

    try:
        with _session(settings) as session:
            report = load_calendar_file(session, Path(args.file))
            audit_entry(
                session,
                CLI_ACTOR,
                BookingAudit.CALENDAR_LOADED,
                f"calendar:{report.year}",
                f"录入 {report.year} 年节假日安排（{report.source}）",
            )
    except CalendarFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    data = {**report.__dict__}
    if args.json:
        _print(data)
        return 0
    replaced = f"，替换了原来的“{report.replaced_source}”" if report.replaced_source else ""
    print(
        f"已录入 {report.year} 年节假日安排（{report.source}）：节假日 {report.holidays} 天，"
        f"调休上班 {report.makeup_workdays} 天{replaced}。"
    )
    return 0


def cmd_calendar_status(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.calendar import calendar_status

    with _session(settings) as session:
        status = calendar_status(session, clock().date())
    missing = 1 if status["unknown_years"] else 0  # for monitoring: a year soon is unknown
    if args.json:
        _print(status)
        return missing
    for y in status["years"]:
        print(
            f"{y['year']}年\t{y['source']}\t节假日 {y['holidays']} 天，调休上班 {y['makeup_workdays']} 天"
        )
    print(calendar_warning(status) or f"今后 {status['horizon_days']} 天的节假日安排都已录入。")
    return missing


def cmd_calendar_seed(args: argparse.Namespace, settings: Settings) -> int:
    """Not through :func:`_engine`, which seeds already: this command says what it wrote."""
    import chinese_calendar

    from banshi.calendar import UnknownYear, seed_from_chinesecalendar
    from banshi.calendar.loading import chinesecalendar_years
    from banshi.db import get_engine, migrate, session_scope

    engine = get_engine(settings.database_url)
    migrate(engine)
    try:
        with session_scope(engine) as session:
            written = seed_from_chinesecalendar(session, args.year or None)
    except UnknownYear as exc:
        covered = chinesecalendar_years()
        print(
            f"chinesecalendar {chinese_calendar.__version__} 只收录 {covered[0]}–{covered[-1]} 年，"
            f"没有 {exc.year} 年：请用 banshi calendar load 文件 录入国务院通知。",
            file=sys.stderr,
        )
        return 2
    if args.json:
        _print({"written": written, "library": chinese_calendar.__version__})
        return 0
    print(
        f"已从 chinesecalendar {chinese_calendar.__version__} 写入 {written} 个年份"
        "（已是最新或由通知文件录入的年份保持不变）。"
    )
    return 0


# ---------------------------------------------------------------------- registration


def register(sub: argparse._SubParsersAction) -> None:
    """bookings, calendar."""
    bookings = sub.add_parser("bookings", help="appointments (预约)")
    b_sub = bookings.add_subparsers(dest="bookings_command", required=True)
    slots = b_sub.add_parser("slots", help="a day's slots of an item with places left")
    slots.add_argument("--item", required=True, metavar="TASK_CODE", help="the item's 实施编码")
    slots.add_argument("--date", required=True, type=_date, metavar="YYYY-MM-DD")
    slots.add_argument("--hall", metavar="HALL_CODE", help="default: the item's first hall")
    slots.add_argument("--json", action="store_true")
    slots.set_defaults(func=cmd_slots)
    listing = b_sub.add_parser("list", help="a day's bookings (personal data masked)")
    listing.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="default: today")
    listing.add_argument("--hall", metavar="HALL_CODE", help="default: every hall")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    for name, func, text in (
        ("checkin", cmd_checkin, "the citizen arrived (签到), on the booking's day"),
        ("no-show", cmd_no_show, "record a no-show (爽约) once the lateness allowance ran out"),
    ):
        act = b_sub.add_parser(name, help=text)
        act.add_argument("number", metavar="NUMBER", help="the booking number, e.g. YY202612070001")
        act.add_argument("--json", action="store_true")
        act.set_defaults(func=func)
    reminding = b_sub.add_parser("remind", help="push tomorrow's reminders now (each once)")
    reminding.add_argument("--json", action="store_true")
    reminding.set_defaults(func=cmd_remind)

    calendar = sub.add_parser("calendar", help="the working calendar (法定节假日、调休)")
    c_sub = calendar.add_subparsers(dest="calendar_command", required=True)
    load = c_sub.add_parser("load", help="load a State Council notice file (see demo/calendar)")
    load.add_argument("file")
    load.add_argument("--json", action="store_true")
    load.set_defaults(func=cmd_calendar_load)
    status = c_sub.add_parser("status", help="years covered; exit 1 when one soon is missing")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_calendar_status)
    seed = c_sub.add_parser("seed", help="load the years chinesecalendar covers")
    seed.add_argument("--year", type=int, action="append", help="only this year (repeatable)")
    seed.add_argument("--json", action="store_true")
    seed.set_defaults(func=cmd_calendar_seed)


# ---------------------------------------------------------------------- banshi run, console


class ReminderRound:
    """Tomorrow's reminders once a day, from the reminder hour; a round WeChat could not take
    part in is tried again at the next tick (each booking is reminded once whatever happens)."""

    def __init__(self, settings: Settings, sender: BookingPusher) -> None:
        self.settings, self.sender = settings, sender
        self.done: date | None = None

    def __call__(self, now: datetime | None = None) -> dict[str, Any] | None:
        now = now or clock()
        if now.time() < self.sender.config.remind_at or self.done == now.date():
            return None
        outcome = remind(self.settings, self.sender, now)
        if not outcome["unreachable"]:
            self.done = now.date()
        return outcome


def chores(settings: Settings) -> list[Chore]:
    """Every five minutes: disruption notices; once a day from 18:00: tomorrow's reminders."""
    from app.run import Chore
    from bot.wechat.bookings_push import Kind

    sender = pusher(settings)
    return [
        Chore("booking reminders", CHORE_EVERY, ReminderRound(settings, sender)),
        Chore("booking disruptions", CHORE_EVERY, lambda: push(sender, Kind.DISRUPTION)),
    ]


def teller(settings: Settings, engine: Engine | None = None) -> Callable[[], str]:
    """For the console: tell the holders of bookings a hall change disrupts, at once."""
    from bot.wechat.bookings_push import Kind

    sender = pusher(settings, engine)
    return lambda: push_line(push(sender, Kind.DISRUPTION), "受影响预约的通知")


def console_pages(settings: Settings) -> tuple[list[Any], list[Any]]:
    """The 预约 and 节假日 pages and their dashboard cards."""
    from banshi.privacy.crypto import FieldCipher
    from console.pages import bookings, calendar

    engine = _engine(settings)
    config = booking_config(settings)
    return (
        [
            bookings.page(FieldCipher(settings.secret()), config),
            calendar.page(config, teller(settings, engine)),
        ],
        [bookings.card(), calendar.card()],
    )
