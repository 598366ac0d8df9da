"""Tables of 好差评: invitations, ratings, and the follow-up of every 差评 with its history.

One invitation and at most one rating per service (一次一评、一事一评: unique keys on the
service). A rating is never deleted: a reviewer sets a mistaken or malicious one aside, with
the reason, and statistics leave it out. The comment is free text, kept like a ticket's
content: masked for display, the original encrypted only when masking changed it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from banshi.models import Base


class RatingInvitation(Base):
    """The citizen was invited once to rate a service; declining is remembered."""

    __tablename__ = "rating_invitation"
    __table_args__ = (UniqueConstraint("service_kind", "service_ref"),)

    id = Column(Integer, primary_key=True)
    service_kind = Column(String(12), nullable=False)  # ServiceKind
    service_ref = Column(String(40), nullable=False)  # booking id, ticket number, handoff id
    openid = Column(String(64), nullable=False, index=True)
    state = Column(String(10), nullable=False)  # InvitationState
    invited_at = Column(DateTime, nullable=False)
    answered_at = Column(DateTime)


class Rating(Base):
    """One citizen's rating of one service."""

    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("service_kind", "service_ref"),)

    id = Column(Integer, primary_key=True)
    service_kind = Column(String(12), nullable=False)
    service_ref = Column(String(40), nullable=False)
    openid = Column(String(64), index=True)  # None once the citizen unsubscribed
    level = Column(String(20), nullable=False)  # Level (a name, never a star count)
    indicators = Column(JSON, nullable=False)  # [Indicator], the aspects the citizen named
    comment_masked = Column(Text, nullable=False, default="")
    comment_encrypted = Column(Text)
    rated_at = Column(DateTime, nullable=False, index=True)
    set_aside = Column(Boolean, nullable=False, default=False)
    set_aside_by = Column(String(64))
    set_aside_reason = Column(Text)
    set_aside_at = Column(DateTime)


class RatingFollowUp(Base):
    """The 核实 → 整改 → 反馈 of a 差评, due a set number of working days after the rating."""

    __tablename__ = "rating_followup"

    id = Column(Integer, primary_key=True)
    rating_id = Column(
        Integer, ForeignKey("rating.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    stage = Column(String(12), nullable=False, index=True)  # Stage
    opened_at = Column(DateTime, nullable=False)
    due_on = Column(Date)  # None: the calendar does not cover the year yet
    due_unknown = Column(Boolean, nullable=False, default=False)
    closed_at = Column(DateTime)


class RatingFollowUpEvent(Base):
    """Who moved a follow-up on, when, and what they found, did or told the citizen."""

    __tablename__ = "rating_followup_event"

    id = Column(Integer, primary_key=True)
    followup_id = Column(
        Integer, ForeignKey("rating_followup.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at = Column(DateTime, nullable=False)
    actor = Column(String(64), nullable=False)
    from_stage = Column(String(12))
    to_stage = Column(String(12), nullable=False)
    note = Column(Text, nullable=False, default="")
