"""Recording a rating: the level at once (so a 差评 is followed up even if the chat stops
there), then the aspects and the comment as the citizen adds them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from banshi.privacy.crypto import FieldCipher
from banshi.privacy.masking import mask_text
from banshi.ratings.config import RatingConfig
from banshi.ratings.followup import open_followup
from banshi.ratings.levels import Indicator, Level
from banshi.ratings.models import Rating, RatingFollowUp, RatingInvitation
from banshi.ratings.services import InvitationState, ServiceKind
from banshi.tickets.deadlines import WorkingDays
from banshi.tickets.lifecycle import evaluate, find_ticket

MAX_COMMENT_CHARS = 500


class AlreadyRated(ValueError):
    """This service has its rating already (一次一评)."""


def rating_for(session: Session, kind: ServiceKind, ref: str) -> Rating | None:
    return session.execute(
        select(Rating).where(Rating.service_kind == kind.value, Rating.service_ref == ref)
    ).scalar_one_or_none()


def record_rating(
    session: Session,
    invitation: RatingInvitation,
    level: Level,
    calendar: WorkingDays,
    config: RatingConfig,
    now: datetime,
) -> tuple[Rating, RatingFollowUp | None]:
    """Keep the level; a 差评 opens its follow-up; a ticket's history records the verdict."""
    kind = ServiceKind(invitation.service_kind)
    if rating_for(session, kind, invitation.service_ref) is not None:
        raise AlreadyRated(invitation.service_ref)
    rating = Rating(
        service_kind=kind.value,
        service_ref=invitation.service_ref,
        openid=invitation.openid,
        level=level.value,
        indicators=[],
        comment_masked="",
        rated_at=now,
        set_aside=False,
    )
    session.add(rating)
    invitation.state = InvitationState.RATED.value
    invitation.answered_at = now
    session.flush()
    followup = (
        open_followup(session, rating, calendar, config.followup_days, now)
        if level.is_bad
        else None
    )
    if kind is ServiceKind.TICKET:
        ticket = find_ticket(session, invitation.service_ref)
        if ticket is not None:
            evaluate(session, ticket, "citizen", level.label, now)
    session.flush()
    return rating, followup


def add_indicators(rating: Rating, indicators: list[Indicator]) -> None:
    rating.indicators = [i.value for i in indicators]


def add_comment(rating: Rating, cipher: FieldCipher, text: str) -> None:
    """The comment, masked for display; the original encrypted only if masking changed it."""
    body = text.strip()[:MAX_COMMENT_CHARS]
    masked = mask_text(body)
    rating.comment_masked = masked
    rating.comment_encrypted = cipher.encrypt(body) if masked != body else None


def original_comment(rating: Rating, cipher: FieldCipher) -> str:
    """The comment as the citizen wrote it (decrypted only when masking changed it); a
    reviewer reads it one rating at a time, and the console records that they did."""
    if rating.comment_encrypted:
        return cipher.decrypt(rating.comment_encrypted)
    return str(rating.comment_masked or "")


def forget_citizen(session: Session, openid: str) -> int:
    """On ``unsubscribe``: ratings stay (statistics) without the citizen or the comment's
    original; invitations are deleted. How many rows changed."""
    changed = session.execute(
        update(Rating)
        .where(Rating.openid == openid)
        .values(openid=None, comment_encrypted=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    changed += session.execute(
        delete(RatingInvitation)
        .where(RatingInvitation.openid == openid)
        .execution_options(synchronize_session=False)
    ).rowcount
    return int(changed)
