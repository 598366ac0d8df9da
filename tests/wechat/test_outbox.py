"""The tickets' outbox through the stand-in's API side: a staff reply goes as 客服消息 inside
the citizen's 48-hour window and as a template message outside it (the stand-in records which
API was used), what WeChat refuses waits for the citizen's next message, what could not be
sent because WeChat was unreachable is pushed again, and nothing is delivered twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.settings import load_wechat_settings
from banshi.calendar import WorkCalendar
from banshi.db import session_scope
from banshi.links import Links, PageKind
from banshi.tickets import outbox
from banshi.tickets.config import TicketConfig
from banshi.tickets.kinds import TicketKind
from banshi.tickets.lifecycle import NewTicket, file_ticket
from banshi.tickets.models import OutboxMessage
from banshi.tickets.outbox import OutboxKind, Route
from banshi.tickets.page import open_page
from banshi.tickets.replies import record_reply
from bot.wechat.config import WeChatSettings
from bot.wechat.outbox import ReplyTemplate, deliver_now
from bot.wechat.storage import record_contact
from wechat_standin.server import BackgroundStandin

CUSTOM, TEMPLATE = "message/custom/send", "message/template/send"
LINKS = Links("https://banshi.example.cn", b"outbox-tests-secret-0123456789abcdef")
TEMPLATE_ID = "TPL_ticket_reply_0001"
REPLY = "您好，周六上午已安排婚姻登记值班窗口，欢迎预约。"
NOW = datetime(2026, 12, 7, 10, 0)


def wechat(standin: BackgroundStandin, engine: Engine) -> WeChatSettings:
    return load_wechat_settings(
        {"WECHAT_API_BASE_URL": standin.api_base, "DATABASE_URL": str(engine.url)}
    )


def answered(engine: Engine, openid: str, body: str = REPLY) -> str:
    """A suggestion filed and answered by staff: the reply is owed to the citizen."""
    with session_scope(engine) as session:
        ticket = file_ticket(
            session,
            NewTicket(openid, TicketKind.SUGGESTION, "建议周六也开放婚姻登记"),
            WorkCalendar(session),
            TicketConfig(),
            NOW,
        )
        record_reply(session, ticket, body, "dispatcher", NOW)
        return str(ticket.number)


def wrote(engine: Engine, openid: str, hours_ago: float) -> None:
    """The citizen's last message, ``hours_ago`` before now (the window is kept in UTC)."""
    with session_scope(engine) as session:
        record_contact(session, openid, datetime.utcnow() - timedelta(hours=hours_ago))


def rows(engine: Engine, openid: str) -> list[tuple[str | None, bool, bool]]:
    """(route, delivered, waits for the next message) of each outbox line, oldest first."""
    with session_scope(engine) as session:
        found = session.execute(
            select(OutboxMessage).where(OutboxMessage.openid == openid).order_by(OutboxMessage.id)
        ).scalars()
        return [(m.route, m.delivered_at is not None, bool(m.next_message_only)) for m in found]


def test_inside_the_window_a_customer_service_message_with_the_page(
    engine: Engine, standin: BackgroundStandin
) -> None:
    openid = "oOutboxInside0000000000000001"
    wrote(engine, openid, 47)
    number = answered(engine, openid)
    template = ReplyTemplate(TEMPLATE_ID)
    result = deliver_now(engine, wechat(standin, engine), LINKS, template)
    assert (result.custom, result.template, result.refused) == (1, 0, 0)
    assert standin.api.received(TEMPLATE) == []
    [text] = standin.api.delivered(openid)
    assert REPLY in text and number in text
    link = text.rsplit("查看详情：", 1)[1]
    assert link.startswith(f"https://banshi.example.cn/tickets/{number}?t=")
    token = parse_qs(urlsplit(link).query)["t"][0]
    with session_scope(engine) as session:  # the link opens the reply page
        page = open_page(session, LINKS, number, token)
        assert page is not None and REPLY in page
        assert open_page(session, LINKS, number, token[:-2] + "xx") is None
    assert rows(engine, openid) == [(Route.CUSTOM.value, True, False)]
    # delivered once: neither the next push nor the citizen's next message repeats it
    assert deliver_now(engine, wechat(standin, engine), LINKS, template).sent == 0
    with session_scope(engine) as session:
        assert outbox.claim_for_citizen(session, openid, datetime.utcnow()) == []
    assert len(standin.api.received(CUSTOM, openid)) == 1


