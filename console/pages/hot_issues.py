"""热点问题 (the hot-issues list, 群众点菜 → 政府端菜): the ranked board, each issue with its
answers and history, curation (make issues of a survey's groups, rename, merge, split,
assign the owning department, record the action and its status, link ranking options),
the review of flagged answers, and publishing a resolution to the citizens who raised it.

Roles: 调度 curates; 审核 reviews flagged answers and publishes (政府端菜 is a publication);
both read the board; 管理员 everything. Every step is in the audit log, and in the issue's
own history (:class:`banshi.hot_issues.models.HotIssueEvent`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from banshi.hot_issues.issues import (
    IssueError,
    IssueStatus,
    assign,
    get_issue,
    issues_from_survey,
    link_options,
    member_ids,
    merge,
    record_action,
    rename,
    split,
)
from banshi.hot_issues.models import HotIssueEvent, HotIssuePage
from banshi.hot_issues.page import page_url
from banshi.hot_issues.publishing import publish
from banshi.hot_issues.ranking import RankedIssue, Signals, rank_issues
from banshi.links import Links
from banshi.staff.audit import AuditAction
from banshi.staff.roles import Role, roles
from banshi.surveys.definition import QuestionType
from banshi.surveys.exports import surveys_json
from banshi.surveys.models import SurveyAnswer
from banshi.surveys.moderation import Flag, clear_flag
from banshi.surveys.results import flagged_answers
from banshi.surveys.store import get_definition
from console.pagekit import (
    field,
    form_of,
    redirect,
    refuse,
    render,
    services_of,
    staff_of,
    transaction,
)
from console.pages.surveys import Resolve, SurveyAudit, done_text, staff_audit
from console.services import CardTone, CardView, ConsolePage, DashboardCard, PageRoute, StaffUser

READERS = roles(Role.DISPATCHER, Role.REVIEWER)
CURATORS = roles(Role.DISPATCHER)
PUBLISHERS = roles(Role.REVIEWER)  # publishing, and letting a flagged answer be quoted
SHOWN_ANSWERS = 300  # answers listed on an issue's page (split picks among them)
SignalSource = Callable[[Session], Signals]

# ------------------------------------------------------------------ what staff read
NO_ISSUE = "没有这个热点问题，或它已并入其他问题。"
NOT_FLAGGED = "这条意见没有被标记，或已被他人处理。"
EVENT_LABELS = {
    "created": "建立",
    "renamed": "改名",
    "merged": "合并",
    "split": "拆分",
    "assigned": "指定责任单位",
    "action": "整改情况",
    "published": "发布",
}
DONE = {
    "imported": "已从问卷生成 {made} 个热点问题。",
    "changed": "已保存。",
    "published": "已发布整改情况，将告知反映过该问题的 {told} 位群众。",
    "cleared": "已解除标记，这条意见今后可以引用。",
}


def _ids(text: str) -> list[int]:
    return [int(p) for p in text.replace("，", ",").replace(" ", ",").split(",") if p.isdigit()]


def _texts(request: Request, name: str) -> list[str]:
    """Every value of a repeated form field (checkboxes)."""
    return [v for v in form_of(request).getlist(name) if isinstance(v, str)]


def _answers(session: Session, issue_id: int) -> tuple[list[dict[str, Any]], int]:
    """The issue's answers (the first :data:`SHOWN_ANSWERS`), and how many there are."""
    ids = member_ids(session, issue_id)
    rows = session.execute(
        select(SurveyAnswer.id, SurveyAnswer.text, SurveyAnswer.flag)
        .where(SurveyAnswer.id.in_(ids[:SHOWN_ANSWERS]))
        .order_by(SurveyAnswer.id)
    ).all()
    shown = [
        {"id": aid, "text": text or "", "flag": Flag(flag).label if flag else ""}
        for aid, text, flag in rows
    ]
    return shown, len(ids)


def _ranking_options(session: Session, survey_id: str | None) -> list[tuple[str, str]]:
    """The options of the survey's ranking questions, which staff may count for an issue."""
    definition = get_definition(session, survey_id) if survey_id else None
    if definition is None:
        return []
    found = {
        o.key: o.label
        for q in definition.questions
        if q.type is QuestionType.RANKING
        for o in q.options
    }
    return list(found.items())


