"""Reading ratings for reviewers: the week's figures, the ratings of a period, the 差评 board.

Statistics leave out ratings set aside after review (国办发〔2019〕51号: a mistaken or
malicious rating stays on record but does not count). The satisfaction rate is the share of
非常满意, 满意 and 基本满意 among the ratings that count. Comments are shown masked; the
citizen is never named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banshi.ratings.followup import NEXT, Stage
from banshi.ratings.levels import Indicator, Level
from banshi.ratings.models import Rating, RatingFollowUp, RatingFollowUpEvent
from banshi.ratings.services import ServiceKind


@dataclass(frozen=True)
class Figures:
    """The ratings of a period that count, by level, and those set aside."""

    by_level: dict[Level, int]
    set_aside: int

    @property
    def total(self) -> int:
        return sum(self.by_level.values())

    @property
    def bad(self) -> int:
        return sum(n for level, n in self.by_level.items() if level.is_bad)

    @property
    def satisfaction(self) -> float | None:
        """Share of ratings that are not 差评; None without ratings."""
        return (self.total - self.bad) / self.total if self.total else None


def figures(session: Session, since: datetime) -> Figures:
    rows = session.execute(
        select(Rating.level, Rating.set_aside, func.count())
        .where(Rating.rated_at >= since)
        .group_by(Rating.level, Rating.set_aside)
    ).all()
    by_level = {level: 0 for level in Level}
    aside = 0
    for level, set_aside, count in rows:
        if set_aside:
            aside += int(count)
        else:
            by_level[Level(level)] += int(count)
    return Figures(by_level, aside)


@dataclass(frozen=True)
class RatingLine:
    """One rating as a reviewer's list shows it, with its follow-up if it is a 差评."""

    id: int
    service: ServiceKind
    ref: str
    level: Level
    comment: str  # masked
    rated_at: datetime
    set_aside: bool
    stage: Stage | None
    due_on: date | None
    overdue: bool


def _line(rating: Rating, followup: RatingFollowUp | None, today: date) -> RatingLine:
    stage = Stage(followup.stage) if followup is not None else None
    due = followup.due_on if followup is not None else None
    return RatingLine(
        rating.id,
        ServiceKind(rating.service_kind),
        rating.service_ref,
        Level(rating.level),
        rating.comment_masked or "",
        rating.rated_at,
        bool(rating.set_aside),
        stage,
        due,
        stage in NEXT and due is not None and today > due,
    )


def ratings_since(
    session: Session,
    since: datetime,
    today: date,
    *,
    bad_only: bool = False,
    service: ServiceKind | None = None,
    limit: int = 200,
) -> list[RatingLine]:
    """The newest ratings first (set-aside ones included and marked)."""
    query = (
        select(Rating, RatingFollowUp)
        .outerjoin(RatingFollowUp, RatingFollowUp.rating_id == Rating.id)
        .where(Rating.rated_at >= since)
    )
    if bad_only:
        query = query.where(Rating.level.in_([lv.value for lv in Level if lv.is_bad]))
    if service is not None:
        query = query.where(Rating.service_kind == service.value)
    rows = session.execute(query.order_by(Rating.rated_at.desc(), Rating.id.desc()).limit(limit))
    return [_line(rating, followup, today) for rating, followup in rows.all()]


def board(session: Session, today: date) -> list[RatingLine]:
    """The 差评 board: every follow-up still running, the earliest due first (undated ones,
    whose due date the calendar cannot give yet, before them)."""
    rows = session.execute(
        select(Rating, RatingFollowUp)
        .join(RatingFollowUp, RatingFollowUp.rating_id == Rating.id)
        .where(RatingFollowUp.stage.in_([s.value for s in NEXT]))
        .order_by(RatingFollowUp.due_on.asc().nulls_first(), RatingFollowUp.id)
    ).all()
    return [_line(rating, followup, today) for rating, followup in rows]


@dataclass(frozen=True)
class StepLine:
    """One step of a follow-up: who, when, to which stage, and what they found or did."""

    at: datetime
    actor: str
    stage: Stage
    note: str


@dataclass(frozen=True)
class RatingDetail:
    line: RatingLine
    indicators: tuple[Indicator, ...]
    has_original: bool  # masking changed the comment: the original is kept encrypted
    set_aside_by: str | None
    set_aside_reason: str | None
    set_aside_at: datetime | None
    steps: tuple[StepLine, ...]


def detail(session: Session, rating_id: int, today: date) -> RatingDetail | None:
    """One rating with its aspects and its follow-up's steps, or None."""
    rating = session.get(Rating, rating_id)
    if rating is None:
        return None
    followup = session.execute(
        select(RatingFollowUp).where(RatingFollowUp.rating_id == rating.id)
    ).scalar_one_or_none()
    steps: list[StepLine] = []
    if followup is not None:
        rows = session.execute(
            select(RatingFollowUpEvent)
            .where(RatingFollowUpEvent.followup_id == followup.id)
            .order_by(RatingFollowUpEvent.id)
        ).scalars()
        steps = [StepLine(e.at, e.actor, Stage(e.to_stage), e.note) for e in rows]
    return RatingDetail(
        _line(rating, followup, today),
        tuple(Indicator(i) for i in rating.indicators or []),
        bool(rating.comment_encrypted),
        rating.set_aside_by,
        rating.set_aside_reason,
        rating.set_aside_at,
        tuple(steps),
    )
