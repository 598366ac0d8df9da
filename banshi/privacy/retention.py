"""Retention: personal data is deleted once its purpose is spent.

What a citizen said and what was owed to them is kept for ``conversation_days`` (180 by
default, long enough to follow up a ticket or a 差评 and answer a complaint about the
conversation itself), then deleted: a conversation with staff (转人工) too, counted from its
end. Messages owed to a citizen — notice changes, staff replies, rating invitations (the
tickets' outbox) — are kept ``delivered_update_days`` after delivery, for a question like
"你们上次说材料变了". Redis data (trackers, de-duplication records, rate-limit counters)
expires by TTL instead; this module purges the database.

The WeChat channel's tables are addressed by name through ``sqlalchemy.table()``: they are
defined in ``bot`` and the domain must not import it. Nothing here deletes a notice, a
booking or a ticket: those are records of a service, with retention rules of their own; and
a photo a ticket refers to stays as long as the ticket does, however old it is.

Run it daily, e.g. ``banshi privacy purge`` from cron; it is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Text, and_, cast, column, delete, select, table
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import TableClause

from banshi.handoff.models import Handoff, HandoffMessage
from banshi.handoff.states import HandoffState
from banshi.tickets.models import OutboxMessage, Ticket

CHUNK = 500  # ids per DELETE … IN (…): well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class RetentionPolicy:
    """How long personal data lives; every period in days, counted back from ``now``.

    conversation_days: trackers (as the Redis TTL), answers WeChat would not take,
        attachments no ticket refers to, the record of when a citizen last wrote (the 48-hour
        window), and conversations with staff, counted from their end.
    delivered_update_days: a notice change message or an outbox message (a staff reply, a
        rating invitation), counted from its delivery.
    undelivered_update_days: such a message never delivered (the citizen never wrote
        again); ``None`` keeps it until delivered or until the citizen unsubscribes.
    """

    conversation_days: int = 180
    delivered_update_days: int = 30
    undelivered_update_days: int | None = 180

    def __post_init__(self) -> None:
        for name in ("conversation_days", "delivered_update_days", "undelivered_update_days"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"RetentionPolicy.{name} must be at least 1 day, not {value}")

    @property
    def conversation_seconds(self) -> int:
        """The tracker TTL for Redis (``record_exp``)."""
        return self.conversation_days * 86400


@dataclass
class PurgeReport:
    """Rows deleted per table by one :func:`purge`."""

    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    def summary(self) -> str:
        """One line for the CLI and the log: ``wechat_attachment 3, notice_update 1``."""
        parts = [f"{name} {count}" for name, count in self.deleted.items()]
        return ", ".join(parts) + f" (total {self.total})"


_pending_answer = table("wechat_pending_answer", column("created_at"))
_attachment = table("wechat_attachment", column("id"), column("received_at"))
_contact = table("wechat_contact", column("last_seen_at"))
_notice_update = table("notice_update", column("created_at"), column("delivered_at"))


def _rules(policy: RetentionPolicy, now: datetime) -> list[tuple[str, TableClause, ColumnElement]]:
    """(report name, table, condition of the rows to delete)."""
    talk = now - timedelta(days=policy.conversation_days)
    update_rule: ColumnElement = _notice_update.c.delivered_at < now - timedelta(
        days=policy.delivered_update_days
    )
    delivered = now - timedelta(days=policy.delivered_update_days)
    outbox = OutboxMessage.__table__
    ended = select(Handoff.id).where(
        Handoff.state == HandoffState.CLOSED.value, Handoff.closed_at < talk
    )
    rules: list[tuple[str, TableClause, ColumnElement]] = [
        ("wechat_pending_answer", _pending_answer, _pending_answer.c.created_at < talk),
        ("wechat_contact", _contact, _contact.c.last_seen_at < talk),
        ("notice_update", _notice_update, update_rule),
        ("outbox_message", outbox, outbox.c.delivered_at < delivered),
        # The log first, then the handoffs it belongs to (no reliance on ON DELETE CASCADE,
        # which SQLite applies only with its foreign keys switched on).
        ("handoff_message", HandoffMessage.__table__, HandoffMessage.handoff_id.in_(ended)),
        ("handoff", Handoff.__table__, Handoff.id.in_(ended)),
    ]
    if policy.undelivered_update_days is not None:
        stale = now - timedelta(days=policy.undelivered_update_days)
        rules.append(
            (
                "notice_update (undelivered)",
                _notice_update,
                and_(
                    _notice_update.c.delivered_at.is_(None),
                    _notice_update.c.created_at < stale,
                ),
            )
        )
        rules.append(
            (
                "outbox_message (undelivered)",
                outbox,
                and_(outbox.c.delivered_at.is_(None), outbox.c.created_at < stale),
            )
        )
    return rules


def _ticket_photos(session: Session) -> set[int]:
    """Attachment ids some ticket refers to (its photos): kept with the ticket."""
    rows = session.execute(
        select(Ticket.attachment_ids).where(cast(Ticket.attachment_ids, Text) != "[]")
    ).scalars()
    return {int(i) for ids in rows for i in ids or []}


def _purge_attachments(session: Session, before: datetime) -> int:
    """Delete attachments received before ``before``, except the photos of tickets."""
    old = session.execute(
        select(_attachment.c.id).where(_attachment.c.received_at < before)
    ).scalars()
    doomed = sorted(set(int(i) for i in old) - _ticket_photos(session))
    deleted = 0
    for start in range(0, len(doomed), CHUNK):
        result = session.execute(
            delete(_attachment)
            .where(_attachment.c.id.in_(doomed[start : start + CHUNK]))
            .execution_options(synchronize_session=False)
        )
        deleted += int(result.rowcount or 0)
    return deleted


def purge(session: Session, policy: RetentionPolicy, now: datetime) -> PurgeReport:
    """Delete every row older than ``policy`` allows, in the caller's transaction.

    ``now`` is naive, like the stored times (the WeChat tables hold UTC, notices local
    time: eight hours are nothing against periods counted in days).
    """
    report = PurgeReport()
    report.deleted["wechat_attachment"] = _purge_attachments(
        session, now - timedelta(days=policy.conversation_days)
    )
    for name, target, condition in _rules(policy, now):
        result = session.execute(
            delete(target).where(condition).execution_options(synchronize_session=False)
        )
        report.deleted[name] = int(result.rowcount or 0)
    return report
