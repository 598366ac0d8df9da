"""Tables of human handoff (转人工): one row per request, and its message log for staff.

At most one handoff per citizen is open (WAITING or HELD): a partial unique index says so
to the database, so two quick "转人工" cannot open two. The log keeps text masked; the
original is encrypted only when masking changed it (like a ticket's content), because a
handoff that nobody took becomes a ticket that may need it.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, text

from banshi.models import Base


class Handoff(Base):
    __tablename__ = "handoff"
    __table_args__ = (
        Index(
            "uq_handoff_open_openid",
            "openid",
            unique=True,
            sqlite_where=text("state != 'closed'"),
            postgresql_where=text("state != 'closed'"),
        ),
        Index("ix_handoff_state", "state", "requested_at"),
    )

    id = Column(Integer, primary_key=True)
    openid = Column(String(64), nullable=False)
    state = Column(String(10), nullable=False)  # HandoffState
    staff = Column(String(64))  # who holds it
    requested_at = Column(DateTime, nullable=False)  # local time
    taken_at = Column(DateTime)
    closed_at = Column(DateTime)
    closed_by = Column(String(64))
    closure = Column(String(12))  # Closure
    ticket_id = Column(Integer, ForeignKey("ticket.id"))  # the 咨询 it became, if any


class HandoffMessage(Base):
    """One line of the conversation with staff, as staff read it (masked)."""

    __tablename__ = "handoff_message"
    __table_args__ = (Index("ix_handoff_message_handoff", "handoff_id", "id"),)

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoff.id", ondelete="CASCADE"), nullable=False)
    at = Column(DateTime, nullable=False)
    sender = Column(String(10), nullable=False)  # Sender
    staff = Column(String(64))
    text_masked = Column(Text, nullable=False)
    text_encrypted = Column(Text)
