"""A ticket while the citizen is still telling it: a row of its own, never the chat's state.

The conversation's state lives in a Rasa slot and may hold no personal data, so the content
and phone go here (masked and encrypted like a filed ticket) and the state keeps the id.
Photos are the citizen's image messages the WeChat channel stored in ``wechat_attachment``
(read by table name: the domain does not import the channel) after the photo question.
A draft left half-way is removed by :func:`purge_drafts`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, delete, func, select
from sqlalchemy.orm import Session

from banshi.privacy.crypto import FieldCipher
from banshi.privacy.idnumbers import mask_mobile
from banshi.tickets.kinds import Source, TicketKind
from banshi.tickets.lifecycle import NewTicket, protect
from banshi.tickets.models import TicketDraft

_attachment = Table(
    "wechat_attachment",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("openid", String(64)),
    Column("kind", String(20)),
    Column("received_at", DateTime),
)
PHOTO_KIND = "image"


def new_draft(
    session: Session, openid: str, kind: TicketKind, source: Source, now: datetime
) -> TicketDraft:
    draft = TicketDraft(
        openid=openid,
        kind=kind.value,
        source=source.value,
        content_masked="",
        anonymous=False,
        attachment_ids=[],
        phone_masked="",
        created_at=now,
    )
    session.add(draft)
    session.flush()
    return draft


def get_draft(session: Session, draft_id: object, openid: str) -> TicketDraft | None:
    """The citizen's draft, or None (gone, or the id is not theirs)."""
    if not isinstance(draft_id, int):
        return None
    return session.execute(
        select(TicketDraft).where(TicketDraft.id == draft_id, TicketDraft.openid == openid)
    ).scalar_one_or_none()


def set_content(draft: TicketDraft, cipher: FieldCipher, text: str) -> None:
    draft.content_masked, draft.content_encrypted = protect(cipher, text.strip())


def set_phone(draft: TicketDraft, cipher: FieldCipher, mobile: str | None) -> None:
    """The call-back number (already normalised), or None for no call."""
    draft.phone_encrypted = cipher.encrypt(mobile) if mobile else None
    draft.phone_masked = mask_mobile(mobile) if mobile else ""


def photo_mark(session: Session, openid: str) -> int:
    """The newest attachment id the citizen has now: photos after it belong to the draft."""
    return int(
        session.execute(
            select(func.coalesce(func.max(_attachment.c.id), 0)).where(
                _attachment.c.openid == openid
            )
        ).scalar_one()
    )


def photos_since(session: Session, openid: str, mark: int, limit: int) -> list[int]:
    """Ids of the images the citizen sent after ``mark``, oldest first, at most ``limit``."""
    return [
        int(i)
        for i in session.execute(
            select(_attachment.c.id)
            .where(
                _attachment.c.openid == openid,
                _attachment.c.kind == PHOTO_KIND,
                _attachment.c.id > mark,
            )
            .order_by(_attachment.c.id)
            .limit(limit)
        ).scalars()
    ]


def to_new_ticket(draft: TicketDraft) -> NewTicket:
    return NewTicket(
        openid=draft.openid,
        kind=TicketKind(draft.kind),
        content_masked=draft.content_masked,
        content_encrypted=draft.content_encrypted,
        source=Source(draft.source),
        item_code=draft.item_code,
        hall_code=draft.hall_code,
        anonymous=bool(draft.anonymous),
        attachment_ids=tuple(int(i) for i in draft.attachment_ids or []),
        phone_encrypted=None if draft.anonymous else draft.phone_encrypted,
        phone_masked="" if draft.anonymous else draft.phone_masked,
    )


def drop_draft(session: Session, draft_id: object) -> None:
    if isinstance(draft_id, int):
        session.execute(delete(TicketDraft).where(TicketDraft.id == draft_id))


def purge_drafts(session: Session, before: datetime) -> int:
    """Remove drafts started before ``before`` (left half-way); how many went."""
    result = session.execute(delete(TicketDraft).where(TicketDraft.created_at < before))
    return int(result.rowcount or 0)
