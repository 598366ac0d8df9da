"""A citizen's progress through a survey, kept in the database one answer at a time.

The next question is never remembered separately: it is the first question the display
logic shows that has no answer row yet, so a paused survey resumes exactly where it
stopped, whichever process or slot asks. ``survey_response.current`` repeats it for the
drop-off report (where partial responses stopped) and to tell a stale turn from a fresh one.

One response per citizen per survey is the unique key (survey_id, openid); starting is an
insert that may lose a race to a concurrent push, in which case the winner's row is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from banshi.privacy.masking import mask_text
from banshi.surveys.definition import (
    AudienceKind,
    Given,
    Question,
    SurveyDefinition,
    next_question,
)
from banshi.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from banshi.surveys.moderation import flag_of
from banshi.surveys.reading import Picked, Rated, Skipped, Written


class ResponseStatus(str, Enum):
    IN_PROGRESS = "in_progress"  # started; partial until complete
    COMPLETE = "complete"


@dataclass(frozen=True)
class Progress:
    """Where a response stands: the question to ask (None: complete) and how many are done."""

    response_id: int
    status: ResponseStatus
    question: Question | None
    answered: int


def available_surveys(session: Session, openid: str, today: date) -> list[SurveyDefinition]:
    """Open surveys this citizen may take: everyone's, or targeted ones they were invited to.

    Those they already completed are left out; ones in progress come first.
    """
    invited = set(
        session.scalars(select(SurveyInvitation.survey_id).where(SurveyInvitation.openid == openid))
    )
    rows = session.execute(
        select(Survey.definition, SurveyResponse.status)
        .outerjoin(
            SurveyResponse,
            (SurveyResponse.survey_id == Survey.id) & (SurveyResponse.openid == openid),
        )
        .where(Survey.opens <= today, Survey.closes >= today)
        .order_by(Survey.closes, Survey.id)
    ).all()
    started: list[SurveyDefinition] = []
    fresh: list[SurveyDefinition] = []
    for data, status in rows:
        definition = SurveyDefinition.from_json(data)
        if status == ResponseStatus.COMPLETE.value:
            continue
        targeted = definition.audience.kind is not AudienceKind.ALL
        if targeted and status is None and definition.id not in invited:
            continue
        (started if status else fresh).append(definition)
    return started + fresh


def find_response(session: Session, survey_id: str, openid: str) -> SurveyResponse | None:
    return session.execute(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.openid == openid
        )
    ).scalar_one_or_none()


def start_response(session: Session, survey_id: str, openid: str, now: datetime) -> SurveyResponse:
    """The citizen's response to the survey, created if needed; safe against concurrent starts."""
    found = find_response(session, survey_id, openid)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(
                SurveyResponse(
                    survey_id=survey_id,
                    openid=openid,
                    status=ResponseStatus.IN_PROGRESS.value,
                    started_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        pass  # another push started it first: use that one
    found = find_response(session, survey_id, openid)
    assert found is not None
    return found


def lock_response(session: Session, response_id: int, now: datetime) -> SurveyResponse | None:
    """Take the response for this turn: a write first, so concurrent turns queue one by one
    (a row lock on PostgreSQL; SQLite's single writer), then read it fresh."""
    session.execute(
        update(SurveyResponse).where(SurveyResponse.id == response_id).values(updated_at=now)
    )
    session.expire_all()
    return session.get(SurveyResponse, response_id)


def given_answers(session: Session, response_id: int) -> dict[str, Given]:
    rows = session.execute(
        select(
            SurveyAnswer.question, SurveyAnswer.choices, SurveyAnswer.rating, SurveyAnswer.skipped
        ).where(SurveyAnswer.response_id == response_id)
    ).all()
    return {q: Given(tuple(c or ()), r, bool(s)) for q, c, r, s in rows}


def progress(session: Session, definition: SurveyDefinition, response: SurveyResponse) -> Progress:
    answers = given_answers(session, response.id)
    question = next_question(definition, answers)
    return Progress(response.id, ResponseStatus(response.status), question, len(answers))


def advance(
    session: Session, definition: SurveyDefinition, response: SurveyResponse, now: datetime
) -> Progress:
    """Move the response on to its next question, or complete it."""
    answers = given_answers(session, response.id)
    question = next_question(definition, answers)
    response.current = question.id if question else None
    response.updated_at = now
    if question is None and response.status != ResponseStatus.COMPLETE.value:
        response.status = ResponseStatus.COMPLETE.value
        response.completed_at = now
    return Progress(response.id, ResponseStatus(response.status), question, len(answers))


Stored = Picked | Rated | Written | Skipped


def record_answer(
    session: Session,
    response: SurveyResponse,
    question: Question,
    reading: Stored,
    now: datetime,
    other_text: str | None = None,
) -> bool:
    """Store the answer; False when the question was answered already (a repeated push).

    Free text is masked before it is stored and flagged when staff should read it first.
    """
    answer = SurveyAnswer(response_id=response.id, question=question.id, answered_at=now)
    answer.skipped = isinstance(reading, Skipped)
    text: str | None = None
    if isinstance(reading, Picked):
        answer.choices = list(reading.keys)
        text = other_text or reading.other
    elif isinstance(reading, Rated):
        answer.rating = reading.value
    elif isinstance(reading, Written):
        text = reading.text
    if text:
        answer.text = mask_text(text)
        flag = flag_of(text)
        answer.flag = flag.value if flag else None
    try:
        with session.begin_nested():
            session.add(answer)
    except IntegrityError:
        return False
    return True


def restart(session: Session, response: SurveyResponse, now: datetime) -> None:
    """Forget the citizen's answers so far (they asked to start again)."""
    session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id))
    response.status = ResponseStatus.IN_PROGRESS.value
    response.completed_at = None
    response.started_at = now
    response.updated_at = now


def forget_citizen(session: Session, openid: str) -> int:
    """Delete a citizen's responses and invitations (on unsubscribe); returns responses deleted.

    Answers go with their response (ON DELETE CASCADE, and explicitly for SQLite safety).
    """
    ids = [
        r
        for (r,) in session.execute(
            select(SurveyResponse.id).where(SurveyResponse.openid == openid)
        )
    ]
    if ids:
        session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(ids)))
        session.execute(delete(SurveyResponse).where(SurveyResponse.id.in_(ids)))
    session.execute(delete(SurveyInvitation).where(SurveyInvitation.openid == openid))
    return len(ids)
