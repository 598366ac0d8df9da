"""Tables of tickets (工单), their history and replies, drafts, and the outbox to citizens.

Personal data: a ticket's free text is kept twice on purpose. ``content_masked`` is what
every list, page and message shows (personal numbers masked by
:func:`banshi.privacy.masking.mask_text`); ``content_encrypted`` holds the original only
when masking changed something (a scam caller's number, the applicant's ID number whose case
is stuck), because a department may need it to act; staff read it through
:func:`banshi.tickets.views.original_content`, never in a list. The call-back phone is
encrypted, and shown only as its mask. Enum columns hold the enum's value.
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
    text,
)

from banshi.models import Base

# Tickets not yet finished, as SQL: the queue's filter is this very text, so both databases
# match it against the partial index below (SQLite never matches a bound parameter).
OPEN_PREDICATE = "state NOT IN ('closed', 'merged')"


class Ticket(Base):
    """One 工单 from filing (受理) to 办结."""

    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_state_due", "state", "due_on", "id"),
        # The dispatcher's queue: open tickets by due date (the predicate is the query's).
        Index(
            "ix_ticket_open_due",
            "due_on",
            "id",
            sqlite_where=text(OPEN_PREDICATE),
            postgresql_where=text(OPEN_PREDICATE),
        ),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    kind = Column(String(12), nullable=False)  # TicketKind
    state = Column(String(12), nullable=False)  # TicketState
    source = Column(String(12), nullable=False)  # Source
    # None once the citizen unsubscribed. Kept for an anonymous 举报 too (the reply must reach
    # them); ``anonymous`` hides it, and any phone, from every staff view.
    openid = Column(String(64), index=True)
    anonymous = Column(Boolean, nullable=False, default=False)
    item_code = Column(String(31))
    item_name = Column(String(200), nullable=False, default="")
    hall_code = Column(String(40))
    hall_name = Column(String(200), nullable=False, default="")
    dept_name = Column(String(200), nullable=False, default="", index=True)  # routed to
    content_masked = Column(Text, nullable=False)
    content_encrypted = Column(Text)
    attachment_ids = Column(JSON, nullable=False)  # wechat_attachment ids (photos)
    callback = Column(Boolean, nullable=False, default=False)  # wants a phone call
    phone_encrypted = Column(Text)
    phone_masked = Column(String(20), nullable=False, default="")
    created_at = Column(DateTime, nullable=False)  # local time
    accepted_on = Column(Date, nullable=False)
    due_on = Column(Date)  # None: the calendar does not cover the year yet (due_unknown)
    due_unknown = Column(Boolean, nullable=False, default=False)
    extension_days = Column(Integer, nullable=False, default=0)  # working days granted
    urgency = Column(String(12))  # the last Urgency escalated, so each is raised once
    merged_into_id = Column(Integer, ForeignKey("ticket.id"))
    answered_at = Column(DateTime)
    closed_at = Column(DateTime)


class TicketEvent(Base):
    """The history: who moved the ticket, when, from which state to which, and why."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_ticket", "ticket_id", "id"),)

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False)
    at = Column(DateTime, nullable=False)
    actor = Column(String(64), nullable=False)  # staff account, "citizen" or "system"
    action = Column(String(12), nullable=False)  # TicketAction
    from_state = Column(String(12))
    to_state = Column(String(12))
    dept_name = Column(String(200), nullable=False, default="")
    reason = Column(Text, nullable=False, default="")


class TicketReply(Base):
    """A staff reply, as the citizen reads it."""

    __tablename__ = "ticket_reply"
    __table_args__ = (Index("ix_ticket_reply_ticket", "ticket_id", "id"),)

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False)
    staff = Column(String(64), nullable=False)
    dept_name = Column(String(200), nullable=False, default="")
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)


class TicketCounter(Base):
    """The last serial issued on a day; incremented inside the filing transaction."""

    __tablename__ = "ticket_counter"

    day = Column(Date, primary_key=True)
    last = Column(Integer, nullable=False)


class TicketDraft(Base):
    """A ticket being told to the desk: the conversation's state only holds this row's id."""

    __tablename__ = "ticket_draft"

    id = Column(Integer, primary_key=True)
    openid = Column(String(64), nullable=False, index=True)
    kind = Column(String(12), nullable=False)
    source = Column(String(12), nullable=False)
    item_code = Column(String(31))
    hall_code = Column(String(40))
    content_masked = Column(Text, nullable=False, default="")
    content_encrypted = Column(Text)
    anonymous = Column(Boolean, nullable=False, default=False)
    attachment_ids = Column(JSON, nullable=False)
    phone_encrypted = Column(Text)
    phone_masked = Column(String(20), nullable=False, default="")
    created_at = Column(DateTime, nullable=False)


class OutboxMessage(Base):
    """A message owed to a citizen outside their turn (a reply, a staff line, an invitation).

    Delivered once: a sender claims it by setting ``delivered_at`` while it is still empty.
    ``next_message_only`` is set when WeChat refused a push: it then waits for the citizen.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "openid"),)

    id = Column(Integer, primary_key=True)
    openid = Column(String(64), nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # OutboxKind
    ref = Column(String(40), nullable=False, default="")  # ticket number, handoff id …
    title = Column(String(40), nullable=False, default="")  # a template message's heading
    text = Column(Text, nullable=False)
    page = Column(String(24))  # the ticket number whose reply page to link, if any
    created_at = Column(DateTime, nullable=False)
    next_message_only = Column(Boolean, nullable=False, default=False)
    delivered_at = Column(DateTime)
    route = Column(String(16))  # Route it went by
