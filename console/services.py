"""What the console is given, and the seam features use to add pages and dashboard cards.

The console is an adapter: it knows the domain (:mod:`banshi`) and the web (Starlette,
Jinja2), nothing else. Everything outside arrives here, injected by whoever starts it
(``banshi console`` / ``banshi run``): the database engine, the secret key, a function that
runs a catalog sync, a function that reads a citizen's recent conversation, and the pages and
cards of features (bookings, tickets, handoffs, surveys, ratings) that register themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from banshi.staff.login import LoginPolicy
from banshi.staff.passwords import DEFAULT_HASHING, PasswordHashing
from banshi.staff.roles import Role, allows
from banshi.staff.sessions import SessionPolicy

MIN_SECRET_BYTES = 32

# (when, who, text): who is "user" (the citizen), "bot" (the assistant) or another speaker.
ConversationTurn = tuple[datetime, str, str]
ConversationReader = Callable[[str], Sequence[ConversationTurn]]
# Runs a catalog sync of one URL and returns a summary like ``banshi catalog sync --json``:
# sync_id, source, kind, status, counts, seconds, rejections, message (missing keys are fine).
SyncTrigger = Callable[[str], Mapping[str, Any]]
# A page handler: plain functions run in a worker thread (they may use the database freely);
# coroutines run on the event loop and must not block.
Endpoint = Callable[[Request], Response | Awaitable[Response]]


@dataclass(frozen=True)
class StaffUser:
    """The signed-in staff member, as every page handler and card sees them."""

    id: int
    username: str
    role: Role
    hall_code: str | None
    must_change_password: bool

    def may(self, roles: frozenset[Role]) -> bool:
        return allows(roles, self.role)


@dataclass(frozen=True)
class PageRoute:
    """One URL of a page. ``roles`` narrows the page's roles for this route (an action only
    some may take); ``None`` means the page's own roles. Every POST is CSRF-checked."""

    path: str
    endpoint: Endpoint
    methods: tuple[str, ...] = ("GET",)
    roles: frozenset[Role] | None = None
    name: str | None = None


@dataclass(frozen=True)
class ConsolePage:
    """A feature's part of the console: its routes, its entry in the navigation, who may
    open it. The console refuses (403) a route to anyone outside its roles, so a page never
    checks roles itself. Templates of the feature live in ``templates`` (a folder), named
    ``<key>/….html`` to stay apart from other features'."""

    key: str
    title: str  # the navigation label, e.g. "预约"
    path: str  # where the navigation entry points
    roles: frozenset[Role]
    routes: tuple[PageRoute, ...]
    order: int = 50
    templates: Path | None = None
    in_nav: bool = True


class CardTone(str, Enum):
    NORMAL = "normal"
    ATTENTION = "attention"  # something waits for the staff (overdue, failed, many waiting)
    OFF = "off"  # 未开通: the feature is not installed yet


@dataclass(frozen=True)
class CardView:
    """What a dashboard card shows: a headline value, a caption, a few lines, a link."""

    value: str
    caption: str = ""
    lines: tuple[str, ...] = ()
    link: str | None = None
    tone: CardTone = CardTone.NORMAL


CardRenderer = Callable[[Session, StaffUser, datetime], CardView]


@dataclass(frozen=True)
class DashboardCard:
    """A card on the dashboard. A card whose ``key`` is one of :data:`PLANNED_CARDS`
    replaces that card's 未开通 placeholder. ``render`` runs in a worker thread inside a
    read-only transaction; if it raises, the card says it cannot be shown."""

    key: str
    title: str
    roles: frozenset[Role]
    render: CardRenderer
    order: int = 50


@dataclass(frozen=True)
class ConsoleServices:
    """Everything the console needs from outside.

    ``secret_key`` (at least 32 bytes) signs the CSRF tokens; keep it stable across restarts
    and processes. ``cookie_secure`` must stay True behind HTTPS (the default); set it False
    only for plain-HTTP use on localhost. ``clock`` is injectable so tests can move time.
    """

    engine: Engine
    secret_key: bytes
    trigger_sync: SyncTrigger | None = None
    conversation_reader: ConversationReader | None = None
    cookie_secure: bool = True
    pages: Sequence[ConsolePage] = ()
    cards: Sequence[DashboardCard] = ()
    login_policy: LoginPolicy = field(default_factory=LoginPolicy)
    session_policy: SessionPolicy = field(default_factory=SessionPolicy)
    password_hashing: PasswordHashing = DEFAULT_HASHING
    clock: Callable[[], datetime] = datetime.now

    def __post_init__(self) -> None:
        if len(self.secret_key) < MIN_SECRET_BYTES:
            raise ValueError(
                f"ConsoleServices.secret_key has {len(self.secret_key)} bytes; "
                f"give it at least {MIN_SECRET_BYTES} random bytes (e.g. from BANSHI_SECRET_KEY)"
            )

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)
