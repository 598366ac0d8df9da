"""Every 差评 is followed up: 核实 → 整改 → 反馈 (国办发〔2019〕51号: 差评 100% 整改反馈).

The follow-up opens with the rating and is due ``RatingConfig.followup_days`` working days
later (a local rule: a setting). Each step records who did it and what they found or did;
the last one's note is what the citizen is told (through the outbox). A rating set aside as
mistaken or malicious stops its follow-up (:mod:`banshi.ratings.review`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.ratings import texts
from banshi.ratings.models import Rating, RatingFollowUp, RatingFollowUpEvent
from banshi.ratings.services import ServiceKind
from banshi.tickets.deadlines import WorkingDays, due_date
from banshi.tickets.errors import ReasonRequired, TransitionRefused
from banshi.tickets.outbox import OutboxKind, post


class Stage(str, Enum):
    """What the follow-up waits for."""

    VERIFY = "verify"  # 核实
    RECTIFY = "rectify"  # 整改
    FEEDBACK = "feedback"  # 反馈 to the citizen
    DONE = "done"  # fed back
    SET_ASIDE = "set_aside"  # the rating was set aside after review

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Stage.VERIFY: "待核实",
    Stage.RECTIFY: "待整改",
    Stage.FEEDBACK: "待反馈",
    Stage.DONE: "已反馈",
    Stage.SET_ASIDE: "已甄别（不计入）",
}
NEXT = {Stage.VERIFY: Stage.RECTIFY, Stage.RECTIFY: Stage.FEEDBACK, Stage.FEEDBACK: Stage.DONE}


def _event(
    session: Session,
    followup: RatingFollowUp,
    to: Stage,
    actor: str,
    note: str,
    now: datetime,
) -> None:
    session.add(
        RatingFollowUpEvent(
            followup_id=followup.id,
            at=now,
            actor=actor,
            from_stage=followup.stage,
            to_stage=to.value,
            note=note,
        )
    )
    followup.stage = to.value
    if to in (Stage.DONE, Stage.SET_ASIDE):
        followup.closed_at = now


def open_followup(
    session: Session, rating: Rating, calendar: WorkingDays, days: int, now: datetime
) -> RatingFollowUp:
    """Open the follow-up of a 差评; its due date is None when the calendar cannot tell."""
    due = due_date(calendar, now.date(), days)
    followup = RatingFollowUp(
        rating_id=rating.id,
        stage=Stage.VERIFY.value,
        opened_at=now,
        due_on=due,
        due_unknown=due is None,
    )
    session.add(followup)
    session.flush()
    session.add(
        RatingFollowUpEvent(
            followup_id=followup.id,
            at=now,
            actor="system",
            from_stage=None,
            to_stage=Stage.VERIFY.value,
            note=f"差评自动转核实（{days}个工作日内反馈）",
        )
    )
    return followup


def advance(
    session: Session, followup: RatingFollowUp, actor: str, note: str, now: datetime
) -> Stage:
    """Record one step done (核实 found …, 整改 did …, 反馈 says …); the stage now awaited.

    The 反馈 note is sent to the citizen as written.
    """
    text = note.strip()
    if not text:
        raise ReasonRequired("请填写核实、整改或反馈的情况。")
    current = Stage(followup.stage)
    if current not in NEXT:
        raise TransitionRefused(f"该差评回访已{current.label}，无需再处理。")
    target = NEXT[current]
    _event(session, followup, target, actor, text, now)
    if target is Stage.DONE:
        rating = session.get(Rating, followup.rating_id)
        if rating is not None and rating.openid:
            post(
                session,
                rating.openid,
                OutboxKind.RATING_FEEDBACK,
                texts.feedback(ServiceKind(rating.service_kind).label, text),
                now,
                ref=str(rating.id),
            )
    session.flush()
    return target


def stop(
    session: Session, followup: RatingFollowUp, actor: str, reason: str, now: datetime
) -> None:
    """The rating was set aside: the follow-up ends here, with the reviewer's reason."""
    if Stage(followup.stage) in NEXT:
        _event(session, followup, Stage.SET_ASIDE, actor, reason, now)


@dataclass(frozen=True)
class FollowUpLine:
    id: int
    rating_id: int
    stage: Stage
    due_on: date | None
    overdue: bool


def open_followups(session: Session, today: date) -> list[FollowUpLine]:
    """Follow-ups still running, the earliest due first; overdue ones flagged."""
    rows = session.execute(
        select(RatingFollowUp)
        .where(RatingFollowUp.stage.in_([s.value for s in NEXT]))
        .order_by(RatingFollowUp.due_on.asc().nulls_first(), RatingFollowUp.id)
    ).scalars()
    return [
        FollowUpLine(
            f.id,
            f.rating_id,
            Stage(f.stage),
            f.due_on,
            f.due_on is not None and today > f.due_on,
        )
        for f in rows
    ]


def followup_of(session: Session, rating_id: int) -> RatingFollowUp | None:
    return session.execute(
        select(RatingFollowUp).where(RatingFollowUp.rating_id == rating_id)
    ).scalar_one_or_none()
