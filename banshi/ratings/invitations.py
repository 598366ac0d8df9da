"""Inviting a citizen, once, to rate a service that ended.

Called when a booking is checked in, a ticket answered and closed, a handoff closed. The
invitation goes out through the outbox (客服消息 while the 48-hour window is open, otherwise
with the citizen's next message); the unique key on the service makes a second call a no-op,
so nobody is asked twice, and a declined invitation is never repeated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from banshi.ratings import texts
from banshi.ratings.models import RatingInvitation
from banshi.ratings.services import InvitationState, Service
from banshi.tickets.outbox import OutboxKind, post


def _insert(session: Session) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the current database."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(RatingInvitation.__table__)


def invitation_text(what: str) -> str:
    """The invitation: which service ended (``what``), then the five levels."""
    return texts.invitation(what)


def invite(
    session: Session,
    service: Service,
    openid: str | None,
    what: str,
    now: datetime,
    *,
    notify: bool = True,
) -> RatingInvitation | None:
    """Invite the citizen to rate ``service``; None when already invited (or no citizen).

    ``what`` says which service ended, e.g. "您的工单 GD202612070001 已办结". ``notify``:
    queue the invitation in the outbox; False when the caller says it in the citizen's turn
    (:func:`invitation_text`).
    """
    if not openid:
        return None
    result = session.execute(
        _insert(session)
        .values(
            service_kind=service.kind.value,
            service_ref=service.ref,
            openid=openid,
            state=InvitationState.INVITED.value,
            invited_at=now,
        )
        .on_conflict_do_nothing(index_elements=["service_kind", "service_ref"])
    )
    if result.rowcount != 1:
        return None
    invitation = session.execute(
        select(RatingInvitation).where(
            RatingInvitation.service_kind == service.kind.value,
            RatingInvitation.service_ref == service.ref,
        )
    ).scalar_one()
    if not notify:
        return invitation
    post(
        session,
        openid,
        OutboxKind.RATING_INVITE,
        texts.invitation(what),
        now,
        ref=f"{service.kind.value}:{service.ref}",
        title=texts.INVITE_TITLE,
    )
    return invitation


def open_invitation(
    session: Session, openid: str, now: datetime, max_age: timedelta
) -> RatingInvitation | None:
    """The citizen's newest invitation still waiting for an answer, if recent enough."""
    return (
        session.execute(
            select(RatingInvitation)
            .where(
                RatingInvitation.openid == openid,
                RatingInvitation.state == InvitationState.INVITED.value,
                RatingInvitation.invited_at >= now - max_age,
            )
            .order_by(RatingInvitation.invited_at.desc(), RatingInvitation.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def decline(session: Session, invitation: RatingInvitation, now: datetime) -> None:
    """The citizen does not want to rate: remembered, never asked again for this service."""
    if invitation.state == InvitationState.INVITED.value:
        invitation.state = InvitationState.DECLINED.value
        invitation.answered_at = now
