"""What a citizen may be owed (banshi.owed): one statement says whether a person holds the
conversation and which sources owe the citizen something; it agrees with the handoff service
and with each source's claim (they read the same queries), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import update
from sqlalchemy.engine import Engine

from app.settings import Settings
from banshi.bookings import book
from banshi.bookings.models import Booking
from banshi.bookings.notify import Disruption, booking_reminders, reminders_due
from banshi.calendar import seed_from_chinesecalendar
from banshi.db import session_scope
from banshi.handoff.service import HandoffService
from banshi.hot_issues.issues import IssueStatus, issues_from_survey, record_action
from banshi.hot_issues.publishing import claim_notices, publish
from banshi.notices import claim_changes
from banshi.owed import NOTHING, Due, Source, check
from banshi.privacy.crypto import FieldCipher
from banshi.surveys.invitations import claim_invitations
from banshi.surveys.models import SurveyInvitation
from banshi.tickets.outbox import OutboxKind, claim_for_citizen, post, release
from tests.banshi.bookings import conftest as bookings
from tests.banshi.bookings.conftest import CENTRE, CIPHER, CONFIG, ID_CARD_RENEWAL, person
from tests.banshi.surveys.helpers import fill, store
from tests.banshi.test_notices import queue_two_changes
from tests.conftest import sql_statements

synced, db = bookings.synced, bookings.db  # the demo catalog and 2026's calendar, per module

NOW = datetime(2026, 12, 7, 10, 0)  # a Monday, inside service hours
EVENING = datetime(2026, 12, 7, 18, 30)  # after the hour tomorrow's reminders are owed from
REMIND_AT = time(18, 0)
WHO = "o-owed-citizen"


def due(engine: Engine, openid: str = WHO, now: datetime = NOW) -> Due:
    with session_scope(engine) as session:
        return check(session, openid, now, REMIND_AT)


def owed(*sources: Source) -> Due:
    return Due(owed=frozenset(sources))


def test_nothing_owed_is_one_statement(engine: Engine) -> None:
    with sql_statements(engine) as seen:
        assert due(engine, "o-nobody", EVENING) == NOTHING  # every source asked, reminders too
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("SELECT")
    assert seen[0].upper().count("EXISTS") == len(Source) + 1  # and the handoff


def test_held_is_what_the_handoff_service_says(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_from_chinesecalendar(session, [2026])
    people = HandoffService(engine, FieldCipher(b"owed-tests-secret-0123456789abcdef"))

    def both() -> tuple[bool, bool]:
        return due(engine).held, people.is_held(WHO)

    assert both() == (False, False)
    messages, held = people.request(WHO, NOW)
    assert held, messages
    assert both() == (True, True)  # waiting for a person: the bot is already silent
    (waiting,) = people.list_waiting(NOW)
    people.take(waiting.id, "staff-1", NOW)
    assert both() == (True, True)
    assert due(engine, "o-someone-else") == NOTHING
    people.close(waiting.id, "staff-1", NOW)
    assert both() == (False, False)
    # closing told the citizen (and invited a 好差评) through the outbox: owed, not held
    assert due(engine) == owed(Source.OUTBOX)


def test_outbox_messages_are_owed_until_claimed(engine: Engine) -> None:
    with session_scope(engine) as session:
        message = post(session, WHO, OutboxKind.TICKET_REPLY, "您的工单已答复。", NOW)
    assert due(engine) == owed(Source.OUTBOX)
    assert due(engine, "o-someone-else") == NOTHING
    with session_scope(engine) as session:
        assert [d.id for d in claim_for_citizen(session, WHO, NOW)] == [message.id]
    assert due(engine) == NOTHING
    with session_scope(engine) as session:
        release(session, [message.id])  # WeChat refused it: it waits for the next message
    assert due(engine) == owed(Source.OUTBOX)


def test_an_invitation_is_owed_while_its_survey_is_open(engine: Engine) -> None:
    store(engine)  # demand-test: open 2026-12-01 … 2027-01-31
    with session_scope(engine) as session:
        session.add(SurveyInvitation(survey_id="demand-test", openid=WHO, created_at=NOW))
    closed = datetime(2027, 2, 1, 9, 0)
    assert due(engine, now=datetime(2026, 11, 30, 9, 0)) == NOTHING
    assert due(engine, now=closed) == NOTHING
    with session_scope(engine) as session:
        assert claim_invitations(session, closed, [WHO]) == []  # the claim agrees
    assert due(engine) == owed(Source.SURVEY_INVITATIONS)
    with session_scope(engine) as session:
        assert [i.openid for i in claim_invitations(session, NOW, [WHO])] == [WHO]
    assert due(engine) == NOTHING


def test_a_published_resolution_is_owed_until_claimed(engine: Engine) -> None:
    store(engine)
    raised = ["c0", "c1", "c2", WHO]
    for openid, text in zip(
        raised, ["排队时间太长", "排队排了两个小时", "排队太久了", "大厅排队人太多"], strict=False
    ):
        fill(engine, openid, {"q1": ("到大厅办",), "q2": ("停车难",), "q4": 3, "q6": text})
    with session_scope(engine) as session:
        (issue,) = issues_from_survey(session, "demand-test", NOW)
        record_action(session, issue.id, "高峰时段增开3个窗口", IssueStatus.RESOLVED, NOW)
    assert due(engine) == NOTHING  # resolved, not yet published
    with session_scope(engine) as session:
        publish(session, issue.id, NOW)
    assert due(engine) == owed(Source.HOT_ISSUE_NOTICES)
    with session_scope(engine) as session:
        assert [n.openid for n in claim_notices(session, NOW, [WHO])] == [WHO]
    assert due(engine) == NOTHING
    assert due(engine, "c0") == owed(Source.HOT_ISSUE_NOTICES)


def test_notice_changes_are_owed_until_claimed(catalog: Engine, settings: Settings) -> None:
    queue_two_changes(catalog, settings)  # for o-one and o-two
    assert due(catalog, "o-one") == owed(Source.NOTICE_CHANGES)
    with session_scope(catalog) as session:
        assert [c.openid for c in claim_changes(session, "o-one")] == ["o-one"]
    assert due(catalog, "o-one") == NOTHING
    assert due(catalog, "o-two") == owed(Source.NOTICE_CHANGES)


def test_bookings_owe_a_kept_disruption_and_after_the_hour_the_reminder(db: Engine) -> None:
    confirmation = book(
        db,
        task_code=ID_CARD_RENEWAL,
        hall_code=CENTRE,
        day=datetime(2026, 12, 8).date(),  # tomorrow
        start="09:00",
        applicant=person(1),
        openid=WHO,
        cipher=CIPHER,
        config=CONFIG,
        now=NOW,
    )
    assert due(db) == NOTHING  # before the reminder hour
    assert due(db, now=EVENING) == owed(Source.BOOKING_REMINDERS)
    with session_scope(db) as session:
        assert reminders_due(NOW, REMIND_AT) is None
        due_at = reminders_due(EVENING, REMIND_AT)
        assert due_at is not None
        (found,) = session.execute(booking_reminders(WHO, *due_at)).scalars()
        assert found.number == confirmation.booking.number
        session.execute(
            update(Booking)
            .where(Booking.id == found.id)
            .values(change_told=Disruption.HALL_CLOSED.value, reminded_at=EVENING)
        )
    # the hall closed and no push reached the citizen: kept for their next message
    assert due(db) == owed(Source.BOOKING_DISRUPTIONS)
    assert due(db, now=EVENING) == owed(Source.BOOKING_DISRUPTIONS)  # reminded already
    assert due(db, now=datetime(2026, 12, 9, 9, 0)) == NOTHING  # the day has passed
