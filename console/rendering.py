"""Jinja2 templates: one base layout, the navigation a role may see, masking filters.

Autoescaping is on everywhere. Personal data reaches a template only through the masking
filters of :mod:`banshi.privacy`, unless a page has recorded a reveal in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from banshi.privacy.idnumbers import mask_id_number, mask_mobile, mask_name
from banshi.privacy.masking import mask_text
from console import texts
from console.services import ConsolePage, StaffUser

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class NavEntry:
    title: str
    path: str
    active: bool


def mask_openid(value: str | None) -> str:
    """``oAbC…9xYz``: enough to tell two citizens apart on screen, not to reach one."""
    if not value:
        return "—"
    return value if len(value) <= 8 else f"{value[:4]}…{value[-4:]}"


# Audit targets that name a citizen ("conversation:oAbc…"): shown masked like any openid.
_CITIZEN_TARGETS = ("conversation", "citizen", "openid")


def mask_target(target: str) -> str:
    kind, _, ref = target.partition(":")
    return f"{kind}:{mask_openid(ref)}" if kind in _CITIZEN_TARGETS and ref else target


def when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _under(path: str, section: str) -> bool:
    """Whether ``path`` belongs to the navigation entry at ``section`` ("/" only itself)."""
    return path == section or (section != "/" and path.startswith(section.rstrip("/") + "/"))


class Renderer:
    """Renders pages with what every page shows: the staff member, the navigation, the CSRF
    token, the confirmation of the last action."""

    def __init__(self, pages: Sequence[ConsolePage]) -> None:
        folders = [TEMPLATES, *(p.templates for p in pages if p.templates is not None)]
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            mask_text=mask_text,
            mask_mobile=mask_mobile,
            mask_id=mask_id_number,
            mask_name=mask_name,
            mask_openid=mask_openid,
            mask_target=mask_target,
            when=when,
        )
        self.env.globals["texts"] = texts
        self.pages = sorted((p for p in pages if p.in_nav), key=lambda p: (p.order, p.key))

    def nav(self, staff: StaffUser | None, path: str) -> list[NavEntry]:
        if staff is None or staff.must_change_password:
            return []
        return [
            NavEntry(p.title, p.path, _under(path, p.path))
            for p in self.pages
            if staff.may(p.roles)
        ]

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        staff: StaffUser | None = getattr(request.state, "staff", None)
        done = texts.DONE.get(request.query_params.get("done", ""), "")
        page = {
            "site_title": texts.TITLE,
            "staff": staff,
            "nav": self.nav(staff, request.url.path),
            "csrf_token": request.app.state.security.csrf_token(request),
            "done": done,
            "error": "",
            "path": request.url.path,
        }
        page.update(context or {})
        html = self.env.get_template(template).render(page)
        return HTMLResponse(html, status_code=status)
