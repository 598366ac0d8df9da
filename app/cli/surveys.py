"""Demand surveys and the hot-issues list (群众点菜 → 政府端菜): ``banshi surveys …``,
``banshi hot-issues``, the pushes ``banshi run`` makes every minute, the console's pages.

Wiring done here, and nowhere else: the guide's item resolver links groups of free text to
catalog items (built on first use: it loads the lexicon and indexes the catalog); bookings
give the ``booked`` audiences; tickets give the complaint and suggestion counts the hot
issues are ranked by; :class:`bot.wechat.surveys_push.SurveyPusher` sends invitations and
resolution notices.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.settings import Settings

if TYPE_CHECKING:
    from app.run import Chore
    from banshi.hot_issues.ranking import Signals
    from bot.wechat.surveys_push import SurveyPushConfig, SurveyPusher, SurveyPushResult


def _engine(settings: Settings) -> Engine:
    from app.services import engine_for

    return engine_for(settings)


# ---------------------------------------------------------------------- wiring


class LazyResolver:
    """text → 实施编码 or None, with the guide built on the first call (thread-safe: console
    pages run in worker threads)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self._guide: Any = None
        self._lock = threading.Lock()

    def __call__(self, text: str) -> str | None:
        if self._guide is None:
            with self._lock:
                if self._guide is None:
                    from app.services import build_guide

                    self._guide = build_guide(self.settings, self.engine)
        code: str | None = self._guide.pick(text, [], None).code
        return code


def booked(session: Session, item: str | None) -> Iterable[str]:
    """Citizens who booked (the item, or any): a ``booked`` / ``used_item`` audience."""
    from banshi.bookings.models import Booking

    query = select(Booking.openid).where(Booking.openid.is_not(None))
    if item:
        query = query.where(Booking.task_code == item)
    return [str(o) for o in session.scalars(query.distinct())]


def signals(session: Session) -> Signals:
    """投诉 and 建议 tickets per item: citizens' complaints and suggestions rank issues too."""
    from banshi.hot_issues.ranking import Signals
    from banshi.tickets.kinds import TicketKind
    from banshi.tickets.models import Ticket

    kinds = [TicketKind.COMPLAINT.value, TicketKind.SUGGESTION.value]
    rows = session.execute(
        select(Ticket.item_code, func.count())
        .where(Ticket.kind.in_(kinds), Ticket.item_code.is_not(None))
        .group_by(Ticket.item_code)
    ).all()
    return Signals(complaints_by_item={str(code): int(n) for code, n in rows})


def push_config(settings: Settings) -> SurveyPushConfig:
    """Template ids from the settings once they carry them (``WECHAT_TEMPLATE_SURVEY`` and
    ``WECHAT_TEMPLATE_HOT_ISSUE``); until then a closed window waits for the next message."""
    from bot.wechat.surveys_push import SurveyPushConfig, TemplateSpec

    invitation = getattr(settings, "survey_invitation_template", None)
    notice = getattr(settings, "hot_issue_template", None)
    return SurveyPushConfig(
        invitation_template=TemplateSpec(invitation) if invitation else None,
        notice_template=TemplateSpec(notice) if notice else None,
    )


def pusher(settings: Settings, engine: Engine | None = None) -> SurveyPusher:
    from bot.wechat.surveys_push import SurveyPusher

    return SurveyPusher(engine or _engine(settings), settings.links(), push_config(settings))


def push(settings: Settings, sender: SurveyPusher) -> SurveyPushResult:
    """One round of pushes; never raises (what is not sent waits)."""
    from app.settings import load_wechat_settings
    from bot.wechat.config import SettingsError
    from bot.wechat.surveys_push import SurveyPushResult, waiting

    try:
        wechat = load_wechat_settings()
    except SettingsError as exc:
        return SurveyPushResult(waiting=waiting(sender.engine), unreachable=f"微信配置有误：{exc}")
    return sender.push_now(wechat)


def _push_line(result: SurveyPushResult) -> str:
    line = (
        f"已推送 {result.sent} 条（客服消息 {result.custom}，模板消息 {result.template}），"
        f"{result.waiting} 条在群众下次发消息时送达。"
    )
    if result.unreachable:
        line += f"无法连接微信（{result.unreachable}），稍后由 banshi run 每分钟重试。"
    return line


