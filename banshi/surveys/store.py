"""Surveys in the database: stored from a checked definition, replaced, read back.

Loading the same id again replaces a survey nobody has answered yet; once a response exists
the definition is frozen (answers point at its questions and options), and a new version
needs a new id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banshi.surveys.definition import SurveyDefinition
from banshi.surveys.loader import catalog_items, parse_definition
from banshi.surveys.models import Survey, SurveyResponse


class SurveyLocked(Exception):
    """The survey already has responses: its definition can no longer change."""


class LoadOutcome(str, Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class LoadResult:
    survey_id: str
    outcome: LoadOutcome
    questions: int


def store_definition(
    session: Session, definition: SurveyDefinition, now: datetime, source: str = ""
) -> LoadResult:
    """Create or replace the survey; :class:`SurveyLocked` once someone has answered it."""
    data = definition.to_json()
    count = len(definition.questions)
    survey = session.get(Survey, definition.id)
    if survey is None:
        session.add(
            Survey(
                id=definition.id,
                title=definition.title,
                opens=definition.opens,
                closes=definition.closes,
                definition=data,
                source=source,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        return LoadResult(definition.id, LoadOutcome.CREATED, count)
    if survey.definition == data:
        return LoadResult(definition.id, LoadOutcome.UNCHANGED, count)
    responses = session.execute(
        select(func.count()).where(SurveyResponse.survey_id == definition.id)
    ).scalar_one()
    if responses:
        raise SurveyLocked(
            f"问卷 {definition.id} 已有 {responses} 份答卷，不能再修改；"
            "如需调整，请换一个 id 另建问卷"
        )
    survey.title = definition.title
    survey.opens = definition.opens
    survey.closes = definition.closes
    survey.definition = data
    survey.source = source
    survey.updated_at = now
    return LoadResult(definition.id, LoadOutcome.UPDATED, count)


def load_survey_file(session: Session, path: str | Path, now: datetime) -> LoadResult:
    """``banshi surveys load FILE``: check the file and store it in the caller's transaction."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    definition = parse_definition(text, path.name, catalog_items(session))
    return store_definition(session, definition, now, source=path.name)


def get_definition(session: Session, survey_id: str) -> SurveyDefinition | None:
    survey = session.get(Survey, survey_id)
    return SurveyDefinition.from_json(survey.definition) if survey else None