class HotIssuePages:
    """The pages, given the item resolver (issues name the items their answers mention), the
    signals from other features (complaints per item), and the public links."""

    def __init__(
        self,
        resolve: Resolve | None = None,
        signals: SignalSource | None = None,
        links: Links | None = None,
    ) -> None:
        self.resolve = resolve
        self.signals = signals
        self.links = links

    def _ranked(self, session: Session) -> list[RankedIssue]:
        return rank_issues(session, self.signals(session) if self.signals else None)

    def board(self, request: Request) -> Response:
        status = request.query_params.get("status", "")
        today = services_of(request).now().date()
        with transaction(request) as session:
            ranked = [r for r in self._ranked(session) if not status or r.issue.status == status]
            shown = [
                {
                    "rank": n,
                    "id": r.issue.id,
                    "title": r.issue.title,
                    "department": r.issue.department,
                    "status": IssueStatus(r.issue.status).label,
                    "size": r.size,
                    "points": r.points,
                    "complaints": r.complaints,
                    "score": r.score,
                    "page": r.page,
                }
                for n, r in enumerate(ranked, 1)
            ]
            surveys = surveys_json(session, today)
            flagged = len(flagged_answers(session))
        return render(
            request,
            "hot_issues/board.html",
            {
                "issues": shown,
                "status": status,
                "statuses": [(s.value, s.label) for s in IssueStatus],
                "surveys": surveys,
                "flagged": flagged,
                "can_curate": staff_of(request).may(CURATORS),
                "done": done_text(request, DONE),
            },
        )

    def issue(self, request: Request, error: str = "", status: int = 200) -> Response:
        issue_id = int(request.path_params["issue_id"])
        with transaction(request) as session:
            try:
                issue = get_issue(session, issue_id)
            except IssueError:
                return refuse(request, 404, NO_ISSUE)
            ranked = next((r for r in self._ranked(session) if r.issue.id == issue_id), None)
            answers, size = _answers(session, issue_id)
            events = session.scalars(
                select(HotIssueEvent)
                .where(HotIssueEvent.issue_id == issue_id)
                .order_by(HotIssueEvent.id.desc())
            ).all()
            published = session.scalars(
                select(HotIssuePage).where(HotIssuePage.issue_id == issue_id)
            ).first()
            staff = staff_of(request)
            context = {
                "issue": issue,
                "status_label": IssueStatus(issue.status).label,
                "ranked": ranked,
                "answers": answers,
                "size": size,
                "events": events,
                "published": published,
                "public_url": (
                    page_url(self.links, published.number) if published and self.links else ""
                ),
                "options": _ranking_options(session, issue.survey_id),
                "statuses": [(s.value, s.label) for s in IssueStatus],
                "event_labels": EVENT_LABELS,
                "can_curate": staff.may(CURATORS),
                "can_publish": staff.may(PUBLISHERS),
                "done": done_text(request, DONE),
                "error": error,
            }
            return render(request, "hot_issues/issue.html", context, status)

    def import_survey(self, request: Request) -> Response:
        survey_id = field(request, "survey")
        staff = staff_of(request).username
        with transaction(request) as session:
            try:
                made = issues_from_survey(
                    session, survey_id, services_of(request).now(), self.resolve, staff=staff
                )
            except IssueError as exc:
                return refuse(request, 404, str(exc))
            staff_audit(
                session,
                request,
                SurveyAudit.HOT_ISSUES_IMPORTED,
                f"survey:{survey_id}",
                f"从问卷 {survey_id} 生成 {len(made)} 个热点问题",
                {"made": [i.id for i in made]},
            )
        return redirect("/hot-issues", "imported", made=str(len(made)))

    def change(self, request: Request) -> Response:
        """One curation step (the last part of the URL says which), audited."""
        issue_id = int(request.path_params["issue_id"])
        step = request.url.path.rsplit("/", 1)[-1]
        now, staff = services_of(request).now(), staff_of(request).username
        try:
            with transaction(request) as session:
                action: AuditAction | SurveyAudit = SurveyAudit.HOT_ISSUE_CHANGED
                if step == "rename":
                    rename(session, issue_id, field(request, "title"), now, staff)
                    summary = f"热点问题改名为“{field(request, 'title')}”"
                elif step == "assign":
                    assign(session, issue_id, field(request, "department"), now, staff)
                    action, summary = AuditAction.DISPATCH, f"交由 {field(request, 'department')}"
                elif step == "action":
                    status = IssueStatus(field(request, "status") or IssueStatus.TODO.value)
                    record_action(session, issue_id, field(request, "action"), status, now, staff)
                    summary = f"记录整改措施，状态：{status.label}"
                elif step == "merge":
                    others = _ids(field(request, "others"))
                    if not others:
                        raise IssueError("请填写要并入的热点问题编号")
                    merge(session, issue_id, others, now, staff)
                    summary = f"并入热点问题 {'、'.join(map(str, others))}"
                elif step == "split":
                    picked = _ids(",".join(_texts(request, "answer")))
                    new = split(session, issue_id, picked, field(request, "title"), now, staff)
                    summary = f"拆出热点问题 {new.id}（{len(picked)} 条意见）"
                else:  # options
                    keys = _texts(request, "option")
                    link_options(session, issue_id, keys, now)
                    summary = f"计入排序题选项 {len(keys)} 个"
                staff_audit(session, request, action, f"hot_issue:{issue_id}", summary)
        except (IssueError, ValueError) as exc:
            return self.issue(request, str(exc), 400)
        return redirect(f"/hot-issues/{issue_id}", "changed")

    def publish(self, request: Request) -> Response:
        issue_id = int(request.path_params["issue_id"])
        now, staff = services_of(request).now(), staff_of(request).username
        try:
            with transaction(request) as session:
                published = publish(session, issue_id, now, staff)
                staff_audit(
                    session,
                    request,
                    AuditAction.PUBLISH,
                    f"hot_issue:{issue_id}",
                    f"发布热点问题整改情况 {published.page.number}",
                    {"page": published.page.number, "told": published.notices},
                )
        except IssueError as exc:
            return self.issue(request, str(exc), 400)
        return redirect(f"/hot-issues/{issue_id}", "published", told=str(published.notices))

    # -------------------------------------------------------------- flagged answers

    def flagged(self, request: Request) -> Response:
        wanted = request.query_params.get("survey") or None
        with transaction(request) as session:
            rows = flagged_answers(session, wanted)
        return render(
            request,
            "hot_issues/flagged.html",
            {
                "rows": rows,
                "sensitive": Flag.SENSITIVE.value,
                "can_clear": staff_of(request).may(PUBLISHERS),
                "done": done_text(request, DONE),
            },
        )

    def clear(self, request: Request) -> Response:
        answer = field(request, "answer_id")
        with transaction(request) as session:
            if not answer.isdigit() or not clear_flag(session, int(answer)):
                return refuse(request, 404, NOT_FLAGGED)
            staff_audit(
                session,
                request,
                SurveyAudit.FLAG_CLEARED,
                f"survey_answer:{answer}",
                "审核后解除意见的标记（今后可引用）",
            )
        return redirect("/hot-issues/flagged", "cleared")


