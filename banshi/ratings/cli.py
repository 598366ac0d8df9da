"""What ``banshi ratings list --json`` prints (the integrator wires argparse to it)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.ratings.followup import Stage
from banshi.ratings.levels import Indicator, Level
from banshi.ratings.models import Rating, RatingFollowUp
from banshi.ratings.services import ServiceKind


def rating_dict(rating: Rating, followup: RatingFollowUp | None) -> dict[str, Any]:
    """One rating, JSON-safe; the comment masked, the citizen not named."""
    level = Level(rating.level)
    return {
        "id": rating.id,
        "service": ServiceKind(rating.service_kind).value,
        "service_label": ServiceKind(rating.service_kind).label,
        "ref": rating.service_ref,
        "level": level.value,
        "level_label": level.label,
        "gbt39046_code": level.code,
        "bad": level.is_bad,
        "indicators": [Indicator(i).label for i in rating.indicators or []],
        "comment": rating.comment_masked or "",
        "rated_at": rating.rated_at.isoformat(),
        "set_aside": bool(rating.set_aside),
        "set_aside_by": rating.set_aside_by,
        "set_aside_reason": rating.set_aside_reason,
        "followup": None
        if followup is None
        else {
            "stage": followup.stage,
            "stage_label": Stage(followup.stage).label,
            "due_on": followup.due_on.isoformat() if followup.due_on else None,
            "due_unknown": bool(followup.due_unknown),
        },
    }


def ratings_json(session: Session, limit: int = 500) -> str:
    """The newest ratings (set-aside ones included and marked), as a JSON array."""
    rows = session.execute(
        select(Rating, RatingFollowUp)
        .outerjoin(RatingFollowUp, RatingFollowUp.rating_id == Rating.id)
        .order_by(Rating.rated_at.desc(), Rating.id.desc())
        .limit(limit)
    ).all()
    return json.dumps(
        [rating_dict(rating, followup) for rating, followup in rows], ensure_ascii=False, indent=2
    )
