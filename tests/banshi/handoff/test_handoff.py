"""转人工: during hours the bot stays silent and staff take over; outside hours, on holidays, in
an unknown year or when nobody takes it in time, a 咨询 ticket; closing resumes the bot."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from banshi.calendar import WorkCalendar
from banshi.db import session_scope
from banshi.handoff import texts
from banshi.handoff.hours import ServiceHours
from banshi.handoff.models import Handoff
from banshi.handoff.service import HandoffRefused, HandoffService
from banshi.handoff.states import Closure, HandoffState, Sender
from banshi.privacy.crypto import FieldCipher
from banshi.ratings.models import RatingInvitation
from banshi.ratings.texts import ASK_LEVEL
from banshi.tickets.kinds import Source, TicketKind
from banshi.tickets.models import OutboxMessage, Ticket
from tests.banshi.tickets.support import NOW, new_openid


@pytest.fixture(scope="module")
def service(db: Engine, cipher: FieldCipher) -> HandoffService:
    return HandoffService(db, cipher)


def _handoff(db: Engine, openid: str) -> Handoff:
    with session_scope(db) as session:
        return (
            session.execute(
                select(Handoff).where(Handoff.openid == openid).order_by(Handoff.id.desc())
            )
            .scalars()
            .first()
        )


def _outbox(db: Engine, openid: str) -> list[tuple[str, str]]:
    with session_scope(db) as session:
        rows = session.execute(
            select(OutboxMessage.kind, OutboxMessage.text)
            .where(OutboxMessage.openid == openid)
            .order_by(OutboxMessage.id)
        )
        return [(k, t) for k, t in rows]


def _ticket(db: Engine, handoff: Handoff) -> Ticket:
    with session_scope(db) as session:
        ticket = session.get(Ticket, handoff.ticket_id)
        assert ticket is not None
        return ticket


def test_service_hours_follow_the_working_calendar(db: Engine) -> None:
    hours = ServiceHours()
    with session_scope(db) as session:
        calendar = WorkCalendar(session)
        assert hours.is_open(calendar, datetime(2026, 12, 7, 9, 0))
        assert not hours.is_open(calendar, datetime(2026, 12, 7, 12, 30))  # lunch
        assert not hours.is_open(calendar, datetime(2026, 12, 5, 10, 0))  # Saturday
        assert hours.is_open(calendar, datetime(2026, 2, 14, 10, 0))  # 调休 Saturday worked
        assert hours.is_open(calendar, datetime(2026, 9, 20, 10, 0))  # 调休 Sunday worked
        assert not hours.is_open(calendar, datetime(2026, 10, 1, 10, 0))  # 国庆
        assert not hours.is_open(calendar, datetime(2027, 1, 4, 10, 0))  # year unknown
    assert hours.text() == "工作日 09:00-12:00、13:30-17:30（法定节假日除外）"


def test_during_hours_staff_take_over_and_the_bot_is_silent(
    service: HandoffService, db: Engine
) -> None:
    openid = new_openid()
    messages, held = service.request(openid, NOW, question="社保卡补办要多久")
    assert held and messages == [texts.waiting(10)]
    assert service.is_held(openid)
    assert service.request(openid, NOW + timedelta(minutes=1)) == ([texts.STILL_WAITING], True)
    said = service.record(openid, "我身份证110105194912310021", NOW + timedelta(minutes=1))
    assert said == []  # silent: the bot does not answer while held
    handoff = _handoff(db, openid)
    waiting = [w for w in service.list_waiting(NOW + timedelta(minutes=3)) if w.id == handoff.id]
    assert waiting and waiting[0].messages == 2 and waiting[0].waited_minutes == 3
    assert waiting[0].last_text == "我身份证110***********0021"
    service.take(handoff.id, "staff1", NOW + timedelta(minutes=3))
    with pytest.raises(HandoffRefused):
        service.take(handoff.id, "staff2", NOW + timedelta(minutes=3))
    with pytest.raises(HandoffRefused, match="staff1"):
        service.send(handoff.id, "staff2", "您好", NOW + timedelta(minutes=4))
    service.send(handoff.id, "staff1", "您好，补办一般需要7个工作日。", NOW + timedelta(minutes=4))
    assert service.record(openid, "好的谢谢", NOW + timedelta(minutes=5)) == []
    assert service.is_held(openid)
    log = service.conversation(handoff.id)
    assert [line.sender for line in log] == [
        Sender.CITIZEN,
        Sender.CITIZEN,
        Sender.STAFF,
        Sender.CITIZEN,
    ]
    assert "110105194912310021" not in "".join(line.text for line in log)
    service.close(handoff.id, "staff1", NOW + timedelta(minutes=6))
    assert not service.is_held(openid)
    sent = _outbox(db, openid)
    assert sent[0] == ("handoff", "【人工服务】您好，补办一般需要7个工作日。")
    assert sent[1][0] == "rating_invite"
    assert sent[1][1].startswith(texts.ENDED.rstrip("。")) and ASK_LEVEL in sent[1][1]
    closed = _handoff(db, openid)
    assert closed.state == HandoffState.CLOSED.value and closed.closure == Closure.DONE.value


def test_outside_hours_the_question_becomes_a_consultation(
    service: HandoffService, db: Engine
) -> None:
    openid = new_openid()
    messages, held = service.request(openid, datetime(2026, 12, 7, 20, 0), "公积金提取要什么材料")
    assert not held and not service.is_held(openid)
    assert messages[0].startswith("现在不是人工服务时间（工作日 09:00-12:00、13:30-17:30")
    ticket = _ticket(db, _handoff(db, openid))
    assert ticket.number in messages[0] and "2026年12月9日前答复您" in messages[0]
    assert ticket.kind == TicketKind.CONSULT.value and ticket.source == Source.HANDOFF.value
    assert ticket.content_masked == "公积金提取要什么材料"
    assert _handoff(db, openid).closure == Closure.AFTER_HOURS.value


def test_on_a_holiday_and_in_an_unknown_year_nobody_answers(
    service: HandoffService, db: Engine
) -> None:
    openid = new_openid()
    messages, held = service.request(openid, datetime(2026, 10, 1, 10, 0))
    assert not held and "现在不是人工服务时间" in messages[0]
    assert _ticket(db, _handoff(db, openid)).content_masked.startswith("（群众请求人工服务")
    later = new_openid()
    messages, held = service.request(later, datetime(2027, 1, 4, 10, 0))
    ticket = _ticket(db, _handoff(db, later))
    assert not held and ticket.due_unknown and "工作人员会尽快答复您" in messages[0]
    messages, held = service.request(new_openid(), datetime(2026, 2, 14, 10, 0))
    assert held  # the 调休 Saturday is a working day


def test_nobody_takes_it_in_time(service: HandoffService, db: Engine) -> None:
    openid = new_openid()
    service.request(openid, NOW)
    service.record(openid, "请问养老金怎么查询", NOW + timedelta(minutes=2))
    said = service.record(openid, "还在吗", NOW + timedelta(minutes=11))
    ticket = _ticket(db, _handoff(db, openid))
    assert said == [texts.timed_out(ticket.number, date(2026, 12, 9))]
    assert not service.is_held(openid)
    assert ticket.content_masked == "请问养老金怎么查询\n还在吗"
    assert _handoff(db, openid).closure == Closure.TIMEOUT.value


def test_the_periodic_sweep_tells_waiting_citizens_by_the_outbox(
    service: HandoffService, db: Engine
) -> None:
    openid = new_openid()
    service.request(openid, NOW + timedelta(hours=1))
    service.expire_waiting(NOW + timedelta(hours=1, minutes=5))
    assert service.is_held(openid)  # five minutes: still waiting
    assert service.expire_waiting(NOW + timedelta(hours=1, minutes=11)) >= 1
    assert not service.is_held(openid)
    sent = _outbox(db, openid)
    ticket = _ticket(db, _handoff(db, openid))
    assert sent == [("ticket_news", texts.timed_out(ticket.number, date(2026, 12, 9)))]


def test_the_citizen_cancels_or_ends_it(service: HandoffService, db: Engine) -> None:
    openid = new_openid()
    service.request(openid, NOW)
    assert service.record(openid, "取消人工", NOW + timedelta(minutes=1)) == [texts.CANCELLED]
    assert not service.is_held(openid) and _handoff(db, openid).closure == Closure.CANCELLED.value
    service.request(openid, NOW + timedelta(minutes=2))
    handoff = _handoff(db, openid)
    service.take(handoff.id, "staff1", NOW + timedelta(minutes=2))
    said = service.record(openid, "结束人工", NOW + timedelta(minutes=3))
    assert said[0].startswith(texts.ENDED_BY_CITIZEN) and ASK_LEVEL in said[0]
    assert not service.is_held(openid)
    assert _outbox(db, openid) == []  # said in the turn, not queued
    with session_scope(db) as session:
        invitation = session.execute(
            select(RatingInvitation).where(RatingInvitation.service_ref == str(handoff.id))
        ).scalar_one()
        assert invitation.openid == openid


def test_one_open_handoff_per_citizen(service: HandoffService, db: Engine) -> None:
    openid = new_openid()
    service.request(openid, NOW)
    with pytest.raises(IntegrityError), session_scope(db) as session:  # what a racing twin hits
        session.add(Handoff(openid=openid, state=HandoffState.WAITING.value, requested_at=NOW))
        session.flush()
    messages, held = service.request(openid, NOW + timedelta(minutes=12))  # asked again, too late
    assert not held and messages[0].startswith("抱歉，工作人员暂时都在忙")
    assert service.request(openid, NOW + timedelta(minutes=13))[1]  # a new wait begins