def hot_issues_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
    ranked = rank_issues(session)
    waiting = [r for r in ranked if r.issue.status != IssueStatus.RESOLVED.value]
    lines = tuple(
        f"{r.issue.title}（{IssueStatus(r.issue.status).label}，{r.size} 条意见）"
        for r in waiting[:3]
    )
    tone = (
        CardTone.ATTENTION
        if any(r.issue.status == IssueStatus.TODO.value for r in waiting)
        else CardTone.NORMAL
    )
    return CardView(str(len(waiting)), "待办和整改中的热点问题", lines, "/hot-issues", tone)


def page(
    resolve: Resolve | None = None,
    signals: SignalSource | None = None,
    links: Links | None = None,
) -> ConsolePage:
    pages = HotIssuePages(resolve, signals, links)
    one = "/hot-issues/{issue_id:int}"
    post = ("POST",)
    return ConsolePage(
        key="hot_issues",
        title="热点问题",
        path="/hot-issues",
        roles=READERS,
        order=42,
        routes=(
            PageRoute("/hot-issues", pages.board, name="hot_issues"),
            PageRoute("/hot-issues/import", pages.import_survey, post, roles=CURATORS),
            PageRoute("/hot-issues/flagged", pages.flagged),
            PageRoute("/hot-issues/flagged/clear", pages.clear, post, roles=PUBLISHERS),
            PageRoute(one, pages.issue),
            *(
                PageRoute(f"{one}/{step}", pages.change, post, roles=CURATORS)
                for step in ("rename", "assign", "action", "merge", "split", "options")
            ),
            PageRoute(f"{one}/publish", pages.publish, post, roles=PUBLISHERS),
        ),
    )


def card() -> DashboardCard:
    return DashboardCard("hot_issues", "热点问题", READERS, hot_issues_card, 46)
