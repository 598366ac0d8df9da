"""Due dates in working days (春节 with its 调休 Saturday, 国庆 with its 调休 Sunday), the
unknown year, escalation of near-due, overdue and undated tickets, and settling dates later."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.calendar import WorkCalendar
from banshi.db import session_scope
from banshi.tickets.config import TicketConfig
from banshi.tickets.deadlines import (
    GUANGDONG_DAYS,
    DeadlinePolicy,
    Urgency,
    due_date,
    escalate,
    settle_unknown_dues,
)
from banshi.tickets.kinds import TicketAction, TicketKind
from banshi.tickets.lifecycle import NewTicket, file_ticket, get_ticket
from banshi.tickets.models import Ticket
from banshi.tickets.replies import record_reply
from banshi.tickets.views import history_of
from tests.banshi.tickets.support import new_openid


def test_guangdong_defaults() -> None:
    assert GUANGDONG_DAYS[TicketKind.CONSULT] == 2
    assert GUANGDONG_DAYS[TicketKind.HELP] == GUANGDONG_DAYS[TicketKind.SUGGESTION] == 10
    assert GUANGDONG_DAYS[TicketKind.COMPLAINT] == GUANGDONG_DAYS[TicketKind.REPORT] == 15


def test_spring_festival_counts_the_make_up_saturday(db: Engine) -> None:
    with session_scope(db) as session:
        calendar = WorkCalendar(session)
        # Friday 13 Feb 2026: Saturday 14th is a 调休 working day, 15th–23rd are 春节.
        assert due_date(calendar, date(2026, 2, 13), 1) == date(2026, 2, 14)
        assert due_date(calendar, date(2026, 2, 13), 2) == date(2026, 2, 24)
        # Friday 18 Sep: Saturday off, Sunday 20th worked (调休 for 国庆).
        assert due_date(calendar, date(2026, 9, 18), 1) == date(2026, 9, 20)
        assert due_date(calendar, date(2026, 9, 18), 2) == date(2026, 9, 21)


def test_a_ticket_filed_before_the_holiday(db: Engine) -> None:
    with session_scope(db) as session:
        ticket = file_ticket(
            session,
            NewTicket(new_openid(), TicketKind.CONSULT, "春节期间能办护照吗"),
            WorkCalendar(session),
            TicketConfig(),
            datetime(2026, 2, 13, 16, 0),
        )
        assert ticket.due_on == date(2026, 2, 24) and not ticket.due_unknown


def test_an_uncovered_year_leaves_the_due_date_unknown(db: Engine) -> None:
    with session_scope(db) as session:
        calendar = WorkCalendar(session)
        assert due_date(calendar, date(2026, 12, 30), 2) is None  # 2027 is not loaded
        ticket = file_ticket(
            session,
            NewTicket(new_openid(), TicketKind.SUGGESTION, "建议元旦假期开放自助机"),
            calendar,
            TicketConfig(),
            datetime(2026, 12, 28, 9, 0),
        )
        assert ticket.due_on is None and ticket.due_unknown


def test_escalation_finds_overdue_near_due_and_undated_tickets_once(db: Engine) -> None:
    policy = DeadlinePolicy()
    with session_scope(db) as session:
        calendar = WorkCalendar(session)

        def filed(kind: TicketKind, when: datetime) -> str:
            return file_ticket(
                session,
                NewTicket(new_openid(), kind, "测试内容足够长"),
                calendar,
                TicketConfig(),
                when,
            ).number

        overdue = filed(TicketKind.CONSULT, datetime(2026, 11, 30, 9))  # due 2 Dec
        near = filed(TicketKind.CONSULT, datetime(2026, 12, 4, 9))  # due Tue 8 Dec
        calm = filed(TicketKind.COMPLAINT, datetime(2026, 12, 4, 9))  # due 25 Dec
        undated = filed(TicketKind.COMPLAINT, datetime(2026, 12, 29, 9))
        answered = filed(TicketKind.CONSULT, datetime(2026, 11, 30, 9))
        record_reply(
            session, _ticket(session, answered), "已答复", "staff1", datetime(2026, 12, 1, 9)
        )
        now = datetime(2026, 12, 7, 8, 0)
        found = {e.number: e.urgency for e in escalate(session, calendar, policy, now)}
        assert found[overdue] is Urgency.OVERDUE
        assert found[near] is Urgency.NEAR_DUE
        assert found[undated] is Urgency.DUE_UNKNOWN
        assert calm not in found and answered not in found
        ordered = [e.number for e in escalate(session, calendar, policy, now + timedelta(hours=1))]
        assert ordered.index(undated) < ordered.index(overdue) < ordered.index(near)
        events = history_of(session, _ticket(session, overdue).id)
    escalations = [e for e in events if e.action is TicketAction.ESCALATE]
    assert len(escalations) == 1 and escalations[0].reason == "已超期"  # twice run, once told


def test_unknown_due_dates_are_settled_when_the_year_arrives(db: Engine) -> None:
    class Weekdays:
        """A calendar that knows 2027 (as once its notice is loaded): Monday–Friday."""

        def is_working_day(self, d: date) -> bool:
            return d.weekday() < 5

        def add_working_days(self, start: date, n: int) -> date:
            day = start
            while n:
                day += timedelta(days=1)
                n -= self.is_working_day(day)
            return day

    with session_scope(db) as session:
        ticket = file_ticket(
            session,
            NewTicket(new_openid(), TicketKind.CONSULT, "明年一月能预约吗"),
            WorkCalendar(session),
            TicketConfig(),
            datetime(2026, 12, 31, 9),
        )
        assert ticket.due_unknown
        assert settle_unknown_dues(session, Weekdays(), DeadlinePolicy(), datetime(2027, 1, 2)) >= 1
        assert ticket.due_on == date(2027, 1, 4) and not ticket.due_unknown
        assert history_of(session, ticket.id)[-1].action is TicketAction.DUE


def _ticket(session: Session, number: str) -> Ticket:
    return get_ticket(session, number)
