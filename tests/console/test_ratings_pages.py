"""The 好差评 pages: the period's figures, the 差评 board, a 差评 followed up (核实 → 整改 →
反馈, the feedback sent to the citizen), a rating set aside with a reason and never deleted,
masked comments and the audited reveal, the dashboard card; 403 for roles other than reviewer
and admin."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from banshi.calendar import WorkCalendar
from banshi.db import session_scope
from banshi.ratings.config import RatingConfig
from banshi.ratings.invitations import invite
from banshi.ratings.levels import Level
from banshi.ratings.models import Rating, RatingFollowUp
from banshi.ratings.recording import add_comment, record_rating
from banshi.ratings.services import Service, ServiceKind
from banshi.staff.models import AuditEntry
from banshi.tickets.models import OutboxMessage
from banshi.tickets.outbox import OutboxKind
from console import texts
from console.pages import ratings
from tests.console.conftest import NOW, PHONE, STAFF, Site, refused, signed_in
from tests.console.test_tickets_pages import CIPHER, with_calendar


@pytest.fixture
def calendar(site: Site) -> Engine:
    return with_calendar(site)


def client(make_client: Any, role: str) -> tuple[Any, str]:
    c = make_client(pages=[ratings.page(CIPHER)], cards=[ratings.card()])
    return c, signed_in(c, STAFF[role])


def rated(engine: Engine, level: Level, comment: str = "") -> tuple[int, str]:
    """A closed handoff rated by its citizen; (rating id, openid)."""
    openid = "oR" + uuid.uuid4().hex[:26]
    ref = str(uuid.uuid4().int % 10**9)
    with session_scope(engine) as session:
        invitation = invite(session, Service(ServiceKind.HANDOFF, ref), openid, "服务已结束", NOW)
        assert invitation is not None
        rating, _ = record_rating(
            session, invitation, level, WorkCalendar(session), RatingConfig(), NOW
        )
        if comment:
            add_comment(rating, CIPHER, comment)
        return int(rating.id), openid


def stage(engine: Engine, rating_id: int) -> str:
    with session_scope(engine) as session:
        followup = session.execute(
            select(RatingFollowUp).where(RatingFollowUp.rating_id == rating_id)
        ).scalar_one()
        return str(followup.stage)


@pytest.mark.parametrize("role", list(STAFF))
def test_only_reviewers_and_admins_see_ratings(
    role: str, make_client: Any, calendar: Engine
) -> None:
    rating_id, _ = rated(calendar, Level.DISSATISFIED)
    c, token = client(make_client, role)
    allowed = role in ("admin", "reviewer")
    for path in ("/ratings", f"/ratings/{rating_id}"):
        response = c.get(path)
        assert response.status_code == (200 if allowed else 403), (role, path)
        if not allowed:
            assert refused(response.text) == texts.FORBIDDEN
    step = c.post(f"/ratings/{rating_id}/follow-up", data={"note": "已核实", "csrf_token": token})
    assert step.status_code == (303 if allowed else 403)
    nav = re.findall(r'<nav class="main".*?</nav>', c.get("/").text, re.S)[0]
    assert ("好差评" in nav) is allowed


def test_a_bad_rating_is_followed_up_to_the_citizen(make_client: Any, calendar: Engine) -> None:
    bad, openid = rated(calendar, Level.VERY_DISSATISFIED, f"等了一小时没人理，电话{PHONE}")
    good, _ = rated(calendar, Level.VERY_SATISFIED)
    c, token = client(make_client, "reviewer")

    listing = c.get("/ratings").text
    board = re.search(r'<section class="card attention" id="board">(.*?)</section>', listing, re.S)
    assert board is not None
    assert f'data-rating="{bad}"' in board.group(1) and f'data-rating="{good}"' not in board.group(
        1
    )
    assert "待核实" in board.group(1)
    assert f'data-rating="{good}"' in listing and "满意率" in listing
    assert PHONE not in listing and "138****5678" in listing
    only_bad = c.get("/ratings", params={"bad": "1"}).text
    assert f'data-rating="{bad}"' in only_bad and f'data-rating="{good}"' not in only_bad

    def step(note: str) -> Any:
        return c.post(f"/ratings/{bad}/follow-up", data={"note": note, "csrf_token": token})

    empty = step("")
    assert empty.status_code == 400 and "请填写核实、整改或反馈的情况。" in empty.text
    assert step("经核实，当日窗口人手不足").headers["location"].endswith("?ok=step")
    assert stage(calendar, bad) == "rectify"
    assert step("已增派两名工作人员，并开通取号提醒").status_code == 303
    feedback = "您反映的等候时间过长问题已整改：高峰时段增派两名工作人员。感谢您的监督！"
    done = step(feedback)
    assert done.headers["location"].endswith("?ok=feedback")
    assert stage(calendar, bad) == "done"
    page = c.get(done.headers["location"]).text
    assert ratings.DONE["feedback"] in page and "已反馈" in page
    assert "经核实，当日窗口人手不足" in page and 'id="step"' not in page
    with session_scope(calendar) as session:
        told = session.execute(
            select(OutboxMessage.text).where(
                OutboxMessage.openid == openid,
                OutboxMessage.kind == OutboxKind.RATING_FEEDBACK.value,
            )
        ).scalar_one()
        actions = (
            session.execute(select(AuditEntry.action).where(AuditEntry.target == f"rating:{bad}"))
            .scalars()
            .all()
        )
    assert feedback in told
    assert actions == ["rating_follow_up"] * 3
    again = step("再记一次")
    assert again.status_code == 400 and "无需再处理" in again.text


def test_a_malicious_rating_is_set_aside_with_a_reason_never_deleted(
    make_client: Any, calendar: Engine
) -> None:
    rating_id, _ = rated(calendar, Level.DISSATISFIED, f"随便打的，{PHONE}")
    c, token = client(make_client, "reviewer")
    before = c.get("/").text
    card = re.search(r'data-card="ratings">(.*?)</article>', before, re.S)
    assert card is not None and texts.OFF not in card.group(1) and "近 7 天" in card.group(1)

    page = c.get(f"/ratings/{rating_id}").text
    assert PHONE not in page and 'id="reveal"' in page
    shown = c.post(f"/ratings/{rating_id}/reveal", data={"csrf_token": token})
    assert PHONE in shown.text and texts.REVEALED in shown.text

    no_reason = c.post(f"/ratings/{rating_id}/set-aside", data={"reason": "", "csrf_token": token})
    assert no_reason.status_code == 400 and "甄别不计入需要填写原因。" in no_reason.text
    aside = c.post(
        f"/ratings/{rating_id}/set-aside",
        data={"reason": "同一用户一分钟内对多项服务连续差评，经核实为误操作", "csrf_token": token},
    )
    assert aside.status_code == 303
    page = c.get(aside.headers["location"]).text
    assert ratings.DONE["aside"] in page and "经核实为误操作" in page and "已甄别，不计入" in page
    assert stage(calendar, rating_id) == "set_aside"  # its follow-up stopped
    with session_scope(calendar) as session:
        rating = session.get(Rating, rating_id)
        assert rating is not None and rating.set_aside and rating.set_aside_by == "reviewer"
        actions = (
            session.execute(
                select(AuditEntry.action).where(AuditEntry.target == f"rating:{rating_id}")
            )
            .scalars()
            .all()
        )
    assert actions == ["reveal", "rating_set_aside"]
    board = re.search(r'id="board">(.*?)</section>', c.get("/ratings").text, re.S)
    assert board is not None and f'data-rating="{rating_id}"' not in board.group(1)
    twice = c.post(f"/ratings/{rating_id}/set-aside", data={"reason": "再次", "csrf_token": token})
    assert twice.status_code == 400 and "不能重复操作" in twice.text


def test_an_unknown_rating_is_a_404(make_client: Any, calendar: Engine) -> None:
    c, _ = client(make_client, "reviewer")
    assert c.get("/ratings/987654321").status_code == 404
