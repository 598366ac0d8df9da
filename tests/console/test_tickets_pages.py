"""The 工单 pages: the queue with its filters and flags, a ticket with its history, the reply
box saying whether the citizen's 48-hour window is open, every move with its reason, masking
and reveals, the dashboard card; 403 for the roles that do not handle tickets; every staff
action in the audit log."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from banshi.calendar import WorkCalendar, seed_from_chinesecalendar
from banshi.db import session_scope
from banshi.privacy.crypto import FieldCipher
from banshi.privacy.idnumbers import mask_mobile
from banshi.ratings.models import RatingInvitation
from banshi.staff.models import AuditEntry
from banshi.tickets import lifecycle
from banshi.tickets.config import TicketConfig
from banshi.tickets.kinds import TicketKind, TicketState
from banshi.tickets.lifecycle import NewTicket, protect
from banshi.tickets.models import OutboxMessage, Ticket
from banshi.tickets.outbox import OutboxKind
from bot.wechat.storage import record_contact
from console import texts
from console.pages import tickets
from tests.console.conftest import NOW, PHONE, SECRET, STAFF, Site, refused, signed_in

TODAY = NOW.date()
NOW_UTC = NOW - timedelta(hours=8)  # the channel keeps the 48-hour window in UTC
CIPHER = FieldCipher(SECRET)
DESK = tickets.TicketConsole(CIPHER, utc_clock=lambda: NOW_UTC)


def with_calendar(site: Site) -> Engine:
    """The shared site with 2026's working calendar (idempotent: loaded once)."""
    with session_scope(site.engine) as session:
        seed_from_chinesecalendar(session, [2026])
    return site.engine


@pytest.fixture
def calendar(site: Site) -> Engine:
    return with_calendar(site)


def client(make_client: Any, role: str) -> tuple[Any, str]:
    """A client over the console with the ticket pages and card, signed in as ``role``."""
    c = make_client(pages=[tickets.page(DESK)], cards=[tickets.card(DESK)])
    return c, signed_in(c, STAFF[role])


def openid() -> str:
    return "oT" + uuid.uuid4().hex[:26]


def file(
    engine: Engine,
    kind: TicketKind = TicketKind.COMPLAINT,
    content: str = "车管所窗口工作人员态度很差，排了两个小时的队。",
    *,
    who: str | None = None,
    on: date = TODAY,
    dept: str | None = None,
    phone: str | None = None,
) -> str:
    """A ticket as the desk files it (accepted ``on``), routed to ``dept`` if given."""
    accepted = datetime.combine(on, NOW.time())
    masked, encrypted = protect(CIPHER, content)
    new = NewTicket(
        who or openid(),
        kind,
        masked,
        encrypted,
        phone_encrypted=CIPHER.encrypt(phone) if phone else None,
        phone_masked=mask_mobile(phone) if phone else "",
    )
    with session_scope(engine) as session:
        ticket = lifecycle.file_ticket(
            session, new, WorkCalendar(session), TicketConfig(), accepted
        )
        if dept:
            lifecycle.dispatch(session, ticket, dept, "dispatcher", accepted)
        return str(ticket.number)


def ticket(engine: Engine, number: str) -> Ticket:
    with session_scope(engine) as session:
        found = lifecycle.find_ticket(session, number)
        assert found is not None
        return found


