"""On unsubscribe the citizen is forgotten; tickets and ratings stay as unlinked records."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from banshi.calendar import WorkCalendar
from banshi.db import session_scope
from banshi.handoff import service as handoff_service
from banshi.handoff.models import Handoff, HandoffMessage
from banshi.handoff.service import HandoffService
from banshi.privacy.crypto import FieldCipher
from banshi.ratings import recording
from banshi.ratings.config import RatingConfig
from banshi.ratings.invitations import invite
from banshi.ratings.levels import Level
from banshi.ratings.models import Rating, RatingInvitation
from banshi.ratings.services import Service, ServiceKind
from banshi.tickets import drafts, retention
from banshi.tickets.config import TicketConfig
from banshi.tickets.kinds import Source, TicketKind
from banshi.tickets.lifecycle import NewTicket, file_ticket, protect
from banshi.tickets.models import OutboxMessage, Ticket, TicketDraft
from banshi.tickets.replies import record_reply
from tests.banshi.tickets.support import NOW, new_openid


def test_forgetting_a_citizen(db: Engine, cipher: FieldCipher) -> None:
    openid = new_openid()
    HandoffService(db, cipher).request(openid, NOW, "我的电话13800138000")
    with session_scope(db) as session:
        handoff_id = session.execute(
            select(Handoff.id).where(Handoff.openid == openid)
        ).scalar_one()
    with session_scope(db) as session:
        masked, encrypted = protect(cipher, "电话13800138000的人冒充窗口")
        ticket = file_ticket(
            session,
            NewTicket(
                openid,
                TicketKind.REPORT,
                masked,
                encrypted,
                phone_encrypted=cipher.encrypt("13800138000"),
                phone_masked="138****8000",
            ),
            WorkCalendar(session),
            TicketConfig(),
            NOW,
        )
        record_reply(session, ticket, "已受理核查。", "staff1", NOW)
        drafts.new_draft(session, openid, TicketKind.CONSULT, Source.CHAT, NOW)
        invitation = invite(
            session, Service(ServiceKind.TICKET, ticket.number), openid, "已办结", NOW
        )
        assert invitation is not None
        rating, _ = recording.record_rating(
            session,
            invitation,
            Level.DISSATISFIED,
            WorkCalendar(session),
            RatingConfig(),
            NOW + timedelta(hours=1),
        )
        recording.add_comment(rating, cipher, "电话13800138000")
        number = ticket.number
    with session_scope(db) as session:
        assert retention.forget_citizen(session, openid) >= 3
        assert recording.forget_citizen(session, openid) == 2
        assert handoff_service.forget_citizen(session, openid) == 1
    with session_scope(db) as session:
        kept = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        assert (
            kept.openid is None and kept.phone_encrypted is None and kept.content_encrypted is None
        )
        assert kept.content_masked == "电话138****8000的人冒充窗口"
        rating = session.execute(select(Rating).where(Rating.service_ref == number)).scalar_one()
        assert rating.openid is None and rating.comment_encrypted is None
        for table, column in (
            (TicketDraft, TicketDraft.openid),
            (OutboxMessage, OutboxMessage.openid),
            (RatingInvitation, RatingInvitation.openid),
            (Handoff, Handoff.openid),
        ):
            count = session.execute(select(func.count()).select_from(table).where(column == openid))
            assert count.scalar_one() == 0, table
        logged = select(func.count()).select_from(HandoffMessage)
        assert (
            session.execute(logged.where(HandoffMessage.handoff_id == handoff_id)).scalar_one() == 0
        )
