"""The seam features use: a registered page gets a navigation entry, its roles enforced and
its templates found; a registered card replaces its 未开通 placeholder; wiring mistakes fail
at start-up."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from banshi.models import Hall
from banshi.staff.roles import Role, roles
from console import (
    CardTone,
    CardView,
    ConsolePage,
    DashboardCard,
    PageRoute,
    StaffUser,
    create_app,
    texts,
)
from console.pagekit import render, staff_of, transaction
from tests.console.conftest import Site, services_for, signed_in


def bookings(request: Request) -> Response:
    with transaction(request) as session:
        halls = session.execute(select(func.count()).select_from(Hall)).scalar_one()
    return render(
        request, "bookings/list.html", {"halls": halls, "mine": staff_of(request).hall_code}
    )


def bookings_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
    return CardView(
        "12", "今日预约", (f"{staff.hall_code} 上午 8 人",), "/bookings", CardTone.NORMAL
    )


def broken_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
    raise RuntimeError("not ready")


@pytest.fixture
def feature(tmp_path: Path) -> tuple[ConsolePage, list[DashboardCard]]:
    (tmp_path / "bookings").mkdir()
    (tmp_path / "bookings" / "list.html").write_text(
        '{% extends "base.html" %}{% block title %}预约{% endblock %}'
        '{% block content %}<p id="halls">{{ halls }} 个大厅，本人 {{ mine }}</p>{% endblock %}',
        encoding="utf-8",
    )
    page = ConsolePage(
        key="bookings",
        title="预约",
        path="/bookings",
        roles=roles(Role.WINDOW),
        routes=(PageRoute("/bookings", bookings),),
        order=15,
        templates=tmp_path,
    )
    cards = [
        DashboardCard("bookings", "今日预约（各大厅）", roles(Role.WINDOW), bookings_card),
        DashboardCard("tickets", "临近期限的工单", roles(Role.WINDOW), broken_card),
    ]
    return page, cards


def test_a_feature_page_and_its_cards_plug_in(make_client: Any, feature: Any) -> None:
    page, cards = feature
    window = make_client(pages=[page], cards=cards)
    signed_in(window, "window")
    listing = window.get("/bookings")
    assert listing.status_code == 200
    assert '<p id="halls">5 个大厅，本人 H139900001</p>' in listing.text
    nav = re.search(r'<nav class="main".*?</nav>', listing.text, re.S)
    assert nav is not None and '<a href="/bookings" class="active"' in nav.group(0)
    dashboard = window.get("/").text
    assert re.search(r'data-card="bookings">\s*<h2>[^<]+</h2>\s*<p class="value">12</p>', dashboard)
    assert "H139900001 上午 8 人" in dashboard
    assert re.search(rf'data-card="tickets">.*?{texts.CARD_FAILED}', dashboard, re.S)
    dispatcher = make_client(pages=[page], cards=cards)
    signed_in(dispatcher, "dispatcher")
    assert dispatcher.get("/bookings").status_code == 403
    assert "/bookings" not in dispatcher.get("/").text


def test_wiring_mistakes_fail_at_start_up(site: Site, feature: Any) -> None:
    page, _ = feature
    with pytest.raises(ValueError, match="share the key 'bookings'"):
        create_app(services_for(site.engine, pages=[page, page]))
    clash = ConsolePage("other", "冲突", "/catalog", roles(), (PageRoute("/catalog", bookings),))
    with pytest.raises(ValueError, match="GET /catalog is registered twice"):
        create_app(services_for(site.engine, pages=[clash]))
    with pytest.raises(ValueError, match="at least 32"):
        services_for(site.engine, secret_key=b"short")
