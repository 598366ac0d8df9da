"""Survey invitations and 政府端菜 notices through the stand-in's API: 客服消息 inside the
48-hour window, a template message outside it when one is configured, otherwise (and after
a refusal) with the citizen's next message — each once; the link in a notice opens the
published page and nothing else; WeChat unreachable loses nothing."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from app.settings import load_wechat_settings
from banshi.db import session_scope
from banshi.hot_issues.issues import IssueStatus, assign, issues_from_survey, record_action
from banshi.hot_issues.models import HotIssueNotice
from banshi.hot_issues.page import open_page
from banshi.hot_issues.publishing import publish
from banshi.links import Links, PageKind
from banshi.surveys.invitations import invite
from banshi.surveys.models import SurveyInvitation
from banshi.surveys.responses import start_response
from bot.wechat.api import WeChatAPI
from bot.wechat.storage import record_contact
from bot.wechat.surveys_push import (
    SurveyPushConfig,
    SurveyPusher,
    SurveyPushResult,
    TemplateSpec,
    owed_messages,
)
from tests.banshi.surveys.helpers import NOW, fill, store
from tests.wechat.conftest import run
from wechat_standin.server import BackgroundStandin

LINKS = Links("http://127.0.0.1:5005", b"surveys-push-test-secret-0000000")
SEND, TEMPLATE = "message/custom/send", "message/template/send"
OPEN, CLOSED = "oSurveyOpen".ljust(28, "0"), "oSurveyClosed".ljust(28, "0")
TEMPLATES = SurveyPushConfig(
    invitation_template=TemplateSpec("TPL_INVITE"), notice_template=TemplateSpec("TPL_DONE")
)


def seen(engine: Engine, openid: str, ago: timedelta) -> None:
    with session_scope(engine) as session:
        record_contact(session, openid, datetime.utcnow() - ago)


def invited(engine: Engine) -> None:
    """The test survey, both citizens known to the account and invited."""
    store(engine)
    seen(engine, OPEN, timedelta(hours=1))
    seen(engine, CLOSED, timedelta(hours=50))
    with session_scope(engine) as session:
        assert invite(session, "demand-test", NOW).created == 2


def push(pusher: SurveyPusher, api_base: str) -> SurveyPushResult:
    async def go() -> SurveyPushResult:
        api = WeChatAPI(load_wechat_settings({"WECHAT_API_BASE_URL": api_base}))
        try:
            return await pusher.push(api, NOW)
        finally:
            await api.aclose()

    return run(go())


def undelivered(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(
            session.execute(
                select(func.count()).where(SurveyInvitation.delivered_at.is_(None))
            ).scalar_one()
        )


def test_invitations_go_by_window_and_template_once(
    engine: Engine, standin: BackgroundStandin
) -> None:
    invited(engine)
    pusher = SurveyPusher(engine, LINKS, TEMPLATES)
    wechat = load_wechat_settings({"WECHAT_API_BASE_URL": standin.api_base})
    result = pusher.push_now(wechat, NOW)
    assert (result.custom, result.template, result.waiting) == (1, 1, 0)
    (custom,) = standin.api.received(SEND)
    assert custom.touser == OPEN and custom.errcode == 0
    assert "《办事体验调查》" in custom.text and "回复“参加调查”即可开始" in custom.text
    (template,) = standin.api.received(TEMPLATE)
    assert template.touser == CLOSED and template.body["template_id"] == "TPL_INVITE"
    fields = template.body["data"]
    assert fields["thing1"]["value"] == "办事体验调查"
    assert fields["thing2"]["value"] == "约需3分钟，回复“参加调查”开始"
    assert all(len(f["value"]) <= 20 for f in fields.values())
    assert pusher.push_now(wechat, NOW) == SurveyPushResult()  # each once
    assert len(standin.api.received(SEND)) == len(standin.api.received(TEMPLATE)) == 1


def test_without_a_template_a_closed_window_waits_for_the_next_message(
    engine: Engine, standin: BackgroundStandin
) -> None:
    invited(engine)
    result = push(SurveyPusher(engine, LINKS), standin.api_base)
    assert (result.custom, result.template, result.waiting) == (1, 0, 1)
    assert standin.api.received(TEMPLATE) == []
    told = owed_messages(engine, LINKS, CLOSED, NOW)
    assert len(told) == 1 and "《办事体验调查》" in told[0]
    assert owed_messages(engine, LINKS, CLOSED, NOW) == []  # once
    assert undelivered(engine) == 0


def test_a_citizen_who_already_started_is_not_invited(engine: Engine) -> None:
    invited(engine)
    with session_scope(engine) as session:
        start_response(session, "demand-test", CLOSED, NOW)
    assert owed_messages(engine, LINKS, CLOSED, NOW) == []
    assert undelivered(engine) == 1  # the other citizen's


def test_a_refusal_waits_for_the_citizen_instead_of_a_retry_every_minute(
    engine: Engine, standin: BackgroundStandin
) -> None:
    invited(engine)
    pusher = SurveyPusher(engine, LINKS)
    standin.api.fail(SEND, 45015)  # WeChat: the window is closed after all
    first = push(pusher, standin.api_base)
    assert (first.custom, first.refused, first.waiting) == (0, 1, 2)
    assert push(pusher, standin.api_base).refused == 0
    assert len(standin.api.received(SEND)) == 1  # not tried again
    seen(engine, OPEN, timedelta(0))  # the citizen wrote: the window is open again
    assert push(pusher, standin.api_base).custom == 1
    assert [c.errcode for c in standin.api.received(SEND)] == [45015, 0]


def test_a_published_resolution_is_told_with_a_link_to_its_page(
    engine: Engine, standin: BackgroundStandin
) -> None:
    store(engine)
    for n, text in enumerate(["排队时间太长", "排队排了两个小时", "排队太久了", "大厅排队人太多"]):
        fill(engine, f"c{n}", {"q1": ("到大厅办",), "q2": ("停车难",), "q4": 3, "q6": text})
    with session_scope(engine) as session:
        (issue,) = issues_from_survey(session, "demand-test", NOW)
        assign(session, issue.id, "示范市政务服务管理局", NOW)
        record_action(session, issue.id, "高峰时段增开3个窗口", IssueStatus.RESOLVED, NOW)
        number, title = publish(session, issue.id, NOW).page.number, issue.title
    link = LINKS.url(PageKind.HOT_ISSUE, number)
    # c3 writes before any push: told before the answer, once
    told = owed_messages(engine, LINKS, "c3", NOW)
    assert len(told) == 1 and link in told[0] and "感谢您的意见" in told[0]
    assert owed_messages(engine, LINKS, "c3", NOW) == []

    seen(engine, "c0", timedelta(hours=2))  # window open; c1 closed; c2 never seen
    seen(engine, "c1", timedelta(days=5))
    without = push(SurveyPusher(engine, LINKS), standin.api_base)
    assert (without.custom, without.template, without.waiting) == (1, 0, 2)
    (custom,) = standin.api.received(SEND)
    assert custom.touser == "c0" and link in custom.text
    assert "示范市政务服务管理局已经整改：高峰时段增开3个窗口" in custom.text

    with_templates = push(SurveyPusher(engine, LINKS, TEMPLATES), standin.api_base)
    assert (with_templates.custom, with_templates.template, with_templates.waiting) == (0, 2, 0)
    sent = standin.api.received(TEMPLATE)
    assert sorted(t.touser for t in sent) == ["c1", "c2"]
    assert {t.body["url"] for t in sent} == {link}
    assert {t.body["template_id"] for t in sent} == {"TPL_DONE"}
    assert sent[0].body["data"]["thing1"]["value"] == title  # the issue as published

    token = link.split("?t=")[1]
    with session_scope(engine) as session:
        page = open_page(session, LINKS, number.lower(), token)
        assert page is not None and "高峰时段增开3个窗口" in page and "4位群众" in page
        assert open_page(session, LINKS, number, token[:-1] + "x") is None
        assert open_page(session, LINKS, "RD999999", token) is None
        left = session.scalars(
            select(HotIssueNotice.openid).where(HotIssueNotice.delivered_at.is_(None))
        ).all()
    assert left == []


def closed_port_api() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/cgi-bin/"


def test_wechat_unreachable_claims_nothing(engine: Engine, standin: BackgroundStandin) -> None:
    invited(engine)
    pusher = SurveyPusher(engine, LINKS)
    down = push(pusher, closed_port_api())
    assert down.sent == 0 and down.waiting == 2 and down.unreachable
    standin.api.fail(SEND, -1, -1, -1)  # 'system busy' on every attempt: stop, keep it
    busy = push(pusher, standin.api_base)
    assert busy.unreachable and busy.waiting == 2 and busy.refused == 0
    again = push(pusher, standin.api_base)  # nothing lost, nothing marked refused
    assert (again.custom, again.waiting, again.unreachable) == (1, 1, None)
