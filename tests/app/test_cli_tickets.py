"""``banshi tickets …`` and ``banshi ratings list`` (with and without ``--json``), the chores
``banshi run`` gets from the tickets area, and the console pages it contributes."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.cli import tickets as area
from app.settings import Settings
from banshi.calendar import WorkCalendar, seed_from_chinesecalendar
from banshi.db import session_scope
from banshi.handoff.models import Handoff
from banshi.handoff.states import Closure, HandoffState
from banshi.privacy.crypto import FieldCipher
from banshi.ratings.config import RatingConfig
from banshi.ratings.invitations import open_invitation
from banshi.ratings.levels import Level
from banshi.ratings.recording import record_rating
from banshi.staff.models import AuditEntry
from banshi.tickets import drafts, lifecycle
from banshi.tickets.config import TicketConfig
from banshi.tickets.kinds import Source, TicketKind, TicketState
from banshi.tickets.lifecycle import NewTicket, protect
from banshi.tickets.models import Ticket, TicketDraft
from banshi.tickets.replies import record_reply
from bot.wechat.storage import record_contact
from console import ConsoleServices, create_app
from wechat_standin.api import StandinAPI
from wechat_standin.server import BackgroundStandin

CITIZEN = "oCli000000000000000000000001"
PHONE = "13812345678"


@pytest.fixture
def site(engine: Engine, settings: Settings) -> Settings:
    """The test database with 2026's working calendar; settings with a fixed secret."""
    with session_scope(engine) as session:
        seed_from_chinesecalendar(session, [2026])
    return replace(settings, secret_key="cli-tickets-test-secret-0123456789abcdef")


