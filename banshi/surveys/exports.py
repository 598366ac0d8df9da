"""What staff take out of the surveys: the list for the CLI, and the responses as CSV.

Exports never carry an OpenID (a response is numbered instead) and free text is the masked
copy; a flagged answer is replaced by a marker, since exports travel further than the
console where staff review flagged answers.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banshi.surveys.definition import QuestionType, SurveyDefinition
from banshi.surveys.models import Survey, SurveyAnswer, SurveyResponse
from banshi.surveys.moderation import Flag
from banshi.surveys.responses import ResponseStatus
from banshi.surveys.store import get_definition

FLAGGED_MARK = "[已标记为{label}，待工作人员审核]"
SKIPPED_MARK = "[跳过]"


def surveys_json(session: Session, today: date | None = None) -> list[dict[str, Any]]:
    """``banshi surveys list --json``: every survey with its dates and response counts."""
    today = today or date.today()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for survey_id, status, n in session.execute(
        select(SurveyResponse.survey_id, SurveyResponse.status, func.count()).group_by(
            SurveyResponse.survey_id, SurveyResponse.status
        )
    ):
        counts[survey_id][status] = n
    listed = []
    for data in session.execute(
        select(Survey.definition).order_by(Survey.opens, Survey.id)
    ).scalars():
        definition = SurveyDefinition.from_json(data)
        by_status = counts.get(definition.id, {})
        listed.append(
            {
                "id": definition.id,
                "title": definition.title,
                "opens": definition.opens.isoformat(),
                "closes": definition.closes.isoformat(),
                "open": definition.is_open(today),
                "audience": definition.audience.to_json(),
                "questions": len(definition.questions),
                "responses": {
                    "complete": by_status.get(ResponseStatus.COMPLETE.value, 0),
                    "in_progress": by_status.get(ResponseStatus.IN_PROGRESS.value, 0),
                },
            }
        )
    return listed


def _cell(definition: SurveyDefinition, row: Any) -> str:
    question = definition.question(row.question)
    if row.skipped:
        return SKIPPED_MARK
    if row.flag:
        return FLAGGED_MARK.format(label=Flag(row.flag).label)
    if question.type is QuestionType.RATING:
        return str(row.rating)
    if question.type is QuestionType.TEXT:
        return row.text or ""
    labels = [question.label_of(k) for k in row.choices or []]
    joined = " > ".join(labels) if question.type is QuestionType.RANKING else "；".join(labels)
    return f"{joined}：{row.text}" if row.text else joined


def export_csv(session: Session, survey_id: str, out: TextIO) -> int:
    """Write one row per response (numbered, no OpenID) to ``out``; returns rows written.

    Columns: 序号, 状态 (完成 / 未完成), 开始时间, 完成时间, then one per question headed by
    its id and text. Rankings read "first > second > third"; 其他 is followed by its words.
    """
    definition = get_definition(session, survey_id)
    if definition is None:
        raise KeyError(f"没有问卷 {survey_id}")
    writer = csv.writer(out)
    writer.writerow(
        [
            "序号",
            "状态",
            "开始时间",
            "完成时间",
            *(f"{q.id} {q.text}" for q in definition.questions),
        ]
    )
    responses = session.execute(
        select(SurveyResponse)
        .where(SurveyResponse.survey_id == survey_id)
        .order_by(SurveyResponse.id)
    ).scalars()
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    for row in session.execute(
        select(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey_id)
    ).scalars():
        answers[row.response_id][row.question] = _cell(definition, row)
    written = 0
    for written, response in enumerate(responses, 1):
        done = response.status == ResponseStatus.COMPLETE.value
        given = answers.get(response.id, {})
        writer.writerow(
            [
                written,
                "完成" if done else "未完成",
                response.started_at.isoformat(sep=" ", timespec="minutes"),
                response.completed_at.isoformat(sep=" ", timespec="minutes") if done else "",
                *(given.get(q.id, "") for q in definition.questions),
            ]
        )
    return written
