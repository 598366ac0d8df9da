"""Setting aside a mistaken or malicious rating after review (甄别): recorded, never deleted.

国办发〔2019〕51号 lets a department ask for review of a 差评 that was given by mistake or in
bad faith; the reviewer's decision and reason stay with the rating, the rating stays in the
table, and only the statistics leave it out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from banshi.ratings.followup import followup_of, stop
from banshi.ratings.models import Rating
from banshi.tickets.errors import ReasonRequired, TicketError


def set_aside(
    session: Session, rating_id: int, reviewer: str, reason: str, now: datetime
) -> Rating:
    """Mark the rating as set aside by ``reviewer`` for ``reason``; its follow-up stops."""
    why = " ".join(reason.split())
    if not why:
        raise ReasonRequired("甄别不计入需要填写原因。")
    rating = session.get(Rating, rating_id)
    if rating is None:
        raise TicketError(f"没有编号为 {rating_id} 的评价。")
    if rating.set_aside:
        raise TicketError(
            f"评价 {rating_id} 已于 {rating.set_aside_at:%Y-%m-%d} 甄别，不能重复操作。"
        )
    rating.set_aside = True
    rating.set_aside_by = reviewer
    rating.set_aside_reason = why
    rating.set_aside_at = now
    followup = followup_of(session, rating.id)
    if followup is not None:
        stop(session, followup, reviewer, f"评价已甄别不计入：{why}", now)
    session.flush()
    return rating
