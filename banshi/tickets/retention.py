"""A citizen who unsubscribes is forgotten; the tickets they filed stay, as records of a service.

WeChat's rules ask an account to delete a user's data on ``unsubscribe``. A ticket is a
record of a government service (its content is what the department answered), so it stays,
but nothing in it still points at the person: no OpenID, no phone, and only the masked
content (the encrypted original goes). Drafts and messages still owed to them are deleted.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from banshi.tickets.models import OutboxMessage, Ticket, TicketDraft


def forget_citizen(session: Session, openid: str) -> int:
    """Unlink the citizen's tickets and delete their drafts and undelivered messages; how
    many rows changed."""
    changed = session.execute(
        update(Ticket)
        .where(Ticket.openid == openid)
        .values(
            openid=None,
            phone_encrypted=None,
            phone_masked="",
            content_encrypted=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    changed += session.execute(
        delete(TicketDraft)
        .where(TicketDraft.openid == openid)
        .execution_options(synchronize_session=False)
    ).rowcount
    changed += session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.openid == openid)
        .execution_options(synchronize_session=False)
    ).rowcount
    return int(changed)
