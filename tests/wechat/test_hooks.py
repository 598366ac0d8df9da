"""The channel's hooks into the domain, as ``banshi run`` wires them (app.channel_hooks):
a conversation a person holds never reaches the dialogue and is logged for staff; closing it
hands the citizen back to the assistant; what is owed to the citizen, from every source, is
told once before the answer, and never lost to a failed turn; a message with nothing held or
owed costs the database one statement; unsubscribing erases their data in every feature."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import event, update
from sqlalchemy.engine import Engine

from app.channel_hooks import build_hooks
from app.services import build_handoff
from app.settings import Settings, load_wechat_settings
from banshi.bookings import book
from banshi.bookings.models import Booking
from banshi.bookings.notify import Disruption
from banshi.calendar import seed_from_chinesecalendar
from banshi.db import session_scope
from banshi.handoff.service import HandoffService
from banshi.hot_issues.issues import IssueStatus, issues_from_survey, record_action
from banshi.hot_issues.publishing import publish
from banshi.owed import NOTHING, Source
from banshi.surveys.models import SurveyInvitation
from banshi.tickets.outbox import OutboxKind, post
from bot.wechat import texts
from tests.banshi.bookings.conftest import CENTRE, CIPHER, CONFIG, ID_CARD_RENEWAL, person
from tests.banshi.surveys.helpers import SURVEY, fill, store
from tests.banshi.test_notices import queue_two_changes
from tests.conftest import sql_statements
from tests.wechat.channel_server import ChannelServer, ScriptedAgent
from tests.wechat.conftest import run
from wechat_standin.driver import Account, PushDriver, event_xml, text_xml
from wechat_standin.server import BackgroundStandin

WHO = "o-handoff-citizen"
IN_HOURS = datetime(2026, 12, 8, 10, 0)  # a Tuesday, a working day, inside service hours


def script(openid: str, text: str) -> list[str]:
    if text == "出错":
        raise RuntimeError("the dialogue failed")
    return [f"答：{text}"]


@pytest.fixture
def people(engine: Engine, settings: Settings) -> HandoffService:
    with session_scope(engine) as session:
        seed_from_chinesecalendar(session, [2026])
    return build_handoff(settings, engine)


@pytest.fixture
def server(
    engine: Engine, settings: Settings, standin: BackgroundStandin
) -> Iterator[ChannelServer]:
    wechat = load_wechat_settings(
        {
            "WECHAT_API_BASE_URL": standin.api_base,
            "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
        }
    )
    hooks = build_hooks(settings, engine)
    srv = ChannelServer(replace(wechat, passive_budget=2.0), ScriptedAgent(script), hooks).start()
    yield srv
    srv.stop()


def say(server: ChannelServer, xml: str) -> str | None:
    async def go() -> str | None:
        s = server.settings
        driver = PushDriver(
            server.webhook, Account(s.token, s.appid, s.aes_key, "plain"), timeout=5
        )
        try:
            return (await driver.push(xml)).reply
        finally:
            await driver.aclose()

    return run(go())


def test_a_held_conversation_bypasses_the_dialogue_until_closed(
    server: ChannelServer, people: HandoffService
) -> None:
    messages, held = people.request(WHO, IN_HOURS)
    assert held, messages
    (waiting,) = people.list_waiting(IN_HOURS)
    people.take(waiting.id, "staff-1", IN_HOURS)

    assert say(server, text_xml(WHO, "我的低保材料交到哪个窗口")) is None  # silence
    assert server.agent.asked == []
    logged = [line.text for line in people.conversation(waiting.id)]
    assert "我的低保材料交到哪个窗口" in logged

    people.close(waiting.id, "staff-1", IN_HOURS)
    reply = say(server, text_xml(WHO, "谢谢")) or ""
    assert server.agent.asked == [(WHO, "谢谢")]  # the assistant is back
    # what WeChat did not deliver yet comes first: the handoff ended, and a 好差评 invitation
    ended, answer = reply.split("\n\n")
    assert "人工服务已结束" in ended and "非常满意" in ended and answer == "答：谢谢"


def test_unsubscribe_erases_the_handoff_log(
    server: ChannelServer, people: HandoffService, engine: Engine
) -> None:
    people.request(WHO, IN_HOURS)
    (waiting,) = people.list_waiting(IN_HOURS)
    people.take(waiting.id, "staff-1", IN_HOURS)
    say(server, text_xml(WHO, "我叫张三，电话13800138000"))
    assert people.conversation(waiting.id)
    say(server, event_xml(WHO, "unsubscribe"))
    assert not people.is_held(WHO)
    assert people.conversation(waiting.id) == []


def test_a_citizen_over_the_rate_limit_is_told_once_then_slowed(
    engine: Engine, settings: Settings, standin: BackgroundStandin
) -> None:
    wechat = load_wechat_settings(
        {
            "WECHAT_API_BASE_URL": standin.api_base,
            "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
        }
    )
    wechat = replace(wechat, passive_budget=2.0, rate_limit=2, rate_window=60.0)
    agent = ScriptedAgent(script)
    server = ChannelServer(wechat, agent, build_hooks(settings, engine)).start()
    try:
        replies = [say(server, text_xml("o-flood", f"第{n}条")) for n in range(1, 6)]
        assert replies[:2] == ["答：第1条", "答：第2条"]
        assert replies[2] == texts.RATE_LIMITED  # told once …
        assert replies[3:] == [None, None]  # … then dropped quietly (`success`)
        assert [text for _, text in agent.asked] == ["第1条", "第2条"]
        assert say(server, text_xml("o-other", "你好")) == "答：你好"  # others not starved
    finally:
        server.stop()


def test_a_message_with_nothing_held_or_owed_costs_one_statement(
    server: ChannelServer, engine: Engine
) -> None:
    with sql_statements(engine) as seen:  # the hooks' engine (the channel's own is another)
        assert say(server, text_xml("o-quiet", "你好")) == "答：你好"
    assert len(seen) == 1 and "EXISTS" in seen[0].upper()


def test_the_check_before_each_turn_commits_nothing(engine: Engine, settings: Settings) -> None:
    """It only reads: committing (and building a session factory) cost two thirds of it."""
    hooks = build_hooks(settings, engine)
    commits: list[object] = []

    def note(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", note)
    try:
        assert hooks.due("o-quiet", IN_HOURS) == NOTHING
    finally:
        event.remove(engine, "commit", note)
    assert commits == []


def test_owed_messages_survive_a_failed_turn_and_go_once_before_the_answer(
    server: ChannelServer, engine: Engine
) -> None:
    with session_scope(engine) as session:
        post(session, WHO, OutboxKind.TICKET_REPLY, "您的工单已答复：请带户口本原件。", IN_HOURS)
    say(server, text_xml(WHO, "出错"))  # the dialogue fails: nothing was taken
    hooks = server.channel.hooks
    assert hooks is not None
    assert hooks.due(WHO, datetime.now()).owed == {Source.OUTBOX}
    reply = say(server, text_xml(WHO, "你好")) or ""
    assert reply.split("\n\n") == ["您的工单已答复：请带户口本原件。", "答：你好"]
    assert say(server, text_xml(WHO, "谢谢")) == "答：谢谢"  # told once


def test_every_source_is_told_once_in_order(catalog: Engine, settings: Settings) -> None:
    """All six sources owed at once (the reminder hour passed): one claim each, in the order
    the citizen reads them, and nothing left."""
    evening = datetime(2026, 12, 7, 18, 30)  # Monday; the booking is on Tuesday
    queue_two_changes(catalog, settings)  # a notice change for o-one
    who = "o-one"
    with session_scope(catalog) as session:
        seed_from_chinesecalendar(session, [2026])
        post(session, who, OutboxKind.TICKET_REPLY, "工单答复：已转交窗口。", IN_HOURS)
    store(catalog)
    for n, text in enumerate(["排队时间太长", "排队排了两个小时", "排队太久了", "大厅排队人太多"]):
        openid = who if n == 3 else f"c{n}"
        fill(catalog, openid, {"q1": ("到大厅办",), "q2": ("停车难",), "q4": 3, "q6": text})
    store(
        catalog, SURVEY.replace("demand-test", "demand-two").replace("办事体验调查", "第二次调查")
    )
    with session_scope(catalog) as session:
        (issue,) = issues_from_survey(session, "demand-test", IN_HOURS)
        record_action(session, issue.id, "高峰时段增开3个窗口", IssueStatus.RESOLVED, IN_HOURS)
        page = publish(session, issue.id, IN_HOURS).page.number
        session.add(SurveyInvitation(survey_id="demand-two", openid=who, created_at=IN_HOURS))
    number = book(
        catalog,
        task_code=ID_CARD_RENEWAL,
        hall_code=CENTRE,
        day=date(2026, 12, 8),
        start="09:00",
        applicant=person(1),
        openid=who,
        cipher=CIPHER,
        config=CONFIG,
        now=evening.replace(hour=10),
    ).booking.number
    with session_scope(catalog) as session:  # a closure no push could tell: kept
        session.execute(
            update(Booking)
            .where(Booking.number == number)
            .values(change_told=Disruption.HALL_CLOSED.value)
        )

    hooks = build_hooks(settings, catalog)
    due = hooks.due(who, evening)
    assert due.owed == set(Source) and not due.held
    told = hooks.owed(who, due, evening)
    assert len(told) == 6
    change, reply, resolved, invitation, disruption, reminder = told
    assert "新增材料" in change
    assert reply == "工单答复：已转交窗口。"
    assert page in resolved and "高峰时段增开3个窗口" in resolved
    assert "第二次调查" in invitation
    assert number in disruption and "不开放" in disruption
    assert number in reminder and "明天" in reminder
    assert hooks.due(who, evening) == NOTHING
    assert hooks.owed(who, due, evening) == []  # a stale check claims nothing twice
