"""The booking conversation over the demo catalog, without Rasa: through the shared dialogue
pattern (banshi.conversation), as the Rasa action will drive it."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from app.settings import load_settings
from banshi.asks import Ask
from banshi.bookings import book, set_override
from banshi.bookings.desk import BookingDesk
from banshi.bookings.models import Booking, BookingDraft
from banshi.conversation import (
    HUMAN_OFFER,
    Conversation,
    Gist,
    Message,
    Request,
    TaskState,
    Turn,
    TurnKind,
)
from banshi.db import session_scope
from banshi.guide import Guide
from banshi.lexicon import load_lexicon
from banshi.models import Window
from banshi.resolution import Resolver
from tests.banshi.bookings.conftest import (
    CENTRE,
    CIPHER,
    COMMUNITY,
    CONFIG,
    ID_CARD_RENEWAL,
    NOW,
    make_id,
    person,
)

ID = "11010519491231002X"
MOBILE = "13800138000"


@pytest.fixture(scope="module")
def guide(synced: Engine) -> Guide:
    return Guide(synced, Resolver(load_lexicon(load_settings({}).lexicon_path)))


@pytest.fixture
def desk(db: Engine, guide: Guide) -> BookingDesk:
    return BookingDesk(db, CIPHER, guide, CONFIG)


class Chat:
    """One citizen talking to the assistant; remembers the task state like the Rasa slot."""

    def __init__(self, desk: BookingDesk, openid: str = "o-chat", now: datetime = NOW) -> None:
        self.talk = Conversation([desk])
        self.openid = openid
        self.now = now
        self.task: TaskState | None = None

    def say(
        self,
        text: str,
        gist: Gist = Gist.UNCLEAR,
        request: Request | None = None,
        ask: Ask | None = None,
    ) -> Turn:
        message = Message(text, self.openid, gist, self.now, request=request, ask=ask)
        turn = self.talk.handle(message, self.task)
        self.task = turn.task
        # the state lives in a Rasa slot: JSON-safe, and never personal data
        slot = json.dumps(self.task.to_slot(), ensure_ascii=False) if self.task else ""
        for secret in (ID, MOBILE, "张三", "李四", make_id(5)):
            assert secret not in slot
        return turn

    def text(self, turn: Turn) -> str:
        return "\n".join(turn.messages)

    @property
    def step(self) -> str | None:
        return self.task.step if self.task else None


def _drafts(db: Engine) -> int:
    with session_scope(db) as session:
        return int(session.execute(select(func.count()).select_from(BookingDraft)).scalar_one())


def test_the_whole_booking_conversation(desk: BookingDesk, db: Engine) -> None:
    chat = Chat(desk)
    first = chat.text(chat.say("我想预约办身份证换领", Gist.TASK, Request.BOOK))
    assert first.startswith("好的，为您预约办理【居民身份证换领】。")
    assert "1. 12月8日（周二） 余60个" in first and chat.step == "day"
    slots = chat.text(chat.say("2", Gist.PICK))
    assert "12月9日（周三） 示范市政务服务中心 可约时段" in slots
    assert "4. 13:30-14:30（余9个）" in slots and "12:00-" not in slots  # the lunch break
    assert "姓名" in chat.text(chat.say("第一个", Gist.PICK))
    assert chat.step == "name" and _drafts(db) == 1
    assert "手机号码" in chat.text(chat.say("我叫张三"))
    assert "身份证号码" in chat.text(chat.say("138 0013 8000"))
    summary = chat.text(chat.say(ID.lower()))
    assert "办理人：张* 138****8000 110***********002X" in summary
    assert "时间：12月9日（周三） 09:00-10:00" in summary and chat.step == "confirm"
    done = chat.say("确认", Gist.YES)
    text = chat.text(done)
    assert done.task is None and text.startswith("预约成功！\n预约编号：YY202612070001")
    assert "地点：示范市政务服务中心（示范市桥西区中华大街188号）F01窗口" in text
    assert "请于预约时段开始前10分钟到窗口取号，迟到超过30分钟预约自动失效。" in text
    assert "请携带：原居民身份证（原件）" in text and "回复“告知单”" in text
    assert _drafts(db) == 0
    with session_scope(db) as session:
        booking = session.execute(select(Booking)).scalar_one()
        assert (booking.openid, booking.start, booking.name_masked) == ("o-chat", "09:00", "张*")
        assert CIPHER.decrypt(booking.id_enc) == ID


def test_unreadable_answers_are_asked_again_with_the_reason(desk: BookingDesk) -> None:
    chat = Chat(desk)
    chat.say("预约身份证换领 12月8日上午10点", Gist.TASK, Request.BOOK)
    assert chat.step == "name"  # the day and time named one slot: straight to the person
    assert "不像姓名" in chat.text(chat.say("123"))
    assert "不像姓名" in chat.text(chat.say("你好"))
    third = chat.say("？？")
    assert chat.task and chat.task.failures == 3 and HUMAN_OFFER in third.messages
    chat.say("张三")
    assert chat.task and chat.task.failures == 0 and chat.step == "mobile"
    assert "11位数字" in chat.text(chat.say("1380013"))
    chat.say(MOBILE)
    assert "校验位" in chat.text(chat.say("110105194912310021"))
    assert "18位" in chat.text(chat.say("110105"))
    assert "请核对预约信息" in chat.text(chat.say(ID))
    assert chat.text(chat.say("嗯？")) == "请回复“确认”提交预约，或回复“算了”放弃本次预约。"
    assert "10:00-11:00" in chat.text(chat.say("继续"))  # the summary again


def test_the_day_in_the_first_message(desk: BookingDesk) -> None:
    chat = Chat(desk)
    text = chat.text(chat.say("明天能去办居住证吗 帮我约个号", Gist.TASK, Request.BOOK))
    assert "【居住证申领】" in text and "12月8日（周二） 示范市桥西区社区事务受理服务中心" in text
    assert chat.step == "slot"
    # another day while choosing a slot; a Sunday at the community centre has half the places
    sunday = chat.text(chat.say("还是周日吧"))
    assert "12月13日（周日）" in sunday and "余2个" in sunday
    closed = chat.text(chat.say("元旦那天呢 1月1号"))
    assert "2027年的节假日安排尚未公布" in closed and chat.step == "day"


def test_both_parties_for_a_marriage(desk: BookingDesk) -> None:
    chat = Chat(desk)
    text = chat.text(chat.say("约一下周六上午的结婚登记", Gist.TASK, Request.BOOK))
    assert "【内地居民结婚登记】" in text and "12月12日（周六）" in text
    assert "1. 09:00-10:00" in text and "13:30" not in text
    assert "另一方的信息稍后填写" in chat.text(chat.say("1", Gist.PICK))
    chat.say("张三")
    chat.say(MOBILE)
    assert "另一方的姓名" in chat.text(chat.say(ID))
    chat.say("李四")
    assert "与办理人相同" in chat.text(chat.say(ID))
    summary = chat.text(chat.say(make_id(5)))
    assert "另一方：李* 110***********" in summary
    assert "预约编号" in chat.text(chat.say("好的", Gist.YES))


def test_several_halls_are_asked_for(desk: BookingDesk, db: Engine) -> None:
    with session_scope(db) as session:
        window = session.execute(
            select(Window).where(Window.window_no == "A01", Window.hall_id == 4)
        ).scalar_one()
        before = list(window.task_codes)
        window.task_codes = [*before, ID_CARD_RENEWAL]
    try:
        chat = Chat(desk)
        text = chat.text(chat.say("预约身份证换领", Gist.TASK, Request.BOOK))
        assert "1. 示范市政务服务中心" in text and "2. 示范市桥西区社区事务受理服务中心" in text
        assert "1 到 2 之间" in chat.text(chat.say("5", Gist.PICK))
        days = chat.text(chat.say("去社区事务受理服务中心"))
        assert "去示范市桥西区社区事务受理服务中心办理" in days and chat.task
        assert chat.task.data["hall"] == COMMUNITY
    finally:
        with session_scope(db) as session:
            session.execute(update(Window).where(Window.id == window.id).values(task_codes=before))


def test_an_item_without_booking_says_so(desk: BookingDesk, db: Engine) -> None:
    chat = Chat(desk)
    turn = chat.say("我要预约身份证挂失申报", Gist.TASK, Request.BOOK)
    assert turn.task is None
    assert "【居民身份证挂失申报】暂不支持网上预约" in chat.text(turn)
    teacher = Chat(desk)
    closed = teacher.text(teacher.say("预约教师资格认定", Gist.TASK, Request.BOOK))
    assert "【教师资格认定】暂不支持网上预约（非认定期间不开放预约）" in closed
    with session_scope(db) as session:  # staff open the 认定批次
        set_override(session, "11139900MB1A00090W3000106005000", "bookable", True, now=NOW)
    opened = teacher.text(teacher.say("预约教师资格认定", Gist.TASK, Request.BOOK))
    assert "请问您想约哪一天" in opened


def test_leaving_resuming_and_a_question_in_between(desk: BookingDesk, db: Engine) -> None:
    chat = Chat(desk)
    chat.say("预约身份证换领", Gist.TASK, Request.BOOK)
    chat.say("1", Gist.PICK)
    chat.say("1", Gist.PICK)
    assert chat.step == "name" and _drafts(db) == 1
    aside = chat.say("换领身份证要带什么材料", Gist.QUESTION, ask=Ask.MATERIALS)
    assert aside.kind is TurnKind.GUIDE and chat.step == "name"
    assert "回复“继续”" in aside.after[0]
    assert "姓名" in chat.text(chat.say("继续"))
    chat.say("张三")
    left = chat.say("算了")
    assert left.task is None and "已填写的信息已删除" in chat.text(left)
    assert _drafts(db) == 0


def test_each_public_method_directly(desk: BookingDesk) -> None:
    message = Message("预约身份证换领", "o-direct", Gist.TASK, NOW, request=Request.BOOK)
    started = desk.start(message, Request.BOOK, None)
    assert started.state is not None and started.state.step == "day"
    assert desk.repeat(started.state)[0].startswith("请问您想约哪一天")
    bare = Message("预约", "o-direct", Gist.TASK, NOW, request=Request.BOOK)
    kept = desk.start(bare, Request.BOOK, started.state)  # "预约" again: carry on
    assert kept.state == started.state and "哪一天" in kept.messages[0]
    chat = Message("今天天气不错", "o-direct", Gist.CHAT, NOW)
    assert desk.answer(chat, started.state).outcome.value == "not_mine"
    assert desk.leave(started.state) == [
        "好的，本次预约先不办了，已填写的信息已删除。需要时说“预约”即可。"
    ]


def _booked(db: Engine, n: int, day: date, start: str, openid: str = "o-mine") -> str:
    made = book(
        db,
        task_code=ID_CARD_RENEWAL,
        hall_code=CENTRE,
        day=day,
        start=start,
        applicant=person(n),
        openid=openid,
        cipher=CIPHER,
        config=CONFIG,
        now=NOW,
    )
    return made.booking.number


def test_my_bookings_cancel_and_reschedule(desk: BookingDesk, db: Engine) -> None:
    first = _booked(db, 21, date(2026, 12, 8), "09:00")
    second = _booked(db, 22, date(2026, 12, 9), "10:00")
    chat = Chat(desk, "o-mine")
    mine = chat.text(chat.say("我的预约", Gist.TASK, Request.MY_BOOKINGS))
    assert f"1. {first} 居民身份证换领，12月8日（周二） 09:00-10:00" in mine
    assert f"2. {second}" in mine and chat.task is None
    assert "没有待办理的预约" in Chat(desk, "o-none").text(
        Chat(desk, "o-none").say("我的预约", Gist.TASK, Request.MY_BOOKINGS)
    )
    which = chat.text(chat.say("取消预约", Gist.TASK, Request.CANCEL_BOOKING))
    assert "请问要取消哪一个" in which and chat.step == "which"
    assert f"确认取消以下预约吗？\n{second}" in chat.text(chat.say("2", Gist.PICK))
    cancelled = chat.text(chat.say("是", Gist.YES))
    assert f"已为您取消预约（编号 {second}）" in cancelled and chat.task is None
    moving = chat.text(chat.say("改到周四上午", Gist.TASK, Request.RESCHEDULE_BOOKING))
    assert "12月10日（周四） 示范市政务服务中心 可约时段" in moving and "13:30" not in moving
    moved = chat.text(chat.say("2", Gist.PICK))
    assert f"已为您改约（编号 {first} 不变）" in moved and "12月10日（周四） 10:00-11:00" in moved
    kept = Chat(desk, "o-mine")
    kept.say("取消预约", Gist.TASK, Request.CANCEL_BOOKING)
    assert chat.text(kept.say("否", Gist.NO)) == "好的，您的预约保持不变。"


def test_a_slot_taken_meanwhile_and_the_daily_limit(desk: BookingDesk, db: Engine) -> None:
    with session_scope(db) as session:
        set_override(session, ID_CARD_RENEWAL, "daily_quota", 7, now=NOW)  # one place a slot
    chat = Chat(desk, "o-late")
    chat.say("预约身份证换领 12月8日上午9点", Gist.TASK, Request.BOOK)
    chat.say("张三")
    chat.say(MOBILE)
    chat.say(ID)
    _booked(db, 31, date(2026, 12, 8), "09:00", "o-faster")  # someone else is quicker
    again = chat.text(chat.say("确认", Gist.YES))
    assert again.startswith("抱歉，这个时段刚刚约满了。") and "09:00-10:00" not in again
    assert "1. 10:00-11:00（余1个）" in again and chat.step == "slot"
    summary = chat.text(chat.say("1", Gist.PICK))  # the answers are kept: straight to the summary
    assert "10:00-11:00" in summary and chat.step == "confirm"
    assert "预约成功" in chat.text(chat.say("确认", Gist.YES))
    twice = Chat(desk, "o-late")
    twice.say("预约身份证换领 12月8日下午", Gist.TASK, Request.BOOK)
    twice.say("1", Gist.PICK)
    twice.say("张三")
    twice.say(MOBILE)
    twice.say(ID)
    refused = twice.say("确认", Gist.YES)
    assert refused.task is None and "该身份证号码当天已有预约（预约编号 YY" in twice.text(refused)
    assert _drafts(db) == 0
