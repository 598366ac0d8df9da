"""Tables of the demand surveys (群众点菜): definitions, responses, answers, invitations.

Progress lives here, not in the conversation's slot: a response row per citizen and survey
(one only, by a unique key) and an answer row per question reached. Free text is stored as
typed but masked (:func:`banshi.privacy.masking.mask_text`): analysis never needs the
numbers, so the clear text is not kept anywhere.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from banshi.models import Base


class Survey(Base):
    """One survey as staff defined it; ``definition`` is :meth:`SurveyDefinition.to_json`."""

    __tablename__ = "survey"

    id = Column(String(64), primary_key=True)
    title = Column(String(200), nullable=False)
    opens = Column(Date, nullable=False)
    closes = Column(Date, nullable=False)
    definition = Column(JSON, nullable=False)
    source = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class SurveyResponse(Base):
    """One citizen's answers to one survey, complete or not."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "openid", name="uq_survey_response_openid"),
        Index("ix_survey_response_survey_status", "survey_id", "status"),
    )

    id = Column(Integer, primary_key=True)
    survey_id = Column(String(64), ForeignKey("survey.id", ondelete="CASCADE"), nullable=False)
    openid = Column(String(64), nullable=False, index=True)
    status = Column(String(12), nullable=False)  # ResponseStatus
    current = Column(String(32))  # the question being asked; None once complete
    started_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    completed_at = Column(DateTime)


class SurveyAnswer(Base):
    """The answer to one question: option keys (in rank order), a rating, or masked text."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question", name="uq_survey_answer_question"),
    )

    id = Column(Integer, primary_key=True)
    response_id = Column(
        Integer, ForeignKey("survey_response.id", ondelete="CASCADE"), nullable=False
    )
    question = Column(String(32), nullable=False)
    choices = Column(JSON)  # list of option keys; ranked first to last for a ranking
    rating = Column(Integer)
    text = Column(Text)  # masked free text, or the text given with 其他
    skipped = Column(Boolean, nullable=False, default=False)
    flag = Column(String(12))  # Flag: kept from publication, shown to staff
    answered_at = Column(DateTime, nullable=False)


class SurveyInvitation(Base):
    """Who is to be invited to a survey: an outbox row per citizen, delivered once."""

    __tablename__ = "survey_invitation"
    __table_args__ = (UniqueConstraint("survey_id", "openid", name="uq_survey_invitation_openid"),)

    id = Column(Integer, primary_key=True)
    survey_id = Column(String(64), ForeignKey("survey.id", ondelete="CASCADE"), nullable=False)
    openid = Column(String(64), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime, index=True)
