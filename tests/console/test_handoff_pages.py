"""The 人工服务 pages: the live inbox of waiting citizens, taking one (once), the citizen's
messages appearing masked in the long-polled log (its waiting: test_handoff_live.py), sending as 客服消息 through the outbox, closing
(the bot answers again, the citizen is invited to rate); the dashboard card; 403 for the roles
that do not serve citizens in person; every step in the audit log."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.handoff.service import HandoffService
from banshi.handoff.texts import STAFF_PREFIX
from banshi.ratings.models import RatingInvitation
from banshi.staff.models import AuditEntry
from banshi.tickets.models import OutboxMessage
from console import texts
from console.pages import handoff
from tests.console.conftest import NOW, PHONE, STAFF, Site, refused, signed_in
from tests.console.test_tickets_pages import CIPHER, with_calendar

HTMX = {"HX-Request": "true"}


@pytest.fixture
def calendar(site: Site) -> Engine:
    return with_calendar(site)


@pytest.fixture
def people(calendar: Engine) -> HandoffService:
    return HandoffService(calendar, CIPHER)


def client(make_client: Any, people: HandoffService, role: str) -> tuple[Any, str]:
    c = make_client(pages=[handoff.page(people)], cards=[handoff.card(people)])
    return c, signed_in(c, STAFF[role])


def asks(people: HandoffService, question: str = "社保卡丢了怎么补办") -> tuple[str, int]:
    """A citizen says 转人工 during service hours (Monday 10:00); (openid, handoff id)."""
    openid = "oH" + uuid.uuid4().hex[:26]
    messages, held = people.request(openid, NOW, question)
    assert held, messages
    waiting = [w for w in people.list_waiting(NOW) if w.who == "…" + openid[-4:]]
    return openid, waiting[0].id


def audited(engine: Engine, handoff_id: int) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.target == f"handoff:{handoff_id}")
            .order_by(AuditEntry.id)
        )
        return [(a, b) for a, b in rows]


@pytest.mark.parametrize("role", list(STAFF))
def test_only_window_staff_and_admins_serve_in_person(
    role: str, make_client: Any, people: HandoffService
) -> None:
    _, handoff_id = asks(people)
    c, token = client(make_client, people, role)
    allowed = role in ("admin", "window")
    for path in ("/handoff", "/handoff/inbox", f"/handoff/{handoff_id}"):
        response = c.get(path)
        assert response.status_code == (200 if allowed else 403), (role, path)
        if not allowed:
            assert refused(response.text) == texts.FORBIDDEN
    take = c.post(f"/handoff/{handoff_id}/take", data={"csrf_token": token})
    assert take.status_code == (303 if allowed else 403)
    nav = re.findall(r'<nav class="main".*?</nav>', c.get("/").text, re.S)[0]
    assert ("人工服务" in nav) is allowed


def test_take_talk_and_hand_back(
    make_client: Any, people: HandoffService, calendar: Engine
) -> None:
    openid, handoff_id = asks(people, "我想问一下补办结婚证")
    window, token = client(make_client, people, "window")
    admin, admin_token = client(make_client, people, "admin")

    inbox = window.get("/handoff").text
    assert re.search(r'<div id="inbox" hx-get="/handoff/inbox\?seen=\w+" hx-trigger="load', inbox)
    row = re.search(rf'<tr data-handoff="{handoff_id}">(.*?)</tr>', inbox, re.S)
    assert row is not None and "…" + openid[-4:] in row.group(1) and openid not in inbox
    assert "我想问一下补办结婚证" in row.group(1)
    card = re.search(r'data-card="handoffs">(.*?)</article>', window.get("/").text, re.S)
    assert card is not None and texts.OFF not in card.group(1) and "等待人工接待" in card.group(1)

    taken = window.post(f"/handoff/{handoff_id}/take", data={"csrf_token": token})
    assert taken.status_code == 303 and taken.headers["location"] == f"/handoff/{handoff_id}"
    late = admin.post(f"/handoff/{handoff_id}/take", data={"csrf_token": admin_token})
    assert late.status_code == 409 and "已被其他工作人员接入" in late.text
    assert people.is_held(openid)

    # the citizen types; the polled log shows it, masked
    people.record(openid, f"我的电话是{PHONE}，麻烦回个电话", NOW + timedelta(minutes=1))
    log = window.get(f"/handoff/{handoff_id}/log", headers=HTMX)
    assert log.status_code == 200 and "138****5678" in log.text and PHONE not in log.text
    page = window.get(f"/handoff/{handoff_id}").text
    assert f'hx-get="/handoff/{handoff_id}/log?seen=held.' in page and 'id="send"' in page

    sent = window.post(
        f"/handoff/{handoff_id}/send",
        data={"text": "您好，结婚证补办请带上身份证和户口簿。", "csrf_token": token},
        headers=HTMX,
    )
    # a fresh box only: the line reaches the page through the log's long poll
    assert sent.status_code == 200 and sent.text.startswith('<form method="post"')
    assert "<textarea" in sent.text and "<html" not in sent.text and 'id="log"' not in sent.text
    assert "结婚证补办请带上身份证和户口簿" in window.get(f"/handoff/{handoff_id}/log").text
    blank = window.post(
        f"/handoff/{handoff_id}/send", data={"text": "", "csrf_token": token}, headers=HTMX
    )
    assert "消息内容不能为空。" in blank.text
    foreign = admin.post(
        f"/handoff/{handoff_id}/send", data={"text": "您好", "csrf_token": admin_token}
    )
    assert foreign.status_code == 409 and "由 window 接待" in foreign.text
    with session_scope(calendar) as session:
        owed = (
            session.execute(select(OutboxMessage.text).where(OutboxMessage.openid == openid))
            .scalars()
            .all()
        )
    assert owed == [STAFF_PREFIX + "您好，结婚证补办请带上身份证和户口簿。"]

    closed = window.post(f"/handoff/{handoff_id}/close", data={"csrf_token": token})
    assert closed.status_code == 303 and closed.headers["location"].endswith("?ok=closed")
    assert handoff.DONE["closed"] in window.get(closed.headers["location"]).text
    assert not people.is_held(openid)
    ended = window.get(f"/handoff/{handoff_id}/log", headers=HTMX)
    assert ended.status_code == handoff.STOP_POLLING and handoff.GONE in ended.text
    assert "hx-get" not in ended.text  # nothing asks again
    with session_scope(calendar) as session:
        assert (
            session.execute(
                select(RatingInvitation).where(
                    RatingInvitation.service_kind == "handoff",
                    RatingInvitation.service_ref == str(handoff_id),
                )
            )
            .scalar_one()
            .openid
            == openid
        )
    assert audited(calendar, handoff_id) == [
        ("handoff_take", "window"),
        ("handoff_send", "window"),
        ("handoff_close", "window"),
    ]


def test_an_unknown_conversation_is_a_404(make_client: Any, people: HandoffService) -> None:
    c, _ = client(make_client, people, "window")
    assert c.get("/handoff/987654321").status_code == 404
    gone = c.get("/handoff/987654321/log", headers=HTMX)
    assert gone.status_code == handoff.STOP_POLLING