def audited(engine: Engine, number: str) -> list[tuple[str, str]]:
    """(action, actor) of the audit entries about ``number``, oldest first."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.target == f"ticket:{number}")
            .order_by(AuditEntry.id)
        )
        return [(a, b) for a, b in rows]


def queue_numbers(html: str) -> list[tuple[str, str]]:
    """(number, urgency) of each row of the queue, in order."""
    return re.findall(r'<tr data-number="(\w+)"(?: data-urgency="(\w+)")?>', html)


@pytest.mark.parametrize("role", list(STAFF))
def test_only_dispatchers_and_admins_handle_tickets(
    role: str, make_client: Any, calendar: Engine
) -> None:
    number = file(calendar)
    c, token = client(make_client, role)
    allowed = role in ("admin", "dispatcher")
    for path in ("/tickets", f"/tickets/{number}"):
        response = c.get(path)
        assert response.status_code == (200 if allowed else 403), (role, path)
        if not allowed:
            assert refused(response.text) == texts.FORBIDDEN
    response = c.post(f"/tickets/{number}/reply", data={"text": "您好", "csrf_token": token})
    assert response.status_code == (303 if allowed else 403)
    assert (
        "工单" in re.findall(r'<nav class="main".*?</nav>', c.get("/").text, re.S)[0]
    ) is allowed
    assert ticket(calendar, number).state == (
        TicketState.ANSWERED.value if allowed else TicketState.ACCEPTED.value
    )


def test_the_queue_filters_and_flags_what_is_late(make_client: Any, calendar: Engine) -> None:
    dept = f"示范市测试局{uuid.uuid4().hex[:6]}"
    # 咨询 takes 2 working days: accepted 11-30 → due 12-02 (overdue on 12-07); accepted
    # 12-03 → due 12-07 (due today: near); 投诉 takes 15: from 12-11 into 2027, a year
    # nobody loaded yet (no due date, never a guessed one).
    overdue = file(
        calendar, TicketKind.CONSULT, "请问社保卡补办要多久", on=date(2026, 11, 30), dept=dept
    )
    near = file(
        calendar, TicketKind.CONSULT, "公积金提取需要什么材料", on=date(2026, 12, 3), dept=dept
    )
    unknown = file(calendar, on=date(2026, 12, 11), dept=dept)
    relaxed = file(calendar, TicketKind.SUGGESTION, "建议周六开放婚姻登记", dept=dept)
    c, _ = client(make_client, "dispatcher")

    listed = queue_numbers(c.get("/tickets", params={"dept": dept}).text)
    assert listed == [(unknown, "unknown"), (overdue, "overdue"), (near, "near"), (relaxed, "")]
    page = c.get("/tickets", params={"dept": dept}).text
    assert "已超期" in page and "临近期限" in page and "期限未定" in page

    def only(**params: str) -> list[str]:
        return [
            n for n, _ in queue_numbers(c.get("/tickets", params={"dept": dept, **params}).text)
        ]

    assert only(due="overdue") == [overdue]
    assert only(due="near") == [overdue, near]
    assert only(due="unknown") == [unknown]
    assert only(kind="complaint") == [unknown]
    assert only(kind="投诉") == [unknown]  # a label works too
    assert only(state="handling") == []
    assert only(due="nonsense") == [unknown, overdue, near, relaxed]  # ignored, not a 500

    # the dashboard card counts what is late and links to the queue
    dashboard = c.get("/").text
    card = re.search(
        r'<article class="card dash tone-(\w+)" data-card="tickets">(.*?)</article>',
        dashboard,
        re.S,
    )
    assert card is not None and card.group(1) == "attention"
    value = re.search(r'class="value">(\d+)<', card.group(2))
    assert texts.OFF not in card.group(2) and value is not None and int(value.group(1)) >= 2
    assert 'href="/tickets?due=near"' in card.group(2)


def test_a_reply_says_how_it_reaches_the_citizen_and_is_audited(
    make_client: Any, calendar: Engine
) -> None:
    citizen = openid()
    with session_scope(calendar) as session:
        record_contact(session, citizen, NOW_UTC - timedelta(hours=3))
    number = file(calendar, TicketKind.SUGGESTION, "建议周六也开放婚姻登记", who=citizen)
    silent = file(calendar, TicketKind.SUGGESTION, "建议增加自助填表机", who=openid())
    c, token = client(make_client, "dispatcher")

    page = c.get(f"/tickets/{number}").text
    assert tickets.WINDOW_OPEN in page and 'id="reply"' in page
    assert tickets.WINDOW_CLOSED in c.get(f"/tickets/{silent}").text

    reply = "您好，自 2027 年 1 月起每周六上午开放婚姻登记，欢迎预约。"
    answer = c.post(f"/tickets/{number}/reply", data={"text": reply, "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"].endswith("?ok=reply")
    shown = c.get(answer.headers["location"]).text
    assert tickets.DONE["reply"] in shown and reply in shown and ">答复<" in shown
    with session_scope(calendar) as session:
        owed = session.execute(
            select(OutboxMessage).where(OutboxMessage.openid == citizen)
        ).scalar_one()
        assert owed.kind == OutboxKind.TICKET_REPLY.value and owed.page == number
        assert reply in owed.text
    assert audited(calendar, number) == [("reply", "dispatcher")]

    empty = c.post(f"/tickets/{number}/reply", data={"text": " ", "csrf_token": token})
    assert empty.status_code == 400 and "答复内容不能为空。" in empty.text


def test_every_move_with_its_reason_and_its_audit_entry(make_client: Any, calendar: Engine) -> None:
    citizen = openid()
    number = file(calendar, who=citizen)
    repeat = file(calendar, content="车管所窗口态度差，又排了两小时", who=citizen)
    c, token = client(make_client, "dispatcher")

    def post(move: str, **form: str) -> Any:
        return c.post(f"/tickets/{number}/{move}", data={**form, "csrf_token": token})

    assert repeat in c.get(f"/tickets/{number}").text  # offered as a possible duplicate
    assert post("dispatch", dept="示范市公安局交通警察支队").status_code == 303
    assert post("take").status_code == 303
    no_reason = post("return", reason="")
    assert no_reason.status_code == 400 and "退单需要填写原因。" in no_reason.text
    assert post("return", reason="不属于本单位职责").status_code == 303
    assert ticket(calendar, number).state == TicketState.ACCEPTED.value
    assert post("dispatch", dept="示范市车辆管理所").status_code == 303
    assert post("reroute", dept="示范市政务服务中心", reason="窗口归中心管理").status_code == 303
    assert ticket(calendar, number).dept_name == "示范市政务服务中心"
    too_long = post("extend", days="31", reason="需要调取监控")
    assert too_long.status_code == 400 and "最多 30 个工作日" in too_long.text
    assert post("extend", days="3", reason="需要调取监控").status_code == 303
    assert ticket(calendar, number).extension_days == 3
    early = post("close")
    assert early.status_code == 400 and "尚未答复" in early.text
    merged = c.post(
        f"/tickets/{repeat}/merge", data={"into": number, "reason": "同一事项", "csrf_token": token}
    )
    assert merged.status_code == 303 and ticket(calendar, repeat).state == TicketState.MERGED.value
    assert post("reply", text="经核实，已对当班人员批评教育。").status_code == 303
    assert post("visit", note="电话回访，群众表示认可").status_code == 303
    assert post("close", note="").status_code == 303
    assert ticket(calendar, number).state == TicketState.CLOSED.value

    page = c.get(f"/tickets/{number}").text
    for step in ("派单", "签收办理", "退单", "延期", "合并", "答复", "回访", "办结"):
        assert f">{step}<" in page, step
    assert "不属于本单位职责" in page  # the reason is in the history
    assert "该工单已办结，无需办理。" in page and 'id="reply"' not in page
    assert [a for a, _ in audited(calendar, number)] == [
        "dispatch", "ticket_take", "ticket_return", "dispatch", "ticket_reroute",
        "ticket_extend", "reply", "ticket_visit", "ticket_close",
    ]  # fmt: skip
    assert audited(calendar, repeat) == [("ticket_merge", "dispatcher")]
    with session_scope(calendar) as session:  # closing invited the citizen, once, to rate it
        invitation = session.execute(
            select(RatingInvitation).where(RatingInvitation.service_ref == number)
        ).scalar_one()
        assert invitation.openid == citizen


def test_masked_until_revealed_and_the_reveal_is_audited(
    make_client: Any, calendar: Engine
) -> None:
    number = file(
        calendar,
        TicketKind.REPORT,
        f"有人冒充窗口工作人员收费，他的电话{PHONE}。",
        phone="13900001111",
    )
    c, token = client(make_client, "dispatcher")
    page = c.get(f"/tickets/{number}").text
    assert PHONE not in page and "138****5678" in page
    assert "13900001111" not in page and "139****1111" in page

    shown = c.post(f"/tickets/{number}/reveal", data={"what": "content", "csrf_token": token})
    assert shown.status_code == 200 and PHONE in shown.text and texts.REVEALED in shown.text
    phone = c.post(f"/tickets/{number}/reveal", data={"what": "phone", "csrf_token": token})
    assert "13900001111" in phone.text
    with session_scope(calendar) as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.summary, AuditEntry.detail)
            .where(AuditEntry.target == f"ticket:{number}")
            .order_by(AuditEntry.id)
        ).all()
    assert [(a, s) for a, s, _ in entries] == [
        ("reveal", "查看完整工单原文"),
        ("reveal", "查看完整回电号码"),
    ]
    assert all(PHONE not in str(d) for _, _, d in entries)


def test_an_unknown_number_is_a_polite_404(make_client: Any, calendar: Engine) -> None:
    c, token = client(make_client, "dispatcher")
    assert c.get("/tickets/GD209901010001").status_code == 404
    gone = c.post("/tickets/GD209901010001/reply", data={"text": "您好", "csrf_token": token})
    assert gone.status_code == 404 and "没有编号为 GD209901010001 的工单" in gone.text