def test_outside_the_window_a_template_message_linking_the_reply(
    engine: Engine, standin: BackgroundStandin
) -> None:
    openid = "oOutboxOutside000000000000001"
    wrote(engine, openid, 60)  # wrote two and a half days ago: 客服消息 would be refused
    number = answered(engine, openid)
    result = deliver_now(engine, wechat(standin, engine), LINKS, ReplyTemplate(TEMPLATE_ID))
    assert (result.custom, result.template) == (0, 1)
    assert standin.api.received(CUSTOM) == []
    [call] = standin.api.received(TEMPLATE, openid)
    assert call.errcode == 0 and call.body["template_id"] == TEMPLATE_ID
    assert call.body["url"] == LINKS.url(PageKind.TICKET, number)
    assert call.body["data"]["thing1"]["value"] == "工单答复通知"
    assert call.body["data"]["character_string2"]["value"] == number
    assert not call.escaped_unicode
    assert rows(engine, openid) == [(Route.TEMPLATE.value, True, False)]


def test_without_a_template_the_reply_waits_for_the_next_message(
    engine: Engine, standin: BackgroundStandin
) -> None:
    openid = "oOutboxNoTemplate000000000001"
    number = answered(engine, openid)  # never wrote: no window
    result = deliver_now(engine, wechat(standin, engine), LINKS, ReplyTemplate())
    assert (result.sent, result.refused) == (0, 1)
    assert standin.api.received(CUSTOM) == standin.api.received(TEMPLATE) == []
    assert rows(engine, openid) == [(None, False, True)]
    # not pushed again; the citizen's next message takes it, with the page's link
    assert deliver_now(engine, wechat(standin, engine), LINKS, ReplyTemplate(TEMPLATE_ID)).sent == 0
    with session_scope(engine) as session:
        [owed] = outbox.claim_for_citizen(session, openid, datetime.utcnow())
    assert owed.route is Route.NEXT_MESSAGE and owed.page == number
    assert REPLY in outbox.compose(owed, LINKS.url(PageKind.TICKET, number))


def test_a_refused_customer_service_message_falls_back_or_waits(
    engine: Engine, standin: BackgroundStandin
) -> None:
    with_page = "oOutboxRefused00000000000001"
    staff_line = "oOutboxRefused00000000000002"
    wrote(engine, with_page, 1)
    wrote(engine, staff_line, 1)
    number = answered(engine, with_page)
    with session_scope(engine) as session:
        outbox.post(session, staff_line, OutboxKind.HANDOFF, "【人工服务】请稍等，我查一下。", NOW)
    # WeChat's reckoning of the window differs from ours (45015) for both messages
    standin.api.fail(CUSTOM, 45015, 45015)
    result = deliver_now(engine, wechat(standin, engine), LINKS, ReplyTemplate(TEMPLATE_ID))
    assert (result.custom, result.template, result.refused) == (0, 1, 1)
    assert [
        c.body["data"]["character_string2"]["value"] for c in standin.api.received(TEMPLATE)
    ] == [number]
    assert rows(engine, with_page) == [(Route.TEMPLATE.value, True, False)]
    assert rows(engine, staff_line) == [(None, False, True)]  # waits for the citizen


def test_an_unreachable_wechat_keeps_the_reply_for_the_next_push(
    engine: Engine, standin: BackgroundStandin
) -> None:
    openid = "oOutboxUnreachable0000000001"
    wrote(engine, openid, 2)
    answered(engine, openid)
    standin.api.fail(CUSTOM, -1, -1, -1)  # "system busy" through every bounded retry
    first = deliver_now(engine, wechat(standin, engine), LINKS, ReplyTemplate(TEMPLATE_ID))
    assert first.sent == 0 and first.unreachable and "-1" in first.unreachable
    assert rows(engine, openid) == [(None, False, False)]  # given back, still to push
    second = deliver_now(engine, wechat(standin, engine), LINKS, ReplyTemplate(TEMPLATE_ID))
    assert second.custom == 1 and second.unreachable is None
    assert len(standin.api.delivered(openid)) == 1
    assert standin.api.received(TEMPLATE) == []
