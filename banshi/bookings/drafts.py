"""The personal answers of a booking being prepared in chat, encrypted in their own row.

The dialogue state lives in a Rasa slot, stored in clear in the tracker; it holds only this
row's id. The row is deleted when the booking is made or the citizen leaves, and
:func:`purge_drafts` removes abandoned ones (run it with the reminders).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from banshi.bookings.models import BookingDraft
from banshi.bookings.people import Applicant
from banshi.privacy.crypto import CipherError, FieldCipher

FIELDS = ("name", "mobile", "id", "companion_name", "companion_id")


def new_draft(session: Session, openid: str, now: datetime) -> BookingDraft:
    draft = BookingDraft(openid=openid, created_at=now, updated_at=now)
    session.add(draft)
    session.flush()
    return draft


def get_draft(session: Session, draft_id: object, openid: str) -> BookingDraft | None:
    """The citizen's own draft; None for another citizen's id or a purged one."""
    if not isinstance(draft_id, int):
        return None
    draft = session.get(BookingDraft, draft_id)
    return draft if draft is not None and draft.openid == openid else None


def draft_by_id(session: Session, draft_id: object) -> BookingDraft | None:
    """The draft a task state points at (the state is the citizen's own; "继续" has no openid)."""
    return session.get(BookingDraft, draft_id) if isinstance(draft_id, int) else None


def put(
    draft: BookingDraft, cipher: FieldCipher, field: str, value: str | None, now: datetime
) -> None:
    if field not in FIELDS:
        raise ValueError(f"unknown draft field {field}")
    setattr(draft, f"{field}_enc", cipher.encrypt(value) if value is not None else None)
    draft.updated_at = now


def read(draft: BookingDraft, cipher: FieldCipher, field: str) -> str | None:
    token = getattr(draft, f"{field}_enc")
    if not token:
        return None
    try:
        return cipher.decrypt(token)
    except CipherError:
        return None  # the key changed since: the answer is asked again


def applicant(draft: BookingDraft, cipher: FieldCipher) -> Applicant | None:
    """The applicant once name, mobile and ID number are all given."""
    name, mobile, id_number = (read(draft, cipher, f) for f in ("name", "mobile", "id"))
    if not (name and mobile and id_number):
        return None
    return Applicant(
        name,
        mobile,
        id_number,
        read(draft, cipher, "companion_name"),
        read(draft, cipher, "companion_id"),
    )


def drop_draft(session: Session, draft_id: object) -> None:
    if isinstance(draft_id, int):
        session.execute(delete(BookingDraft).where(BookingDraft.id == draft_id))


def purge_drafts(session: Session, before: datetime) -> int:
    """Delete drafts untouched since ``before``; returns how many."""
    result = session.execute(delete(BookingDraft).where(BookingDraft.updated_at < before))
    return int(result.rowcount or 0)
