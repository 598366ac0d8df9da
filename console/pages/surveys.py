"""问卷 (demand surveys, 群众点菜): the list, the builder (a form, or YAML as the advanced
path) with a preview as citizens will read it, results with charts, the flagged answers,
invitations and the masked CSV export.

Roles: 调度 defines surveys, invites and reads results; 审核 reviews flagged answers with
them (whether an answer may be quoted is a publishing decision); 管理员 everything. Every
change and every export is in the audit log. Whatever the builder sends is turned into the
survey file's text and checked by the one loader (:mod:`banshi.surveys.source`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from banshi.staff.audit import AuditAction
from banshi.staff.models import AuditEntry
from banshi.staff.roles import Role, roles
from banshi.surveys.definition import QuestionType
from banshi.surveys.exports import export_csv, surveys_json
from banshi.surveys.invitations import AudienceUnavailable, Booked, invite
from banshi.surveys.loader import DefinitionError, catalog_items, parse_definition
from banshi.surveys.moderation import Flag
from banshi.surveys.results import flagged_answers, results
from banshi.surveys.source import (
    QUESTION_TYPES,
    QuestionRow,
    Shown,
    SurveyForm,
    definition_form,
    definition_text,
    form_text,
    preview,
)
from banshi.surveys.store import SurveyLocked, get_definition, store_definition
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
from console.security import client_address
from console.services import CardTone, CardView, ConsolePage, DashboardCard, PageRoute, StaffUser

DEFINERS = roles(Role.DISPATCHER)
Resolve = Callable[[str], "str | None"]
MIN_ROWS, MAX_ROWS = 6, 40
TYPE_LABELS = {
    "single": "单选",
    "multiple": "多选",
    "rating": "1-5分评分",
    "ranking": "排序（至多3项）",
    "text": "填空",
}
AUDIENCE_LABELS = {
    "all": "所有关注者（任何人都可参加）",
    "used_item": "办过某事项的群众（需填事项实施编码）",
    "booked": "预约过的群众",
    "notice": "领过告知单的群众",
}

# ------------------------------------------------------------------ what staff read
SAVED = "问卷已保存。"
NO_SURVEY = "没有这个问卷。"
INVITED = (
    "已将 {created} 位群众加入邀请名单（{skipped} 位已邀请过或已填写）。"
    "48小时窗口内的以客服消息推送，其余在其下次发消息时送达。"
)
DONE = {"saved": SAVED, "invited": INVITED}


class SurveyAudit(str, Enum):
    """Staff actions of this feature that :class:`AuditAction` has no member for yet; the
    audit log shows their code until it has (see the integration notes)."""

    SURVEY_SAVED = "survey_saved"
    SURVEY_INVITED = "survey_invited"
    FLAG_CLEARED = "flag_cleared"
    HOT_ISSUES_IMPORTED = "hot_issues_imported"
    HOT_ISSUE_CHANGED = "hot_issue_changed"


def staff_audit(
    session: Session,
    request: Request,
    action: AuditAction | SurveyAudit,
    target: str,
    summary: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """An audit entry in the action's transaction, as :func:`console.pagekit.audit` writes
    it, for this feature's actions too."""
    entry = AuditEntry(
        at=services_of(request).now(),
        actor=staff_of(request).username[:40],
        action=action.value,
        target=target[:200],
        summary=summary,
        detail=dict(detail or {}),
        address=client_address(request)[:64],
    )
    session.add(entry)
    session.flush()


def done_text(request: Request, messages: Mapping[str, str]) -> str:
    """The confirmation of the last action (post/redirect/get), from this feature's texts;
    only numbers come from the query string, never words (a link must not put text here)."""
    message = messages.get(request.query_params.get("done", ""), "")
    numbers = {k: int(v) for k, v in request.query_params.items() if k != "done" and v.isdigit()}
    try:
        return message.format(**numbers)
    except (KeyError, IndexError):
        return ""


# ------------------------------------------------------------------ charts


