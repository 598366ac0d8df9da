"""purge() and the tickets' tables: the outbox, conversations with staff, and the photos a
ticket refers to (kept however old), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.db import session_scope
from banshi.handoff.models import Handoff, HandoffMessage
from banshi.handoff.states import Closure, HandoffState, Sender
from banshi.privacy.retention import RetentionPolicy, purge
from banshi.tickets.kinds import Source, TicketKind, TicketState
from banshi.tickets.models import OutboxMessage, Ticket
from bot.wechat.models import Attachment

NOW = datetime(2026, 12, 7, 12, 0, 0)


def _ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _photo(session: Session, openid: str, age: float) -> int:
    photo = Attachment(openid=openid, kind="image", media_id="m", received_at=_ago(age))
    session.add(photo)
    session.flush()
    return int(photo.id)


def _ticket(number: str, photos: list[int]) -> Ticket:
    return Ticket(
        number=number,
        kind=TicketKind.COMPLAINT.value,
        state=TicketState.CLOSED.value,
        source=Source.CHAT.value,
        openid="o-ticket",
        anonymous=False,
        item_name="",
        hall_name="",
        dept_name="",
        content_masked="窗口态度差",
        attachment_ids=photos,
        callback=False,
        phone_masked="",
        created_at=_ago(400),
        accepted_on=date(2025, 11, 1),
        extension_days=0,
    )


def _handoff(session: Session, state: HandoffState, closed_days: float | None) -> int:
    handoff = Handoff(
        openid=f"o-handoff-{state.value}-{closed_days}",
        state=state.value,
        requested_at=_ago((closed_days or 0) + 1),
        closed_at=None if closed_days is None else _ago(closed_days),
        closure=None if closed_days is None else Closure.DONE.value,
    )
    session.add(handoff)
    session.flush()
    for text in ("我想问一下补办身份证", "您好，请讲"):
        session.add(
            HandoffMessage(
                handoff_id=handoff.id,
                at=_ago(closed_days or 0),
                sender=Sender.CITIZEN.value,
                text_masked=text,
            )
        )
    return int(handoff.id)


def test_the_tickets_tables_are_purged_and_ticket_photos_kept(engine: Engine) -> None:
    with session_scope(engine) as s:
        kept_photo = _photo(s, "o-ticket", 400)  # a ticket's evidence: kept with the ticket
        other_photo = _photo(s, "o-ticket", 400)  # sent, never attached: personal data, gone
        fresh_photo = _photo(s, "o-ticket", 3)
        s.add(_ticket("GD202511010001", [kept_photo]))
        s.add(_ticket("GD202511010002", []))
        for created, delivered in [(10, 5), (40, 31), (300, 200), (10, None), (190, None)]:
            s.add(
                OutboxMessage(
                    openid="o-outbox",
                    kind="ticket_reply",
                    text="您的工单有了答复",
                    created_at=_ago(created),
                    delivered_at=None if delivered is None else _ago(delivered),
                    next_message_only=False,
                )
            )
        old_closed = _handoff(s, HandoffState.CLOSED, 200)
        recent_closed = _handoff(s, HandoffState.CLOSED, 20)
        long_held = _handoff(s, HandoffState.HELD, None)
        s.execute(
            Handoff.__table__.update()
            .where(Handoff.id == long_held)
            .values(requested_at=_ago(400))  # held for ever: not ended, not purged
        )

    with session_scope(engine) as s:
        report = purge(s, RetentionPolicy(), NOW)
    assert report.deleted["wechat_attachment"] == 1
    assert report.deleted["outbox_message"] == 2
    assert report.deleted["outbox_message (undelivered)"] == 1
    assert report.deleted["handoff_message"] == 2
    assert report.deleted["handoff"] == 1
    with session_scope(engine) as s:
        photos = set(s.execute(select(Attachment.id)).scalars())
        outbox_ages = sorted(
            (NOW - c).days for c in s.execute(select(OutboxMessage.created_at)).scalars()
        )
        handoffs = set(s.execute(select(Handoff.id)).scalars())
        logged = set(s.execute(select(HandoffMessage.handoff_id)).scalars())
    assert photos == {kept_photo, fresh_photo} and other_photo not in photos
    assert outbox_ages == [10, 10]
    assert handoffs == logged == {recent_closed, long_held} and old_closed not in handoffs

    with session_scope(engine) as s:  # idempotent
        assert purge(s, RetentionPolicy(), NOW).total == 0


def test_undelivered_messages_can_be_kept_until_the_citizen_writes(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add(
            OutboxMessage(
                openid="o-outbox",
                kind="rating_invite",
                text="请您评价",
                created_at=_ago(400),
                next_message_only=True,
            )
        )
    with session_scope(engine) as s:
        report = purge(s, RetentionPolicy(undelivered_update_days=None), NOW)
    assert "outbox_message (undelivered)" not in report.deleted
    with session_scope(engine) as s:
        assert len(list(s.execute(select(OutboxMessage.id)).scalars())) == 1
