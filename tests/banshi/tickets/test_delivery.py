"""A staff reply reaches the citizen once: 客服消息 inside the 48-hour window, a template
message linking to the reply page outside it, the next message when WeChat refuses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.calendar import WorkCalendar
from banshi.db import session_scope
from banshi.privacy.links import link_token
from banshi.tickets import outbox
from banshi.tickets.config import TicketConfig
from banshi.tickets.kinds import TicketKind, TicketState
from banshi.tickets.lifecycle import NewTicket, file_ticket
from banshi.tickets.outbox import OutboxKind, Route
from banshi.tickets.page import page_url, reply_page
from banshi.tickets.replies import record_reply
from tests.banshi.tickets.support import NOW, SECRET, new_openid, seen

NOW_UTC = datetime(2026, 12, 7, 2, 0)  # 10:00 in 示范市


def _answered(db: Engine, openid: str, text: str = "您好，周六已安排值班窗口。") -> str:
    with session_scope(db) as session:
        ticket = file_ticket(
            session,
            NewTicket(openid, TicketKind.SUGGESTION, "建议周六开放<窗口>"),
            WorkCalendar(session),
            TicketConfig(),
            NOW,
        )
        record_reply(session, ticket, text, "staff1", NOW)
        assert ticket.state == TicketState.ANSWERED.value
        return str(ticket.number)


def _mine(deliveries: list[outbox.Delivery], openid: str) -> list[outbox.Delivery]:
    return [d for d in deliveries if d.openid == openid]


def test_inside_the_window_a_customer_service_message(db: Engine) -> None:
    openid = new_openid()
    seen(db, openid, NOW_UTC - timedelta(hours=47))
    number = _answered(db, openid)
    with session_scope(db) as session:
        pushed = _mine(outbox.claim_pushes(session, NOW_UTC), openid)
    assert [d.route for d in pushed] == [Route.CUSTOM]
    assert pushed[0].kind is OutboxKind.TICKET_REPLY and pushed[0].page == number
    assert "您好，周六已安排值班窗口。" in pushed[0].text and number in pushed[0].text
    link = page_url("https://banshi.example.cn", SECRET, number)
    assert outbox.compose(pushed[0], link).endswith(f"查看详情：{link}")
    with session_scope(db) as session:  # delivered once: nothing left for anyone
        assert _mine(outbox.claim_pushes(session, NOW_UTC), openid) == []
        assert outbox.claim_for_citizen(session, openid, NOW_UTC) == []


def test_outside_the_window_a_template_message_with_the_page(db: Engine) -> None:
    openid = new_openid()
    seen(db, openid, NOW_UTC - timedelta(hours=47, minutes=55))  # inside the 10-minute margin
    number = _answered(db, openid)
    with session_scope(db) as session:
        pushed = _mine(outbox.claim_pushes(session, NOW_UTC), openid)
    assert [d.route for d in pushed] == [Route.TEMPLATE] and pushed[0].page == number
    assert pushed[0].title == "工单答复通知"


def test_a_refused_push_waits_for_the_next_message(db: Engine) -> None:
    openid = new_openid()  # never wrote: no window
    _answered(db, openid)
    with session_scope(db) as session:
        pushed = _mine(outbox.claim_pushes(session, NOW_UTC), openid)
        assert [d.route for d in pushed] == [Route.TEMPLATE]
    with session_scope(db) as session:  # e.g. no template configured, or 43004
        outbox.release(session, [d.id for d in pushed])
    with session_scope(db) as session:
        assert _mine(outbox.claim_pushes(session, NOW_UTC), openid) == []  # not pushed again
        nxt = outbox.claim_for_citizen(session, openid, NOW_UTC + timedelta(hours=1))
    assert [d.route for d in nxt] == [Route.NEXT_MESSAGE] and nxt[0].id == pushed[0].id
    with session_scope(db) as session:
        assert outbox.claim_for_citizen(session, openid, NOW_UTC + timedelta(hours=2)) == []


def test_a_line_without_a_page_waits_while_the_window_is_closed(db: Engine) -> None:
    openid = new_openid()
    with session_scope(db) as session:
        outbox.post(session, openid, OutboxKind.HANDOFF, "【人工服务】您好", NOW)
    with session_scope(db) as session:
        assert _mine(outbox.claim_pushes(session, NOW_UTC), openid) == []
    seen(db, openid, NOW_UTC)
    with session_scope(db) as session:
        assert [d.route for d in _mine(outbox.claim_pushes(session, NOW_UTC), openid)] == [
            Route.CUSTOM
        ]


def test_a_pushed_reply_is_not_sent_again_with_the_next_message(db: Engine) -> None:
    openid = new_openid()
    seen(db, openid, NOW_UTC)
    _answered(db, openid)
    with session_scope(db) as first, session_scope(db) as second:
        a = _mine(outbox.claim_pushes(first, NOW_UTC), openid)
        first.commit()
        b = outbox.claim_for_citizen(second, openid, NOW_UTC)
    assert len(a) == 1 and b == []


def test_the_reply_page_opens_only_with_its_token(db: Engine) -> None:
    openid = new_openid()
    number = _answered(db, openid, "已核实，<b>感谢</b>您的建议。")
    token = link_token(SECRET, "ticket", number)
    with session_scope(db) as session:
        page = reply_page(session, SECRET, number, token)
        assert page is not None
        assert "已核实，&lt;b&gt;感谢&lt;/b&gt;您的建议。" in page  # escaped
        assert "建议周六开放&lt;窗口&gt;" in page and "已答复" in page
        assert 'content="no-referrer"' in page
        assert reply_page(session, SECRET, number, token[:-1] + "A") is None
        assert reply_page(session, SECRET, "GD202612079998", token) is None


def test_a_long_reply_is_cut_in_chat_and_whole_on_its_page(db: Engine) -> None:
    openid = new_openid()
    seen(db, openid, NOW_UTC)
    body = "请携带身份证原件到窗口办理。" * 80  # 1,120 characters
    number = _answered(db, openid, body)
    with session_scope(db) as session:
        pushed = _mine(outbox.claim_pushes(session, NOW_UTC), openid)
        page = reply_page(session, SECRET, number, link_token(SECRET, "ticket", number))
    text = outbox.compose(pushed[0], page_url("https://banshi.example.cn", SECRET, number))
    assert "（共1120字）" in text and len(text.encode("utf-8")) <= 2000
    assert page is not None and body in page


def test_two_senders_at_once_deliver_a_reply_once(db: Engine) -> None:
    """PostgreSQL: two processes claim the same reply at the same moment (the push and the
    citizen's next message); the row lock hands it to exactly one."""
    if db.dialect.name != "postgresql":
        pytest.skip("concurrent writers need a server; SQLite serialises whole transactions")
    openid = new_openid()
    seen(db, openid, NOW_UTC)
    _answered(db, openid)
    barrier = threading.Barrier(2)
    results: dict[str, list[outbox.Delivery]] = {}

    def claim(name: str, how: Callable[[Session], list[outbox.Delivery]]) -> None:
        with session_scope(db) as session:
            outbox.pending(session, openid)  # both have read the row before either claims
            barrier.wait()
            results[name] = _mine(how(session), openid)

    threads = [
        threading.Thread(target=claim, args=("push", lambda s: outbox.claim_pushes(s, NOW_UTC))),
        threading.Thread(
            target=claim, args=("next", lambda s: outbox.claim_for_citizen(s, openid, NOW_UTC))
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(len(found) for found in results.values()) == [0, 1]