def bars(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One bar per option: its width (0–100) and what it says, for the results' SVG bars."""
    if entry["type"] == QuestionType.RANKING.value:
        top = max((o["points"] for o in entry["options"]), default=0) or 1
        return [
            {
                "label": o["label"],
                "width": round(100 * o["points"] / top, 1),
                "value": f"{o['points']} 分",
                "detail": "，".join(f"第{n}位 {c} 次" for n, c in enumerate(o["places"], 1)),
            }
            for o in entry["options"]
        ]
    return [
        {
            "label": o["label"],
            "width": round(100 * o["share"], 1),
            "value": f"{o['count']} 人（{o['share']:.0%}）",
            "detail": f"完成者中 {o['count_complete']} 人",
        }
        for o in entry["options"]
    ]


def distribution(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The 1–5 columns of a rating: height (0–100) and count."""
    counts = [int(entry["distribution"][str(v)]) for v in range(1, 6)]
    top = max(counts) or 1
    return [
        {"score": v, "count": c, "height": round(100 * c / top, 1), "x": 14 + (v - 1) * 56}
        for v, c in zip(range(1, 6), counts, strict=True)
    ]


# ------------------------------------------------------------------ the builder


def _rows(request: Request) -> int:
    try:
        count = int(field(request, "rows") or request.query_params.get("rows", "0"))
    except ValueError:
        count = 0
    return min(max(count, MIN_ROWS), MAX_ROWS)


def _posted_form(request: Request) -> SurveyForm:
    return SurveyForm.from_fields(lambda name: field(request, name), _rows(request))


class SurveyPages:
    """The pages, given what the composition root provides: the item resolver (links groups
    of free text to catalog items) and the citizens who booked (for booking audiences)."""

    def __init__(self, resolve: Resolve | None = None, booked: Booked | None = None) -> None:
        self.resolve = resolve
        self.booked = booked

    # -------------------------------------------------------------- list

    def listing(self, request: Request) -> Response:
        today = services_of(request).now().date()
        with transaction(request) as session:
            listed = surveys_json(session, today)
            flagged = len(flagged_answers(session))
        return render(
            request,
            "surveys/list.html",
            {
                "surveys": listed,
                "flagged": flagged,
                "audience_labels": AUDIENCE_LABELS,
                "done": done_text(request, DONE),
            },
        )

    # -------------------------------------------------------------- builder

    def _builder(
        self,
        request: Request,
        form: SurveyForm,
        yaml_text: str,
        *,
        mode: str = "form",
        rows: int = 0,
        problems: Sequence[str] = (),
        shown: Sequence[Shown] = (),
        locked: bool = False,
        status: int = 200,
    ) -> Response:
        count = min(max(rows, len(form.questions) + 2, MIN_ROWS), MAX_ROWS)
        questions = list(form.questions) + [QuestionRow()] * (count - len(form.questions))
        return render(
            request,
            "surveys/builder.html",
            {
                "form": form,
                "questions": questions[:count],
                "rows": count,
                "yaml_text": yaml_text,
                "mode": mode,
                "problems": problems,
                "preview": shown,
                "locked": locked,
                "types": [(t, TYPE_LABELS[t]) for t in QUESTION_TYPES],
                "audiences": list(AUDIENCE_LABELS.items()),
            },
            status,
        )

    def new(self, request: Request) -> Response:
        form = SurveyForm()
        return self._builder(request, form, form_text(form), rows=_rows(request))

    def edit(self, request: Request) -> Response:
        survey_id = request.path_params["survey_id"]
        with transaction(request) as session:
            definition = get_definition(session, survey_id)
            listed = {s["id"]: s for s in surveys_json(session)}
        if definition is None:
            return refuse(request, 404, NO_SURVEY)
        answered = sum(listed[survey_id]["responses"].values())
        return self._builder(
            request,
            definition_form(definition),
            definition_text(definition),
            locked=answered > 0,
        )

    def save(self, request: Request) -> Response:
        mode = "yaml" if field(request, "mode") == "yaml" else "form"
        action = field(request, "action")
        form = _posted_form(request)
        raw = form_of(request).get("yaml")
        text = (raw if isinstance(raw, str) else "") if mode == "yaml" else form_text(form)
        if action == "more":
            return self._builder(request, form, text, mode=mode, rows=_rows(request) + 4)
        staff = staff_of(request)
        try:
            with transaction(request) as session:
                source = "问卷YAML" if mode == "yaml" else "问卷表单"
                definition = parse_definition(text, source, catalog_items(session))
                if action != "save":
                    if mode == "yaml":  # the form shows what the file says
                        form = definition_form(definition)
                    shown = preview(definition)
                    return self._builder(request, form, text, mode=mode, shown=shown)
                outcome = store_definition(
                    session, definition, services_of(request).now(), f"console:{staff.username}"
                )
                staff_audit(
                    session,
                    request,
                    SurveyAudit.SURVEY_SAVED,
                    f"survey:{definition.id}",
                    f"保存问卷《{definition.title}》（{outcome.questions}题）",
                    {"outcome": outcome.outcome.value},
                )
        except DefinitionError as exc:
            problems = [
                p.render(exc.source) if mode == "yaml" else f"问题 {p.question or '—'}：{p.message}"
                for p in exc.problems
            ]
            return self._builder(request, form, text, mode=mode, problems=problems, status=400)
        except SurveyLocked as exc:
            return self._builder(request, form, text, mode=mode, problems=[str(exc)], status=409)
        return redirect(f"/surveys/{definition.id}/results", "saved")

    # -------------------------------------------------------------- results

    def results_page(self, request: Request) -> Response:
        survey_id = request.path_params["survey_id"]
        with transaction(request) as session:
            try:
                data = results(session, survey_id, self.resolve)
            except KeyError:
                return refuse(request, 404, NO_SURVEY)
            definition = get_definition(session, survey_id)
        assert definition is not None
        questions = []
        for entry in data["questions"]:
            view = dict(entry)
            if "options" in entry:
                view["bars"] = bars(entry)
            if entry["type"] == QuestionType.RATING.value:
                view["columns"] = distribution(entry)
            view["type_label"] = TYPE_LABELS[entry["type"]]
            view["logic"] = bool(definition.question(entry["id"]).show_if)
            questions.append(view)
        return render(
            request,
            "surveys/results.html",
            {
                "data": data,
                "questions": questions,
                "audience": AUDIENCE_LABELS[definition.audience.kind.value],
                "done": done_text(request, DONE),
                "can_define": staff_of(request).may(DEFINERS),
            },
        )

    def export(self, request: Request) -> Response:
        survey_id = request.path_params["survey_id"]
        out = io.StringIO()
        with transaction(request) as session:
            try:
                rows = export_csv(session, survey_id, out)
            except KeyError:
                return refuse(request, 404, NO_SURVEY)
            staff_audit(
                session,
                request,
                AuditAction.EXPORT,
                f"survey:{survey_id}",
                f"导出问卷 {survey_id} 的 {rows} 份答卷（已打码）",
                {"rows": rows},
            )
        filename = f"survey-{survey_id}-{services_of(request).now():%Y%m%d}.csv"
        return Response(
            "\ufeff" + out.getvalue(),  # the BOM makes Excel read UTF-8
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )

    def invite(self, request: Request) -> Response:
        survey_id = request.path_params["survey_id"]
        with transaction(request) as session:
            try:
                result = invite(session, survey_id, services_of(request).now(), self.booked)
            except KeyError:
                return refuse(request, 404, NO_SURVEY)
            except AudienceUnavailable as exc:
                return refuse(request, 409, str(exc))
            staff_audit(
                session,
                request,
                SurveyAudit.SURVEY_INVITED,
                f"survey:{survey_id}",
                f"邀请 {result.created} 位群众填写问卷 {survey_id}",
                {"audience": result.audience, "created": result.created},
            )
        return redirect(
            f"/surveys/{survey_id}/results",
            "invited",
            created=str(result.created),
            skipped=str(result.skipped),
        )


def surveys_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
    listed = [s for s in surveys_json(session, now.date()) if s["open"]]
    flagged = flagged_answers(session)
    lines = [f"《{s['title']}》完成 {s['responses']['complete']} 份" for s in listed[:3]]
    if flagged:
        lines.append(f"待审核的意见 {len(flagged)} 条")
    sensitive = any(f["flag"] == Flag.SENSITIVE.value for f in flagged)
    tone = CardTone.ATTENTION if sensitive else CardTone.NORMAL
    return CardView(str(len(listed)), "进行中的问卷", tuple(lines), "/surveys", tone)


def page(resolve: Resolve | None = None, booked: Booked | None = None) -> ConsolePage:
    pages = SurveyPages(resolve, booked)
    return ConsolePage(
        key="surveys",
        title="问卷",
        path="/surveys",
        roles=DEFINERS,
        order=40,
        routes=(
            PageRoute("/surveys", pages.listing, name="surveys"),
            PageRoute("/surveys/new", pages.new),
            PageRoute("/surveys/save", pages.save, methods=("POST",)),
            PageRoute("/surveys/{survey_id}/edit", pages.edit),
            PageRoute("/surveys/{survey_id}/results", pages.results_page),
            PageRoute("/surveys/{survey_id}/export.csv", pages.export),
            PageRoute("/surveys/{survey_id}/invite", pages.invite, methods=("POST",)),
        ),
    )


def card() -> DashboardCard:
    return DashboardCard("surveys", "问卷", DEFINERS, surveys_card, 45)
