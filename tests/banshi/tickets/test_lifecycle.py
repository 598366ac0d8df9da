"""The closed loop: routing, 退单 and 改派 with reasons, refused moves, merging, extending,
the history of who / when / why, and the CLI functions staff use."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.calendar import WorkCalendar
from banshi.db import session_scope
from banshi.privacy.crypto import FieldCipher
from banshi.ratings.models import RatingInvitation
from banshi.tickets import cli, lifecycle
from banshi.tickets.config import TicketConfig
from banshi.tickets.duplicates import possible_duplicates
from banshi.tickets.errors import ReasonRequired, TicketNotFound, TransitionRefused
from banshi.tickets.kinds import (
    TRANSITIONS,
    TicketAction,
    TicketKind,
    TicketState,
    can_move,
    kind_in_words,
)
from banshi.tickets.lifecycle import NewTicket, protect
from banshi.tickets.models import OPEN_PREDICATE, OutboxMessage, Ticket
from banshi.tickets.views import history_of, original_content, queue
from tests.banshi.tickets.support import DRIVING_RENEW, NOW, new_openid


def file(
    session: Session,
    openid: str | None,
    kind: TicketKind = TicketKind.COMPLAINT,
    item: str | None = None,
    content: str = "窗口工作人员态度生硬",
    now: datetime = NOW,
    cipher: FieldCipher | None = None,
) -> Ticket:
    masked, encrypted = protect(cipher, content) if cipher else (content, None)
    return lifecycle.file_ticket(
        session,
        NewTicket(openid, kind, masked, encrypted, item_code=item),
        WorkCalendar(session),
        TicketConfig(),
        now,
    )


def test_words_name_the_type() -> None:
    assert kind_in_words("我要举报，投诉无门") is TicketKind.REPORT
    assert kind_in_words("窗口态度太差了") is TicketKind.COMPLAINT
    assert kind_in_words("建议周六也开放婚姻登记") is TicketKind.SUGGESTION
    assert kind_in_words("想表扬一下车管所") is TicketKind.PRAISE
    assert kind_in_words("今天天气不错") is None
    assert TicketKind.parse("投诉") is TicketKind.COMPLAINT
    with pytest.raises(ValueError, match="未知的工单类型"):
        TicketKind.parse("吐槽")


def test_transitions_follow_the_closed_loop() -> None:
    assert can_move(TicketState.ACCEPTED, TicketState.DISPATCHED)
    assert not can_move(TicketState.ACCEPTED, TicketState.CLOSED)
    assert not can_move(TicketState.CLOSED, TicketState.ANSWERED)
    assert TRANSITIONS[TicketState.MERGED] == frozenset()
    assert TicketState.parse("答复") is TicketState.ANSWERED
    finished = [s.value for s in TicketState if not s.is_open]
    assert "state NOT IN ({})".format(", ".join(f"'{v}'" for v in finished)) == OPEN_PREDICATE


def test_an_item_routes_to_its_department_and_the_history_says_so(db: Engine) -> None:
    with session_scope(db) as session:
        ticket = file(session, new_openid(), TicketKind.CONSULT, DRIVING_RENEW)
        assert ticket.state == TicketState.DISPATCHED.value
        assert ticket.dept_name == "示范市公安局交通警察支队"
        events = history_of(session, ticket.id)
    assert [e.action for e in events] == [TicketAction.FILE, TicketAction.DISPATCH]
    assert events[1].actor == "system" and events[1].reason == "按事项所属部门派单"
    assert (
        events[1].from_state is TicketState.ACCEPTED
        and events[1].to_state is TicketState.DISPATCHED
    )


def test_return_and_reroute_need_a_reason(db: Engine) -> None:
    later = NOW + timedelta(hours=2)
    with session_scope(db) as session:
        ticket = file(session, new_openid())
        lifecycle.dispatch(session, ticket, "示范市民政局", "dispatcher1", NOW)
        with pytest.raises(ReasonRequired):
            lifecycle.send_back(session, ticket, "mz01", "  ", later)
        lifecycle.take(session, ticket, "mz01", later)
        lifecycle.send_back(session, ticket, "mz01", "不属于本单位职责，应由车管所办理", later)
        assert ticket.state == TicketState.ACCEPTED.value and ticket.dept_name == ""
        lifecycle.dispatch(session, ticket, "示范市公安局交通警察支队", "dispatcher1", later)
        lifecycle.reroute(
            session, ticket, "示范市车辆管理所", "dispatcher1", "支队转车管所窗口", later
        )
        assert (
            ticket.state == TicketState.DISPATCHED.value and ticket.dept_name == "示范市车辆管理所"
        )
        events = history_of(session, ticket.id)
    returned = [e for e in events if e.action is TicketAction.RETURN]
    assert [e.reason for e in returned] == ["不属于本单位职责，应由车管所办理", "支队转车管所窗口"]
    assert returned[0].actor == "mz01" and returned[0].at == later
    assert returned[0].dept_name == "示范市民政局"  # the department that sent it back


def test_refused_moves_say_where_the_ticket_stands(db: Engine) -> None:
    with session_scope(db) as session:
        ticket = file(session, new_openid())
        with pytest.raises(TransitionRefused, match="尚未答复"):
            lifecycle.close(session, ticket, "dispatcher1", NOW)
        with pytest.raises(TransitionRefused, match="当前为“受理”，不能回访"):
            lifecycle.visit(session, ticket, "dispatcher1", "已电话回访", NOW)
        with pytest.raises(TicketNotFound):
            lifecycle.get_ticket(session, "GD202612079999")


def test_duplicates_of_the_same_citizen_merge(db: Engine) -> None:
    openid = new_openid()
    with session_scope(db) as session:
        first = file(session, openid)
        repeat = file(session, openid)
        other = file(session, new_openid())
        with pytest.raises(TransitionRefused, match="同一位群众"):
            lifecycle.merge(session, other, first, "dispatcher1", "重复", NOW)
        with pytest.raises(ReasonRequired):
            lifecycle.merge(session, repeat, first, "dispatcher1", "", NOW)
        lifecycle.merge(session, repeat, first, "dispatcher1", "同一事项重复反映", NOW)
        assert repeat.state == TicketState.MERGED.value and repeat.merged_into_id == first.id
        assert any(
            e.action is TicketAction.MERGE and repeat.number in e.reason
            for e in history_of(session, first.id)
        )
        with pytest.raises(TransitionRefused):
            lifecycle.merge(session, other, repeat, "dispatcher1", "重复", NOW)


def test_an_extension_needs_a_reason_and_moves_the_due_date(db: Engine) -> None:
    with session_scope(db) as session:
        ticket = file(session, new_openid(), TicketKind.CONSULT)
        assert ticket.due_on == date(2026, 12, 9)
        with pytest.raises(ReasonRequired):
            lifecycle.extend(session, ticket, 3, "dispatcher1", "", WorkCalendar(session), NOW)
        due = lifecycle.extend(
            session, ticket, 3, "dispatcher1", "需调取档案核实", WorkCalendar(session), NOW
        )
        assert due == date(2026, 12, 14) and ticket.extension_days == 3
        event = history_of(session, ticket.id)[-1]
    assert event.action is TicketAction.EXTEND and "需调取档案核实" in event.reason
    assert "2026-12-14" in event.reason


def test_cli_reply_close_and_json(db: Engine, cipher: FieldCipher) -> None:
    openid = new_openid()
    with session_scope(db) as session:
        ticket = file(session, openid, content="我的电话13912345678总被窗口打错", cipher=cipher)
        number = ticket.number
    with session_scope(db) as session:
        shown = json.loads(cli.ticket_json(session, number))
        assert shown["content"] == "我的电话139****5678总被窗口打错"
        assert "13912345678" not in cli.ticket_json(session, number)
        assert original_content(lifecycle.get_ticket(session, number), cipher).endswith("打错")
        assert "13912345678" in original_content(lifecycle.get_ticket(session, number), cipher)
        listed = json.loads(cli.tickets_json(session, "受理"))
        assert number in [t["number"] for t in listed]
        with pytest.raises(ValueError, match="未知的工单状态"):
            cli.tickets_json(session, "处理中")
    with session_scope(db) as session:
        assert "已答复" in cli.reply(session, number, "已转告窗口核实号码。", "dispatcher1", NOW)
        assert "已办结" in cli.close(session, number, "dispatcher1", NOW + timedelta(days=1))
    with session_scope(db) as session:
        shown = json.loads(cli.ticket_json(session, number))
        assert shown["state"] == "closed" and shown["replies"][0]["text"] == "已转告窗口核实号码。"
        assert [h["action"] for h in shown["history"]] == ["file", "reply", "close"]
        invitation = session.execute(
            select(RatingInvitation).where(RatingInvitation.service_ref == number)
        ).scalar_one()
        assert invitation.openid == openid
        kinds = (
            session.execute(
                select(OutboxMessage.kind)
                .where(OutboxMessage.openid == openid)
                .order_by(OutboxMessage.id)
            )
            .scalars()
            .all()
        )
        assert kinds == ["ticket_reply", "rating_invite"]
        with pytest.raises(TransitionRefused, match="已办结"):
            cli.reply(session, number, "补充", "dispatcher1", NOW)


def test_the_queue_puts_unknown_and_earliest_due_first(db: Engine) -> None:
    with session_scope(db) as session:
        late = file(session, new_openid(), TicketKind.COMPLAINT, now=datetime(2026, 12, 30, 9))
        soon = file(session, new_openid(), TicketKind.CONSULT)
        assert late.due_on is None and late.due_unknown
        numbers = [t.number for t in queue(session, limit=500)]
        assert numbers.index(late.number) < numbers.index(soon.number)
        assert all(
            t.state == TicketState.ACCEPTED.value for t in queue(session, TicketState.ACCEPTED)
        )


def test_possible_duplicates_are_the_same_citizens_same_matter(db: Engine) -> None:
    openid = new_openid()
    with session_scope(db) as session:
        first = file(session, openid, content="车管所三号窗口工作人员态度生硬，不耐烦")
        again = file(session, openid, content="车管所三号窗口工作人员态度生硬，很不耐烦")
        other = file(session, openid, content="建议婚姻登记处周六开放", kind=TicketKind.SUGGESTION)
        stranger = file(session, new_openid(), content="车管所三号窗口工作人员态度生硬，不耐烦")
        assert [t.number for t in possible_duplicates(session, again)] == [first.number]
        assert possible_duplicates(session, other) == []
        assert possible_duplicates(session, stranger) == []
