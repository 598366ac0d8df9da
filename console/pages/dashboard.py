"""The dashboard: today at a glance, as cards.

Cards come from a registry: the built-in ones (last sync, unanswered questions) and those
features register (:class:`~console.services.DashboardCard`). A card planned for a feature
that is not installed yet shows 未开通 until a card with its key is registered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from banshi.db import session_scope
from banshi.models import SyncRun
from banshi.staff.roles import EVERYONE, Role, roles
from banshi.unanswered import count_unanswered, unanswered_groups
from console import texts
from console.pagekit import render, services_of, staff_of
from console.rendering import when
from console.services import CardTone, CardView, ConsolePage, DashboardCard, PageRoute, StaffUser

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedCard:
    title: str
    roles: frozenset[Role]
    order: int


# Cards of features being built now; each shows 未开通 until its feature registers the key.
PLANNED_CARDS: dict[str, PlannedCard] = {
    "bookings": PlannedCard("今日预约（各大厅）", roles(Role.WINDOW), 10),
    "handoffs": PlannedCard("等待人工接待", roles(Role.WINDOW, Role.DISPATCHER), 20),
    "tickets": PlannedCard("临近期限的工单", roles(Role.DISPATCHER), 30),
    "ratings": PlannedCard("本周好差评", roles(Role.REVIEWER), 40),
    "calendar": PlannedCard("节假日日历", EVERYONE, 80),
}

SYNC_STATUS = {
    "ok": "成功",
    "unchanged": "无变化",
    "not_modified": "未修改（304）",
    "failed": "失败",
}


def last_sync_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
    run = session.execute(select(SyncRun).order_by(SyncRun.id.desc()).limit(1)).scalar_one_or_none()
    if run is None:
        return CardView("尚未同步", "事项目录", ("还没有同步过事项目录。",), "/catalog/syncs")
    rejected = int((run.counts or {}).get("rejected", 0))
    kind = "大厅" if run.kind == "halls" else "事项"
    lines = [f"{when(run.started_at)} · {kind}", (run.message or "")[:80]]
    if rejected:
        lines.append(f"拒收 {rejected} 条记录，点击查看原因。")
    tone = CardTone.ATTENTION if run.status == "failed" or rejected else CardTone.NORMAL
    return CardView(
        SYNC_STATUS.get(run.status, run.status),
        "最近一次目录同步",
        tuple(line for line in lines if line),
        f"/catalog/syncs/{run.id}",
        tone,
    )


def unanswered_card(session: Session, staff: StaffUser, now: datetime) -> CardView:
    since = now - timedelta(days=7)
    waiting = count_unanswered(session, since)
    groups = unanswered_groups(session, since)[:3]
    lines = tuple(f"{g.label}（{g.count} 次）" for g in groups)
    tone = CardTone.ATTENTION if waiting else CardTone.NORMAL
    return CardView(str(waiting), "近 7 天未解决的提问", lines, "/unanswered", tone)


BUILT_IN_CARDS = (
    DashboardCard("last_sync", "目录同步", EVERYONE, last_sync_card, order=60),
    DashboardCard(
        "unanswered",
        "未解决的提问",
        roles(Role.DISPATCHER, Role.REVIEWER),
        unanswered_card,
        order=70,
    ),
)


@dataclass(frozen=True)
class ShownCard:
    key: str
    title: str
    view: CardView


def _placeholder(planned: PlannedCard) -> CardView:
    return CardView(texts.OFF, "", (texts.OFF_LINE,), None, CardTone.OFF)


def cards_for(
    engine: Engine,
    staff: StaffUser,
    now: datetime,
    registered: Sequence[DashboardCard],
    only: frozenset[str] | None = None,
) -> list[ShownCard]:
    """The cards ``staff`` may see, in order; planned ones without a registration are
    placeholders. ``only`` limits them to some keys (a page that shows one card)."""
    by_key = {c.key: c for c in (*BUILT_IN_CARDS, *registered)}
    slots: list[tuple[int, str, ShownCard]] = []
    for key, planned in PLANNED_CARDS.items():
        if key not in by_key and staff.may(planned.roles) and (only is None or key in only):
            slots.append((planned.order, key, ShownCard(key, planned.title, _placeholder(planned))))
    for key, card in by_key.items():
        if not staff.may(card.roles) or (only is not None and key not in only):
            continue
        try:
            with session_scope(engine) as session:  # one each: a failed card spoils no other
                view = card.render(session, staff, now)
        except Exception as exc:  # a broken card must not take the dashboard down
            log.error("dashboard card %s failed: %s", key, type(exc).__name__)
            view = CardView("—", "", (texts.CARD_FAILED,), None, CardTone.ATTENTION)
        order = PLANNED_CARDS[key].order if key in PLANNED_CARDS else card.order
        slots.append((order, key, ShownCard(key, card.title, view)))
    return [shown for _, _, shown in sorted(slots, key=lambda s: (s[0], s[1]))]


def dashboard(request: Request) -> Response:
    services = services_of(request)
    shown = cards_for(services.engine, staff_of(request), services.now(), services.cards)
    return render(request, "dashboard.html", {"cards": shown})


def page() -> ConsolePage:
    return ConsolePage(
        key="dashboard",
        title="概览",
        path="/",
        roles=EVERYONE,
        order=0,
        routes=(PageRoute("/", dashboard, name="dashboard"),),
    )
