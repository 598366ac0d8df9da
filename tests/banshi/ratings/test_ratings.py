"""好差评: invited once, rated by the desk, 差评 followed up to the citizen, set aside with a
reason but never deleted, a declined invitation not repeated."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from banshi.calendar import WorkCalendar
from banshi.conversation import Gist, Outcome, Request
from banshi.db import session_scope
from banshi.privacy.crypto import FieldCipher
from banshi.ratings import texts
from banshi.ratings.cli import ratings_json
from banshi.ratings.desk import RatingDesk, Step
from banshi.ratings.followup import Stage, advance, followup_of, open_followups
from banshi.ratings.invitations import invite, open_invitation
from banshi.ratings.models import Rating, RatingFollowUpEvent, RatingInvitation
from banshi.ratings.review import set_aside
from banshi.ratings.services import InvitationState, Service, ServiceKind
from banshi.tickets import cli
from banshi.tickets.config import TicketConfig
from banshi.tickets.errors import ReasonRequired, TicketError
from banshi.tickets.kinds import TicketKind
from banshi.tickets.lifecycle import NewTicket, file_ticket
from banshi.tickets.models import OutboxMessage
from banshi.tickets.views import history_of
from tests.banshi.tickets.support import NOW, new_openid, say


@pytest.fixture(scope="module")
def desk(db: Engine, cipher: FieldCipher) -> RatingDesk:
    return RatingDesk(db, cipher)


def _invited(db: Engine, openid: str, kind: ServiceKind = ServiceKind.BOOKING) -> Service:
    service = Service(kind, f"B-{openid[-8:]}")
    with session_scope(db) as session:
        assert invite(session, service, openid, "您预约的业务已办理", NOW) is not None
    return service


def _rating(db: Engine, service: Service) -> Rating:
    with session_scope(db) as session:
        return session.execute(select(Rating).where(Rating.service_ref == service.ref)).scalar_one()


def test_invited_once_and_told_by_the_outbox(db: Engine) -> None:
    openid = new_openid()
    service = _invited(db, openid)
    with session_scope(db) as session:
        assert invite(session, service, openid, "again", NOW) is None
        texts_sent = (
            session.execute(select(OutboxMessage.text).where(OutboxMessage.openid == openid))
            .scalars()
            .all()
        )
    assert texts_sent == [texts.invitation("您预约的业务已办理")]
    assert "1 非常满意" in texts_sent[0] and "5 非常不满意" in texts_sent[0]


def test_a_good_rating_by_words_with_aspects_and_comment(
    desk: RatingDesk, db: Engine, cipher: FieldCipher
) -> None:
    openid = new_openid()
    service = _invited(db, openid)
    message = say("非常满意", openid, Gist.CHAT)
    assert desk.takes(message)
    reply = desk.start(message, Request.RATE, None)
    assert reply.messages == [texts.ASK_GOOD_ASPECTS] and reply.state is not None
    reply = desk.answer(say("1 4", openid), reply.state)
    assert reply.state is not None and reply.state.step == Step.COMMENT.value
    reply = desk.answer(say("窗口小王很耐心，电话13800138000可以回访", openid), reply.state)
    assert reply.messages == [texts.THANKS] and reply.outcome is Outcome.DONE
    rating = _rating(db, service)
    assert rating.level == "very_satisfied" and rating.indicators == ["efficiency", "attitude"]
    assert rating.comment_masked == "窗口小王很耐心，电话138****8000可以回访"
    assert cipher.decrypt(rating.comment_encrypted).endswith("13800138000可以回访")
    with session_scope(db) as session:
        assert followup_of(session, rating.id) is None
        invitation = session.execute(
            select(RatingInvitation).where(RatingInvitation.service_ref == service.ref)
        ).scalar_one()
        assert invitation.state == InvitationState.RATED.value
    assert not desk.takes(say("满意", openid))  # one rating per service


def test_a_bad_rating_is_followed_up_to_the_citizen(desk: RatingDesk, db: Engine) -> None:
    openid = new_openid()
    service = _invited(db, openid)
    reply = desk.start(say("4", openid, Gist.PICK), Request.RATE, None)
    assert reply.messages == [texts.ASK_BAD_ASPECTS] and reply.state is not None
    reply = desk.answer(say("跳过", openid), reply.state)
    assert reply.messages == [texts.ASK_BAD_COMMENT] and reply.state is not None
    reply = desk.answer(say("跑了三趟还没办成", openid), reply.state)
    assert reply.messages == [texts.bad_thanks(date(2026, 12, 14))]  # 5 working days
    rating = _rating(db, service)
    with session_scope(db) as session:
        followup = followup_of(session, rating.id)
        assert followup is not None and followup.stage == Stage.VERIFY.value
        assert followup.due_on == date(2026, 12, 14)
        assert any(
            line.rating_id == rating.id
            for line in open_followups(session, date(2026, 12, 15))
            if line.overdue
        )
        with pytest.raises(ReasonRequired):
            advance(session, followup, "reviewer1", " ", NOW)
        assert advance(session, followup, "dept1", "核实：材料清单未更新", NOW) is Stage.RECTIFY
        assert advance(session, followup, "dept1", "整改：已更新办事指南", NOW) is Stage.FEEDBACK
        assert (
            advance(session, followup, "dept1", "已更新材料清单，欢迎再来办理。", NOW) is Stage.DONE
        )
        with pytest.raises(TicketError):
            advance(session, followup, "dept1", "again", NOW)
        feedback = session.execute(
            select(OutboxMessage.text).where(
                OutboxMessage.openid == openid, OutboxMessage.kind == "rating_feedback"
            )
        ).scalar_one()
        assert "预约办事" in feedback and "已更新材料清单" in feedback
        stages = (
            session.execute(
                select(RatingFollowUpEvent.to_stage)
                .where(RatingFollowUpEvent.followup_id == followup.id)
                .order_by(RatingFollowUpEvent.id)
            )
            .scalars()
            .all()
        )
    assert stages == ["verify", "rectify", "feedback", "done"]


def test_a_malicious_rating_is_set_aside_not_deleted(desk: RatingDesk, db: Engine) -> None:
    openid = new_openid()
    service = _invited(db, openid)
    reply = desk.start(say("非常不满意", openid, Gist.CHAT), Request.RATE, None)
    assert reply.state is not None
    assert desk.leave(reply.state) == [texts.THANKS]  # the level stands
    rating = _rating(db, service)
    with session_scope(db) as session:
        with pytest.raises(ReasonRequired):
            set_aside(session, rating.id, "reviewer1", "", NOW)
        set_aside(session, rating.id, "reviewer1", "经核实为误评：群众未到现场办理", NOW)
        with pytest.raises(TicketError, match="不能重复"):
            set_aside(session, rating.id, "reviewer1", "again", NOW)
        followup = followup_of(session, rating.id)
        assert followup is not None and followup.stage == Stage.SET_ASIDE.value
        assert (
            session.execute(
                select(func.count()).select_from(Rating).where(Rating.id == rating.id)
            ).scalar_one()
            == 1
        )
        listed = [r for r in json.loads(ratings_json(session)) if r["id"] == rating.id][0]
    assert listed["set_aside"] and listed["set_aside_reason"] == "经核实为误评：群众未到现场办理"
    assert listed["level_label"] == "非常不满意" and listed["gbt39046_code"] == 5
    assert listed["followup"]["stage"] == "set_aside"


def test_a_declined_invitation_is_not_repeated(desk: RatingDesk, db: Engine) -> None:
    openid = new_openid()
    service = _invited(db, openid)
    reply = desk.start(say("我要评价", openid, Gist.TASK, Request.RATE), Request.RATE, None)
    assert reply.messages == [texts.ASK_LEVEL] and reply.state is not None
    unread = desk.answer(say("嗯哼", openid), reply.state)
    assert unread.messages[0].startswith(texts.NOT_UNDERSTOOD) and unread.state is not None
    assert unread.state.failures == 1
    done = desk.answer(say("不评价了", openid), unread.state)
    assert done.messages == [texts.DECLINED] and done.state is None
    with session_scope(db) as session:
        assert open_invitation(session, openid, NOW, timedelta(days=7)) is None
        assert invite(session, service, openid, "again", NOW + timedelta(days=1)) is None
    nothing = desk.start(say("我要评价", openid, Gist.TASK, Request.RATE), Request.RATE, None)
    assert nothing.messages == [texts.NOTHING_TO_RATE] and nothing.outcome is Outcome.DONE


def test_an_old_invitation_is_no_longer_answered(desk: RatingDesk, db: Engine) -> None:
    openid = new_openid()
    _invited(db, openid)
    late = say("满意", openid, now=NOW + timedelta(days=8))
    assert not desk.takes(late)


def test_a_rated_ticket_records_the_verdict_in_its_history(db: Engine, desk: RatingDesk) -> None:
    openid = new_openid()
    with session_scope(db) as session:
        ticket = file_ticket(
            session,
            NewTicket(openid, TicketKind.CONSULT, "护照加急怎么办"),
            WorkCalendar(session),
            TicketConfig(),
            NOW,
        )
        number = ticket.number
        cli.reply(session, number, "可申请加急，5个工作日出证。", "staff1", NOW)
        cli.close(session, number, "staff1", NOW + timedelta(hours=1))
    reply = desk.start(
        say("2", openid, Gist.PICK, now=NOW + timedelta(hours=2)), Request.RATE, None
    )
    assert reply.messages == [texts.ASK_GOOD_ASPECTS]
    with session_scope(db) as session:
        last = history_of(session, ticket.id)[-1]
    assert last.action.value == "evaluate" and last.reason == "满意" and last.actor == "citizen"


def test_ratings_json_is_masked(db: Engine, desk: RatingDesk) -> None:
    openid = new_openid()
    _invited(db, openid)
    reply = desk.start(say("3", openid, Gist.PICK), Request.RATE, None)
    assert reply.state is not None
    reply = desk.answer(say("没有", openid), reply.state)
    assert reply.state is not None
    desk.answer(say("身份证110105194912310021的人插队", openid), reply.state)
    with session_scope(db) as session:
        out = ratings_json(session)
    assert "110105194912310021" not in out and "110***********0021" in out
