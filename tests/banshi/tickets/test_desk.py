"""The ticket desk driven with Messages: every type, photos, 匿名, the phone, read-back, edits,
unreadable answers, leaving, resuming, "我的工单", and the unanswered-question offer."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from banshi.conversation import Conversation, Gist, Outcome, Request, Task, TaskReply, TaskState
from banshi.db import session_scope
from banshi.privacy.crypto import FieldCipher
from banshi.tickets import texts
from banshi.tickets.desk import Step, TicketDesk
from banshi.tickets.kinds import Source, TicketKind, TicketState
from banshi.tickets.models import Ticket, TicketDraft
from banshi.tickets.numbering import is_ticket_number
from tests.banshi.tickets.support import (
    DRIVING_RENEW,
    MARRIAGE,
    WordPicker,
    add_photo,
    new_openid,
    say,
)

NUMBER = re.compile(r"GD20261207\d{4}")
NOTICE_NUMBER = re.compile(r"^[A-Z]{1,8}20[0-9]{2}[0-9]{6}$")  # BS2026000123 (banshi.notices)


@pytest.fixture(scope="module")
def desk(db: Engine, cipher: FieldCipher) -> TicketDesk:
    return TicketDesk(db, cipher, WordPicker())


def _go(desk: TicketDesk, reply: TaskReply, *answers: str, openid: str) -> TaskReply:
    for text in answers:
        assert reply.state is not None, reply.messages
        reply = desk.answer(say(text, openid), reply.state)
    return reply


def _filed(db: Engine, reply: TaskReply) -> Ticket:
    assert reply.outcome is Outcome.DONE and reply.state is None
    number = NUMBER.search(reply.messages[0])
    assert number, reply.messages
    with session_scope(db) as session:
        return session.execute(select(Ticket).where(Ticket.number == number.group())).scalar_one()


def test_complaint_about_a_hall_with_photos_and_a_call_back(
    desk: TicketDesk, db: Engine, cipher: FieldCipher
) -> None:
    openid = new_openid()
    reply = desk.start(
        say("我要投诉车管所窗口态度太差", openid, Gist.TASK, Request.COMPLAIN),
        Request.COMPLAIN,
        None,
    )
    assert reply.outcome is Outcome.ASKING and reply.state is not None
    assert reply.state.step == Step.PHOTOS.value
    assert reply.messages[0].startswith("好的，帮您登记投诉。\n如有照片")
    add_photo(db, openid)
    add_photo(db, openid)
    reply = desk.answer(say("[图片]", openid), reply.state)
    assert reply.messages == [texts.PHOTOS_RECEIVED.format(count=2)]
    reply = _go(desk, reply, "好了", openid=openid)
    assert reply.state is not None and reply.state.step == Step.PHONE.value
    reply = _go(desk, reply, "13800138000", openid=openid)
    summary = reply.messages[0]
    assert "类型：投诉" in summary and "涉及：示范市车辆管理所" in summary
    assert "照片：2张" in summary and "联系电话：138****8000" in summary
    assert "13800138000" not in summary
    done = _go(desk, reply, "确认", openid=openid)
    ticket = _filed(db, done)
    assert "2026年12月28日前答复" in done.messages[0]  # 15 working days from Monday 7 December
    assert "138****8000" in done.messages[0]
    assert ticket.kind == TicketKind.COMPLAINT.value and ticket.state == TicketState.ACCEPTED.value
    assert ticket.hall_code == "H139900003" and ticket.due_on == date(2026, 12, 28)
    assert len(ticket.attachment_ids) == 2 and ticket.callback
    assert ticket.phone_masked == "138****8000"
    assert "13800138000" not in ticket.phone_encrypted
    assert cipher.decrypt(ticket.phone_encrypted) == "13800138000"
    assert ticket.content_masked == "我要投诉车管所窗口态度太差"
    assert ticket.content_encrypted is None  # nothing masked: the display copy is the original
    with session_scope(db) as session:  # the draft is gone once filed
        assert (
            session.execute(select(TicketDraft).where(TicketDraft.openid == openid)).first() is None
        )


def test_suggestion_naming_an_item_goes_to_its_department(desk: TicketDesk, db: Engine) -> None:
    openid = new_openid()
    reply = desk.start(
        say("建议周六也开放婚姻登记", openid, Gist.TASK, Request.SUGGEST), Request.SUGGEST, None
    )
    reply = _go(desk, reply, "没有", "不需要", openid=openid)
    assert "涉及：内地居民结婚登记" in reply.messages[0] and "类型：建议" in reply.messages[0]
    ticket = _filed(db, _go(desk, reply, "确认", openid=openid))
    assert ticket.kind == TicketKind.SUGGESTION.value and ticket.item_code == MARRIAGE
    assert ticket.state == TicketState.DISPATCHED.value
    assert ticket.dept_name == "示范市民政局"
    assert ticket.due_on == date(2026, 12, 21)  # 10 working days
    assert not ticket.callback and ticket.phone_encrypted is None


def test_consultation_asks_the_content_and_which_item(desk: TicketDesk, db: Engine) -> None:
    openid = new_openid()
    reply = desk.start(
        say("我想咨询一下", openid, Gist.TASK, Request.CONSULT), Request.CONSULT, None
    )
    assert reply.messages == ["好的，帮您登记咨询。" + texts.ASK_CONTENT[TicketKind.CONSULT]]
    reply = _go(desk, reply, "驾驶证过期了怎么办", openid=openid)
    assert reply.state is not None and reply.state.step == Step.ITEM.value
    assert "1. 机动车驾驶证有效期满换证" in reply.messages[0]
    assert texts.ASK_ITEM_SUFFIX in reply.messages[0]
    reply = _go(desk, reply, "1", openid=openid)
    assert reply.state is not None and reply.state.step == Step.PHONE.value  # no photos for 咨询
    reply = desk.answer(say("不用", openid), reply.state)
    reply = desk.answer(say("好的", openid, Gist.YES), reply.state)  # type: ignore[arg-type]
    ticket = _filed(db, reply)
    assert ticket.item_code == DRIVING_RENEW and ticket.dept_name == "示范市公安局交通警察支队"
    assert ticket.due_on == date(2026, 12, 9)  # 2 working days
    assert "2026年12月9日前答复" in reply.messages[0]


def test_anonymous_report_keeps_no_phone(desk: TicketDesk, db: Engine) -> None:
    openid = new_openid()
    reply = desk.start(
        say("我要举报有人在车管所门口倒卖号源", openid, Gist.TASK, Request.COMPLAIN),
        Request.COMPLAIN,
        None,
    )
    assert reply.state is not None and reply.state.step == Step.ANONYMOUS.value
    reply = _go(desk, reply, "匿名", "没有", openid=openid)
    assert reply.state is not None and reply.state.step == Step.CONFIRM.value  # no phone asked
    assert "方式：匿名" in reply.messages[0]
    ticket = _filed(db, _go(desk, reply, "确认", openid=openid))
    assert ticket.kind == TicketKind.REPORT.value and ticket.anonymous
    assert ticket.phone_encrypted is None and ticket.due_on == date(2026, 12, 28)


def test_praise_asks_neither_photos_nor_phone(desk: TicketDesk, db: Engine) -> None:
    openid = new_openid()
    reply = desk.start(
        say("表扬政务服务中心的窗口同志，服务特别耐心", openid, Gist.TASK, Request.SUGGEST),
        Request.SUGGEST,
        None,
    )
    assert reply.state is not None and reply.state.step == Step.CONFIRM.value
    done = _go(desk, reply, "确认", openid=openid)
    assert done.messages[0].startswith("感谢您的表扬！")
    ticket = _filed(db, done)
    assert ticket.kind == TicketKind.PRAISE.value and ticket.hall_code == "H139900001"


def test_help_with_a_phone_given_in_two_steps_and_an_edit(
    desk: TicketDesk, db: Engine, cipher: FieldCipher
) -> None:
    openid = new_openid()
    reply = desk.start(
        say("我要求助，老人腿脚不便没法去大厅办居住证", openid, Gist.TASK, Request.CONSULT),
        Request.CONSULT,
        None,
    )
    reply = _go(desk, reply, "没有", "需要", openid=openid)
    assert reply.messages == [texts.PHONE_PLEASE]
    reply = _go(desk, reply, "138 0013 8000", openid=openid)
    assert "类型：求助" in reply.messages[0]
    reply = _go(desk, reply, "修改", openid=openid)
    assert reply.messages == [texts.EDIT] and reply.state is not None
    reply = _go(desk, reply, "老人行动不便，能否上门办理居住证，电话13912345678", openid=openid)
    assert reply.state is not None and reply.state.step == Step.CONFIRM.value  # nothing re-asked
    assert "电话139****5678" in reply.messages[0]
    ticket = _filed(db, _go(desk, reply, "确认", openid=openid))
    assert ticket.kind == TicketKind.HELP.value
    assert ticket.content_masked == "老人行动不便，能否上门办理居住证，电话139****5678"
    assert cipher.decrypt(ticket.content_encrypted).endswith("13912345678")
    assert cipher.decrypt(ticket.phone_encrypted) == "13800138000"


def test_unreadable_answers_are_asked_again_with_the_reason(desk: TicketDesk) -> None:
    openid = new_openid()
    reply = desk.start(say("我要举报", openid, Gist.TASK, Request.COMPLAIN), Request.COMPLAIN, None)
    reply = _go(desk, reply, "太短", openid=openid)  # under 4 characters of substance
    assert reply.messages[0].startswith(texts.CONTENT_TOO_SHORT)
    assert reply.state is not None and reply.state.failures == 1
    reply = _go(desk, reply, "有人冒充工作人员收取办证费用", openid=openid)
    assert reply.state is not None and reply.state.step == Step.ANONYMOUS.value
    assert reply.state.failures == 0
    reply = _go(desk, reply, "随便吧", openid=openid)
    assert reply.messages[0].startswith(texts.NOT_UNDERSTOOD) and reply.state is not None
    reply = _go(desk, reply, "实名", "没有", "12345", openid=openid)
    assert reply.messages == [texts.PHONE_INVALID]
    reply = _go(desk, reply, "1380013", openid=openid)
    assert reply.state is not None and reply.state.failures == 2


def test_a_question_in_the_middle_is_not_the_desks(desk: TicketDesk) -> None:
    openid = new_openid()
    reply = desk.start(
        say("建议婚姻登记周六开放", openid, Gist.TASK, Request.SUGGEST), Request.SUGGEST, None
    )
    assert reply.state is not None
    aside = desk.answer(say("护照要带什么材料", openid, Gist.QUESTION), reply.state)
    assert aside.outcome is Outcome.NOT_MINE and aside.state == reply.state
    assert desk.repeat(reply.state) == [texts.ASK_PHOTOS.format(max=9)]


def test_leaving_drops_the_draft(desk: TicketDesk, db: Engine) -> None:
    openid = new_openid()
    reply = desk.start(
        say("我要投诉窗口不让拍照", openid, Gist.TASK, Request.COMPLAIN), Request.COMPLAIN, None
    )
    assert reply.state is not None
    assert desk.leave(reply.state) == [texts.left(TicketKind.COMPLAINT)]
    with session_scope(db) as session:
        assert session.get(TicketDraft, reply.state.data["draft"]) is None


def test_asking_again_without_content_resumes(desk: TicketDesk) -> None:
    openid = new_openid()
    first = desk.start(
        say("我要投诉车管所排队太久", openid, Gist.TASK, Request.COMPLAIN), Request.COMPLAIN, None
    )
    again = desk.start(
        say("投诉", openid, Gist.TASK, Request.COMPLAIN), Request.COMPLAIN, first.state
    )
    assert again.state == first.state and again.messages == desk.repeat(first.state)  # type: ignore[arg-type]


def test_the_runner_drives_the_desk(desk: TicketDesk, db: Engine) -> None:
    openid = new_openid()
    runner = Conversation([desk])
    turn = runner.handle(say("建议车管所增加自助拍照机", openid, Gist.TASK, Request.SUGGEST), None)
    assert turn.task is not None and turn.task.task is Task.TICKET
    turn = runner.handle(say("算了", openid), turn.task)
    assert turn.task is None and turn.messages == [texts.left(TicketKind.SUGGESTION)]


def test_my_tickets_and_a_number_typed_alone(desk: TicketDesk, db: Engine) -> None:
    openid = new_openid()
    empty = desk.start(
        say("我的工单", openid, Gist.TASK, Request.MY_TICKETS), Request.MY_TICKETS, None
    )
    assert empty.messages == [texts.NO_TICKETS] and empty.outcome is Outcome.DONE
    reply = desk.start(
        say("表扬车管所的服务很周到", openid, Gist.TASK, Request.SUGGEST), Request.SUGGEST, None
    )
    ticket = _filed(db, _go(desk, reply, "确认", openid=openid))
    listing = desk.start(
        say("我的工单", openid, Gist.TASK, Request.MY_TICKETS), Request.MY_TICKETS, None
    )
    assert (
        f"1. {ticket.number} 表扬" in listing.messages[0]
        and "已受理，正在分派" in listing.messages[0]
    )
    assert is_ticket_number(ticket.number.lower()) and not NOTICE_NUMBER.match(ticket.number)
    shown = desk.show(say(ticket.number.lower(), openid))
    assert shown is not None and f"工单 {ticket.number}（表扬）" in shown[0]
    assert "暂无答复" in shown[0]
    stranger = desk.show(say(ticket.number, new_openid()))
    assert stranger is not None and "没有找到编号为" in stranger[0]
    assert desk.show(say("你好", openid)) is None


def test_an_unanswered_question_offered_as_a_consultation(desk: TicketDesk, db: Engine) -> None:
    openid = new_openid()
    offer = desk.offer(say("老年人优待证在哪里办", openid))
    assert offer.messages == [texts.ASK_OFFER] and offer.state is not None
    reply = desk.answer(say("好的", openid, Gist.YES), offer.state)
    assert reply.messages[0].startswith("好的，帮您登记咨询。\n" + texts.ASK_PHONE)
    reply = _go(desk, reply, "不需要", "确认", openid=openid)
    ticket = _filed(db, reply)
    assert ticket.source == Source.UNANSWERED.value and ticket.kind == TicketKind.CONSULT.value
    assert ticket.content_masked == "老年人优待证在哪里办"
    declined = desk.offer(say("公积金能取几次", openid))
    assert declined.state is not None
    no = desk.answer(say("不用", openid, Gist.NO), declined.state)
    assert no.messages == [texts.OFFER_DECLINED] and no.outcome is Outcome.DONE
    with session_scope(db) as session:
        assert session.get(TicketDraft, declined.state.data["draft"]) is None


def test_state_holds_no_personal_data(desk: TicketDesk) -> None:
    openid = new_openid()
    reply = desk.start(
        say("我要投诉，电话13800138000的人冒充窗口收费", openid, Gist.TASK, Request.COMPLAIN),
        Request.COMPLAIN,
        None,
    )
    assert reply.state is not None
    slot = repr(TaskState.to_slot(reply.state))
    assert "13800138000" not in slot and "冒充" not in slot
