"""The question a booking conversation stands at, rendered afresh from its state.

Used when the citizen says "继续" and when an answer is re-asked: places left change between
turns, so lists are rebuilt from the database, as of the time the question was first put.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from banshi.bookings import drafts, texts
from banshi.bookings.config import BookingConfig
from banshi.bookings.ledger import find_booking
from banshi.bookings.people import seal
from banshi.bookings.slots import DaySlots, SlotBoard, halls_for
from banshi.bookings.steps import PERSONAL, Mode, Step, now_of, place, window_of
from banshi.conversation import TaskState
from banshi.models import Hall, Item
from banshi.privacy.crypto import FieldCipher


def question(session: Session, state: TaskState, config: BookingConfig, cipher: FieldCipher) -> str:
    """The question the state stands at, rendered afresh (places left change)."""
    step, data = Step(state.step), state.data
    item, hall = place(session, state)
    now = now_of(state)
    today = now.date()
    if step is Step.WHICH:
        mine = [b for b in (find_booking(session, n) for n in data.get("numbers") or []) if b]
        return texts.which_booking(mine, data.get("mode") == Mode.CANCEL.value, today)
    if step is Step.CANCEL:
        booking = find_booking(session, str(data.get("number")))
        return texts.confirm_cancel(booking, today) if booking else texts.NO_BOOKINGS
    if item is None:
        return texts.WHICH_ITEM
    if step is Step.HALL:
        return texts.which_hall(item, halls_for(session, item))
    if hall is None:
        return texts.WHICH_ITEM
    if step is Step.DAY:
        return texts.ask_day(item, hall, _days(session, item, hall, data, now, config), today)
    if step is Step.SLOT:
        day = date.fromisoformat(str(data["day"]))
        offered = SlotBoard(session, config).day(item, hall, day, now)
        slots = [s for s in (offered.slot(str(k)) for k in data.get("slots") or []) if s]
        return texts.slots_offer(offered, slots, hall, today)
    if step is Step.NAME:
        return texts.ask_name(True, int(data.get("parties") or 1))
    if step in PERSONAL:
        return {
            Step.MOBILE: texts.ASK_MOBILE,
            Step.ID_NUMBER: texts.ASK_ID,
            Step.COMPANION_NAME: texts.ASK_COMPANION_NAME,
            Step.COMPANION_ID: texts.ASK_COMPANION_ID,
        }[step]
    return _summary(session, state, item, hall, now, config, cipher)


def _summary(
    session: Session,
    state: TaskState,
    item: Item,
    hall: Hall,
    now: datetime,
    config: BookingConfig,
    cipher: FieldCipher,
) -> str:
    draft = drafts.draft_by_id(session, state.data.get("draft"))
    who = drafts.applicant(draft, cipher) if draft is not None else None
    day = date.fromisoformat(str(state.data["day"]))
    today = now.date()
    offered = SlotBoard(session, config).day(item, hall, day, now)
    slot = offered.slot(str(state.data.get("slot")))
    if who is None or slot is None:
        return texts.NOT_CONFIRMED

    sealed = seal(cipher, who)
    masked = [sealed.name_masked, sealed.mobile_masked, sealed.id_masked]
    window = window_of(session, item, hall)
    return texts.summary(item, hall, window, slot, masked, sealed.companion_masked, today)


def _days(
    session: Session,
    item: Item,
    hall: Hall,
    data: dict[str, Any],
    now: datetime,
    config: BookingConfig,
) -> list[DaySlots]:
    board = SlotBoard(session, config)
    days = [date.fromisoformat(d) for d in data.get("days") or []]
    return [d for d in (board.day(item, hall, day, now) for day in days) if d.has_places]
