"""The person and the confirmation: name, mobile and ID number (and the other party's where
both must come) read into the encrypted draft, each re-asked with the reason when it cannot be
right; then the summary, and "确认" books in a transaction of its own."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from banshi.bookings import drafts, reading, texts
from banshi.bookings.people import NameProblem, read_id_number, read_mobile
from banshi.bookings.policy import policy_for
from banshi.bookings.service import book
from banshi.bookings.slots import SlotBoard
from banshi.bookings.states import BookingRefused, Refusal
from banshi.bookings.steps import (
    ANSWER_GISTS,
    Step,
    again,
    asking,
    done,
    join,
    place,
    stamp,
    state_at,
    wanted,
    window_of,
)
from banshi.conversation import Gist, Message, Outcome, TaskReply, TaskState
from banshi.models import Hall, Item

if TYPE_CHECKING:
    from banshi.bookings.desk import BookingDesk


def personal(
    desk: BookingDesk, session: Session, message: Message, state: TaskState, step: Step
) -> TaskReply:
    """Name, mobile, ID number (and the other party's) into the encrypted draft."""
    draft = drafts.get_draft(session, state.data.get("draft"), message.openid)
    if draft is None:
        return desk.lost(state)
    if message.gist in (Gist.TASK, Gist.QUESTION):
        return TaskReply([], state, Outcome.NOT_MINE)
    now, text, data = message.now, message.text, dict(state.data)
    if step in (Step.NAME, Step.COMPANION_NAME):
        name = reading.name_of(text)
        if isinstance(name, NameProblem):
            return again(state, texts.NAME_PROBLEMS[name], "")
        field = "name" if step is Step.NAME else "companion_name"
        drafts.put(draft, desk.cipher, field, name, now)
        if step is Step.NAME:
            return asking(texts.ASK_MOBILE, Step.MOBILE, data)
        return asking(texts.ASK_COMPANION_ID, Step.COMPANION_ID, data)
    if step is Step.MOBILE:
        mobile = read_mobile(text)
        if mobile is None:
            return again(state, texts.BAD_MOBILE, "")
        drafts.put(draft, desk.cipher, "mobile", mobile, now)
        return asking(texts.ASK_ID, Step.ID_NUMBER, data)
    number = read_id_number(text)
    if not isinstance(number, str):
        return again(state, texts.ID_PROBLEMS[number], "")
    if step is Step.COMPANION_ID:
        if number == drafts.read(draft, desk.cipher, "id"):
            return again(state, texts.SAME_PERSON, "")
        drafts.put(draft, desk.cipher, "companion_id", number, now)
    else:
        drafts.put(draft, desk.cipher, "id", number, now)
        if data.get("parties") == 2 and not drafts.read(draft, desk.cipher, "companion_id"):
            return asking(texts.ASK_COMPANION_NAME, Step.COMPANION_NAME, data)
    state = state_at(Step.CONFIRM, {**data, "now": stamp(message)})
    return asking(desk.question(session, state), Step.CONFIRM, data)


def confirm_step(
    desk: BookingDesk, session: Session, message: Message, state: TaskState
) -> TaskReply:
    """The summary answered: 确认 books, a date or 否 changes the time, 重填 the person."""
    data = dict(state.data)
    if reading.wants_redo(message):
        return asking(texts.ask_name(True, int(data.get("parties") or 1)), Step.NAME, data)
    answer = reading.yes_no(message)
    if answer is None:
        spec = reading.date_in(message)
        item, hall = place(session, state)
        if spec is not None and item is not None and hall is not None:
            data = {**data, **wanted(message, keep_day=False)}
            return desk.show_day(session, message, item, hall, spec.day, data, [])
        if message.gist not in ANSWER_GISTS:
            return TaskReply([], state, Outcome.NOT_MINE)
        return again(state, texts.NOT_CONFIRMED, "")
    if not answer:
        item, hall = place(session, state)
        if item is None or hall is None:
            return desk.lost(state)
        board = SlotBoard(session, desk.config)
        days = board.nearest(item, hall, message.now.date(), message.now)
        data["days"] = [d.day.isoformat() for d in days]
        offer = texts.days_offer(days, message.now.date())
        return asking(join([texts.CHANGE_TIME], offer), Step.DAY, data)
    return _book(desk, session, message, state)


def _book(desk: BookingDesk, session: Session, message: Message, state: TaskState) -> TaskReply:
    data = dict(state.data)
    draft = drafts.get_draft(session, data.get("draft"), message.openid)
    item, hall = place(session, state)
    who = drafts.applicant(draft, desk.cipher) if draft is not None else None
    if who is None or item is None or hall is None:
        return desk.lost(state)
    day = date.fromisoformat(str(data["day"]))
    try:  # its own transaction: a refusal rolls back only the attempt
        made = book(
            desk.engine,
            task_code=item.task_code,
            hall_code=hall.code,
            day=day,
            start=str(data["slot"]),
            applicant=who,
            openid=message.openid,
            cipher=desk.cipher,
            config=desk.config,
            now=message.now,
        )
    except BookingRefused as refused:
        return _refused(desk, session, message, item, hall, day, data, refused)
    drafts.drop_draft(session, data.get("draft"))
    window = window_of(session, item, hall)
    policy = policy_for(session, item, hall.code, desk.config)
    return done(texts.booked(made.booking, item, hall, window, policy, message.now.date()))


def _refused(
    desk: BookingDesk,
    session: Session,
    message: Message,
    item: Item,
    hall: Hall,
    day: date,
    data: dict[str, Any],
    refused: BookingRefused,
) -> TaskReply:
    if refused.refusal in (Refusal.SLOT_FULL, Refusal.NO_SUCH_SLOT, Refusal.DAY_UNAVAILABLE):
        lead = [texts.refused(refused.refusal)]
        return desk.show_day(session, message, item, hall, day, data, lead)
    if refused.refusal is Refusal.COMPANION_NEEDED:
        data["parties"] = 2
        return asking(texts.ASK_COMPANION_NAME, Step.COMPANION_NAME, data)
    drafts.drop_draft(session, data.get("draft"))
    return done(texts.refused(refused.refusal, until=refused.until, held=refused.number))