def banshi(
    capsys: pytest.CaptureFixture[str], settings: Settings, *argv: str
) -> tuple[int, str, str]:
    """Run one command of the area as ``banshi`` would: (exit status, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="banshi")
    area.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = int(args.func(args, settings) or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def file(
    engine: Engine, settings: Settings, kind: TicketKind, content: str, on: date, who: str = CITIZEN
) -> str:
    cipher = FieldCipher(settings.secret())
    masked, encrypted = protect(cipher, content)
    with session_scope(engine) as session:
        ticket = lifecycle.file_ticket(
            session,
            NewTicket(who, kind, masked, encrypted),
            WorkCalendar(session),
            TicketConfig(),
            datetime.combine(on, datetime.min.time()).replace(hour=10),
        )
        return str(ticket.number)


def test_list_show_reply_close_and_ratings(
    engine: Engine, site: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    consult = file(
        engine, site, TicketKind.CONSULT, f"公积金怎么提取？我电话{PHONE}", date(2026, 12, 7)
    )
    complaint = file(
        engine, site, TicketKind.COMPLAINT, "窗口态度很差", date(2026, 12, 7), "oOther"
    )

    code, out, _ = banshi(capsys, site, "tickets", "list", "--json")
    assert code == 0 and {r["number"] for r in json.loads(out)} == {consult, complaint}
    code, out, _ = banshi(capsys, site, "tickets", "list")
    assert code == 0 and consult in out and "咨询" in out and "共 2 条。" in out
    assert json.loads(banshi(capsys, site, "tickets", "list", "--state", "答复", "--json")[1]) == []
    code, _, err = banshi(capsys, site, "tickets", "list", "--state", "nonsense")
    assert code == 1 and "未知的工单状态“nonsense”" in err

    code, out, _ = banshi(capsys, site, "tickets", "show", consult, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["number"] == consult and shown["state"] == "accepted"
    assert PHONE not in out and "138****5678" in shown["content"]
    code, out, _ = banshi(capsys, site, "tickets", "show", consult.lower())
    assert code == 0 and f"咨询工单 {consult}（受理）" in out and PHONE not in out
    code, _, err = banshi(capsys, site, "tickets", "show", "GD209901010001")
    assert code == 1 and "没有编号为 GD209901010001 的工单" in err

    early = banshi(capsys, site, "tickets", "close", consult)
    assert early[0] == 1 and "尚未答复" in early[2]
    code, out, _ = banshi(
        capsys, site, "tickets", "reply", consult, "您好，可在公积金APP办理提取。"
    )
    assert code == 0 and out.strip() == f"已答复工单 {consult}，答复将发送给群众。"
    answered = json.loads(
        banshi(capsys, site, "tickets", "list", "--state", "answered", "--json")[1]
    )
    assert [r["number"] for r in answered] == [consult]
    code, out, _ = banshi(capsys, site, "tickets", "close", consult, "--staff", "zhang")
    assert code == 0 and out.strip() == f"工单 {consult} 已办结。"
    assert banshi(capsys, site, "tickets", "close", consult)[0] == 1  # not twice
    with session_scope(engine) as session:
        entries = session.execute(
            select(AuditEntry.actor, AuditEntry.action)
            .where(AuditEntry.target == f"ticket:{consult}")
            .order_by(AuditEntry.id)
        ).all()
        assert [(a, b) for a, b in entries] == [("cli", "reply"), ("zhang", "ticket_close")]
        invitation = open_invitation(session, CITIZEN, datetime.now(), timedelta(days=3650))
        assert invitation is not None and invitation.service_ref == consult
        record_rating(
            session, invitation, Level.DISSATISFIED, WorkCalendar(session), RatingConfig(),
            datetime(2026, 12, 7, 15, 0),
        )  # fmt: skip

    code, out, _ = banshi(capsys, site, "ratings", "list", "--json")
    [rating] = json.loads(out)
    assert code == 0 and rating["ref"] == consult and rating["level_label"] == "不满意"
    assert rating["bad"] and rating["followup"]["stage_label"] == "待核实"
    code, out, _ = banshi(capsys, site, "ratings", "list")
    assert code == 0 and f"工单办理 {consult}  不满意  待核实" in out


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[BackgroundStandin]:
    server = BackgroundStandin(StandinAPI()).start()
    monkeypatch.setenv("WECHAT_API_BASE_URL", server.api_base)
    monkeypatch.delenv("REDIS_URL", raising=False)
    yield server
    server.stop()


def test_the_chores_banshi_run_gets(
    engine: Engine, site: Settings, standin: BackgroundStandin
) -> None:
    now = datetime.now().replace(microsecond=0)
    chores = {c.name: c for c in area.chores(site)}
    assert {name: c.every for name, c in chores.items()} == {
        "tickets outbox": area.OUTBOX_EVERY,
        "handoff expiry": 60.0,
        "ticket escalation": 1800.0,
        "ticket drafts purge": 86400.0,
    }
    # owed: a reply to a citizen who wrote an hour ago; late: an unanswered 咨询 of last week
    owed = file(engine, site, TicketKind.CONSULT, "社保卡怎么补办", now.date())
    late = file(engine, site, TicketKind.CONSULT, "医保怎么转移", now.date() - timedelta(days=10))
    with session_scope(engine) as session:
        record_contact(session, CITIZEN, datetime.utcnow() - timedelta(hours=1))
        answered = lifecycle.get_ticket(session, owed)
        record_reply(session, answered, "请携带身份证到社保窗口补办。", "dispatcher", now)
        session.add(
            Handoff(openid="oWaiting", state=HandoffState.WAITING.value,
                    requested_at=now - timedelta(minutes=30))
        )  # fmt: skip
        drafts.new_draft(
            session, "oDraft", TicketKind.CONSULT, Source.CHAT, now - timedelta(days=3)
        )

    for chore in chores.values():
        chore.run()

    assert [
        c.text.split("\n")[0] for c in standin.api.received("message/custom/send", CITIZEN)
    ] == [
        f"您的咨询工单 {owed} 有了答复：",
    ]
    with session_scope(engine) as session:
        late_ticket = lifecycle.get_ticket(session, late)
        assert late_ticket.state == TicketState.ACCEPTED.value and late_ticket.urgency == "overdue"
        handoff = session.execute(select(Handoff).where(Handoff.openid == "oWaiting")).scalar_one()
        assert handoff.closure == Closure.TIMEOUT.value and handoff.ticket_id is not None
        assert session.get(Ticket, handoff.ticket_id) is not None
        assert (
            session.execute(select(TicketDraft).where(TicketDraft.openid == "oDraft")).first()
            is None
        )


def test_the_console_pages_and_cards_of_the_area(engine: Engine, site: Settings) -> None:
    pages, cards = area.console_pages(site)
    assert [p.key for p in pages] == ["tickets", "handoff", "ratings"]
    assert [c.key for c in cards] == ["tickets", "handoffs", "ratings"]
    services = ConsoleServices(
        engine=engine, secret_key=site.secret(), pages=pages, cards=cards, cookie_secure=False
    )
    app: Any = create_app(services)  # no page claims another's URL
    paths = {getattr(r, "path", "") for r in app.routes}
    assert {"/tickets", "/handoff", "/ratings", "/tickets/{number}/reply"} <= paths


def test_push_delivers_the_outbox_now(
    engine: Engine,
    site: Settings,
    standin: BackgroundStandin,
    capsys: pytest.CaptureFixture[str],
) -> None:
    number = file(engine, site, TicketKind.SUGGESTION, "建议增加自助填表机", date(2026, 12, 7))
    with session_scope(engine) as session:
        record_contact(session, CITIZEN, datetime.utcnow() - timedelta(hours=2))
        record_reply(
            session, lifecycle.get_ticket(session, number), "已采纳。", "dispatcher", datetime.now()
        )
    code, out, _ = banshi(capsys, site, "tickets", "push")
    assert code == 0 and out.startswith("客服消息 1 条，模板消息 0 条")
    [sent] = standin.api.delivered(CITIZEN)
    assert "已采纳。" in sent and f"/tickets/{number}?t=" in sent
    code, out, _ = banshi(capsys, site, "tickets", "push")
    assert code == 0 and out.startswith("客服消息 0 条")  # delivered once
