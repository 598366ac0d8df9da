"""Links to the pages a citizen receives in the chat (notices now; replies, bookings later).

Each link is a capability: the page's number plus a token only the server can make
(:mod:`banshi.privacy.links`). The number stays short and readable for the window; the token
keeps anyone from opening BS2026000001, 002, … in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from banshi.privacy.links import check_link_token, link_token


class PageKind(str, Enum):
    """Each kind of page a citizen may receive a link to; the value signs the token."""

    NOTICE = "notice"  # /notices/{number}: 一次性告知单
    TICKET = "ticket"  # /tickets/{number}: a ticket's replies
    HOT_ISSUE = "hot_issue"  # /hot-issues/{number}: a published hot issue (政府端菜)
    BOOKING = "booking"  # /bookings/{number}: a booking's details

    @property
    def path(self) -> str:
        return _PATHS[self]


_PATHS = {
    PageKind.NOTICE: "notices",
    PageKind.TICKET: "tickets",
    PageKind.HOT_ISSUE: "hot-issues",
    PageKind.BOOKING: "bookings",
}


@dataclass(frozen=True)
class Links:
    """Where citizens open pages (``BANSHI_PUBLIC_URL``) and the key that signs the links."""

    public_url: str
    secret: bytes

    def url(self, kind: PageKind, number: str) -> str:
        base = self.public_url.rstrip("/")
        return f"{base}/{kind.path}/{number}?t={link_token(self.secret, kind.value, number)}"

    def opens(self, kind: PageKind, number: str, token: str) -> bool:
        """Whether ``token`` opens ``number``'s page (constant-time)."""
        return check_link_token(self.secret, kind.value, number, token)

    def notice(self, number: str) -> str:
        return self.url(PageKind.NOTICE, number)