# ---------------------------------------------------------------------- commands


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.surveys.loader import DefinitionError
    from banshi.surveys.store import SurveyLocked, load_survey_file

    try:
        with session_scope(_engine(settings)) as session:
            result = load_survey_file(session, args.file, datetime.now())
    except DefinitionError as exc:
        print(f"问卷文件有误，未导入（共 {len(exc.problems)} 处）：\n{exc}", file=sys.stderr)
        return 2
    except SurveyLocked as exc:
        print(f"未导入：{exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"无法读取文件 {args.file}：{exc.strerror or exc}", file=sys.stderr)
        return 2
    if args.json:
        _print(
            {
                "survey": result.survey_id,
                "outcome": result.outcome.value,
                "questions": result.questions,
            }
        )
        return 0
    said = {"created": "已新建", "updated": "已更新", "unchanged": "没有变化"}[result.outcome.value]
    print(f"问卷 {result.survey_id}：{said}（{result.questions} 题）。")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.surveys.exports import surveys_json

    with session_scope(_engine(settings)) as session:
        listed = surveys_json(session)
    if args.json:
        _print(listed)
        return 0
    for s in listed:
        state = "进行中" if s["open"] else "未在进行"
        done, partial = s["responses"]["complete"], s["responses"]["in_progress"]
        print(
            f"{s['id']}\t{s['title']}\t{s['opens']}~{s['closes']}\t{state}\t完成 {done}，未完成 {partial}"
        )
    if not listed:
        print("还没有问卷：用 banshi surveys load 文件 导入。")
    return 0


def cmd_results(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.surveys.results import results_json

    engine = _engine(settings)
    resolve = None if args.no_items else LazyResolver(settings, engine)
    try:
        with session_scope(engine) as session:
            data = results_json(session, args.survey, resolve)
    except KeyError:
        print(f"没有问卷 {args.survey}（banshi surveys list 列出全部）", file=sys.stderr)
        return 2
    if args.json:
        _print(data)
        return 0
    r = data["responses"]
    print(
        f"{data['title']}：完成 {r['complete']} 份，未完成 {r['partial']} 份，只看了开场 {r['opened']} 份"
    )
    for n, q in enumerate(data["questions"], 1):
        print(f"{n}. {q['text']}（作答 {q['answered']}，流失率 {q['drop_off_rate']:.0%}）")
        for o in q.get("options", []):
            shown = f"{o['points']} 分" if "points" in o else f"{o['count']} 人，{o['share']:.0%}"
            print(f"   {o['label']}：{shown}")
        if q.get("mean") is not None:
            print(f"   平均 {q['mean']} 分")
        for g in q.get("groups", []):
            print(f"   [{g['size']}] {g['label']}：{'；'.join(g['quotes'])}")
    return 0


def cmd_invite(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.surveys.invitations import AudienceUnavailable, invite

    engine = _engine(settings)
    try:
        with session_scope(engine) as session:
            result = invite(session, args.survey, datetime.now(), booked)
    except KeyError:
        print(f"没有问卷 {args.survey}（banshi surveys list 列出全部）", file=sys.stderr)
        return 2
    except AudienceUnavailable as exc:
        print(f"无法邀请：{exc}", file=sys.stderr)
        return 2
    pushed = None if args.no_push else push(settings, pusher(settings, engine))
    if args.json:
        _print({**result.__dict__, "push": pushed.__dict__ if pushed else None})
        return 0
    print(
        f"问卷 {args.survey}：调查对象 {result.audience} 人，新加入邀请 {result.created} 人，"
        f"已邀请过或已填写 {result.skipped} 人。"
    )
    print(_push_line(pushed) if pushed else "邀请在群众下次发消息时送达（或由 banshi run 推送）。")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.surveys.exports import export_csv

    try:
        with session_scope(_engine(settings)) as session:
            if args.output:
                with open(args.output, "w", encoding="utf-8-sig", newline="") as out:
                    rows = export_csv(session, args.survey, out)
            else:
                rows = export_csv(session, args.survey, sys.stdout)
    except KeyError:
        print(f"没有问卷 {args.survey}（banshi surveys list 列出全部）", file=sys.stderr)
        return 2
    if args.output:
        print(f"已导出 {rows} 份答卷到 {args.output}（个人信息已打码，不含 OpenID）。")
    return 0


def cmd_hot_issues(args: argparse.Namespace, settings: Settings) -> int:
    from banshi.db import session_scope
    from banshi.hot_issues.issues import IssueError, issues_from_survey
    from banshi.hot_issues.ranking import hot_issues_json

    engine = _engine(settings)
    if args.hot_command == "import":
        try:
            with session_scope(engine) as session:
                made = issues_from_survey(
                    session,
                    args.survey,
                    datetime.now(),
                    LazyResolver(settings, engine),
                    staff="cli",
                )
                listed = [{"id": i.id, "title": i.title, "department": i.department} for i in made]
        except IssueError as exc:
            print(f"无法生成：{exc}", file=sys.stderr)
            return 2
        if args.json:
            _print(listed)
        else:
            print(f"从问卷 {args.survey} 生成 {len(listed)} 个热点问题。")
            for i in listed:
                print(f"  {i['id']}\t{i['title']}\t{i['department'] or '未指定责任单位'}")
        return 0
    with session_scope(engine) as session:
        listed = hot_issues_json(session, signals(session))
    if args.json:
        _print(listed)
        return 0
    for i in listed:
        print(
            f"{i['rank']}. [{i['status_label']}] {i['title']}（{i['size']} 条意见，{i['department'] or '未指定'}）"
        )
    if not listed:
        print("还没有热点问题：用 banshi hot-issues import 问卷id 从问卷的意见分组生成。")
    return 0


# ---------------------------------------------------------------------- registration


def register(sub: argparse._SubParsersAction) -> None:
    """surveys, hot-issues."""
    surveys = sub.add_parser("surveys", help="demand surveys (群众点菜)")
    surveys_sub = surveys.add_subparsers(dest="surveys_command", required=True)
    load = surveys_sub.add_parser("load", help="check and store a survey file (YAML or JSON)")
    load.add_argument("file")
    load.add_argument("--json", action="store_true")
    load.set_defaults(func=cmd_load)
    listing = surveys_sub.add_parser("list", help="every survey with its response counts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    results = surveys_sub.add_parser("results", help="results per question, free text grouped")
    results.add_argument("survey")
    results.add_argument("--json", action="store_true")
    results.add_argument(
        "--no-items", action="store_true", help="do not link groups to catalog items (faster)"
    )
    results.set_defaults(func=cmd_results)
    inviting = surveys_sub.add_parser("invite", help="invite the survey's audience")
    inviting.add_argument("survey")
    inviting.add_argument("--json", action="store_true")
    inviting.add_argument(
        "--no-push", action="store_true", help="only queue: banshi run or the next message sends"
    )
    inviting.set_defaults(func=cmd_invite)
    export = surveys_sub.add_parser("export", help="responses as CSV (masked, no OpenID)")
    export.add_argument("survey")
    export.add_argument("--output", "-o", metavar="FILE", help="default: standard output")
    export.set_defaults(func=cmd_export)

    hot = sub.add_parser("hot-issues", help="the hot-issues list (热点问题清单), ranked")
    hot.add_argument("--json", action="store_true")
    hot.set_defaults(func=cmd_hot_issues, hot_command=None)
    hot_sub = hot.add_subparsers(dest="hot_command")
    making = hot_sub.add_parser("import", help="an issue per new group of a survey's free text")
    making.add_argument("survey")
    making.add_argument("--json", action="store_true")


def chores(settings: Settings) -> list[Chore]:
    """Every minute: invitations and resolution notices to citizens a push can reach."""
    from app.run import Chore

    sender = pusher(settings)
    return [Chore("survey messages", 60, lambda: push(settings, sender))]


def console_pages(settings: Settings) -> tuple[list[Any], list[Any]]:
    """The 问卷 and 热点问题 pages and their dashboard cards."""
    from console.pages import hot_issues, surveys

    resolve = LazyResolver(settings, _engine(settings))
    links = settings.links()
    return (
        [surveys.page(resolve, booked), hot_issues.page(resolve, signals, links)],
        [surveys.card(), hot_issues.card()],
    )
