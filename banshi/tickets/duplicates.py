"""Which open tickets may repeat this one (国办函〔2025〕66号: merge repeated 诉求).

Only the same citizen's tickets of the same type count; among them, one about the same item or hall, or whose
words mostly agree, is offered to the dispatcher, who merges with
:func:`banshi.tickets.lifecycle.merge` and a reason. Nothing is merged automatically: two
complaints about the same hall can be about two different days.
"""

from __future__ import annotations

from datetime import timedelta
from difflib import SequenceMatcher

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from banshi.tickets.models import OPEN_PREDICATE, Ticket

SIMILAR = 0.6  # share of matching characters for two contents to read as the same matter
WITHIN = timedelta(days=30)


def possible_duplicates(session: Session, ticket: Ticket) -> list[Ticket]:
    """The citizen's other open tickets of the last 30 days about the same matter."""
    if not ticket.openid:
        return []
    rows = session.execute(
        select(Ticket)
        .where(
            Ticket.openid == ticket.openid,
            Ticket.id != ticket.id,
            Ticket.created_at >= ticket.created_at - WITHIN,
            text(OPEN_PREDICATE),
        )
        .order_by(Ticket.id)
    ).scalars()
    found = []
    for other in rows:
        if other.kind != ticket.kind:
            continue  # a complaint and a praise of the same hall are two matters
        same_place = (ticket.item_code and other.item_code == ticket.item_code) or (
            ticket.hall_code and other.hall_code == ticket.hall_code
        )
        ratio = SequenceMatcher(None, ticket.content_masked, other.content_masked).ratio()
        if same_place or ratio >= SIMILAR:
            found.append(other)
    return found
