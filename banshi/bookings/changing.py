"""Cancelling and moving a booking in chat ("取消预约", "改到下周四上午").

The booking is found among the citizen's upcoming ones (asked by number when there are
several). Moving goes through the same day and slot steps as booking, then
:func:`banshi.bookings.service.reschedule`; each outcome is said back with the number.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from banshi.bookings import reading, texts
from banshi.bookings.ledger import find_booking
from banshi.bookings.service import cancel, reschedule, upcoming
from banshi.bookings.slots import SlotBoard
from banshi.bookings.states import BookingRefused, Refusal
from banshi.bookings.steps import (
    ANSWER_GISTS,
    Mode,
    Step,
    again,
    asking,
    done,
    join,
    place,
    state_at,
    wanted,
)
from banshi.conversation import Message, Outcome, TaskReply, TaskState
from banshi.db import session_scope

if TYPE_CHECKING:
    from banshi.bookings.desk import BookingDesk


def choose_booking(desk: BookingDesk, message: Message, mode: Mode) -> TaskReply:
    """ "取消预约" / "改约": the booking concerned, asked when there are several."""
    today = message.now.date()
    data: dict[str, Any] = {"mode": mode.value, **wanted(message)}
    with session_scope(desk.engine) as session:
        mine = upcoming(session, message.openid, today)
        typed = next((b for b in mine if b.number in message.text.upper()), None)
        if not mine:
            return done(texts.NO_BOOKINGS)
        if typed is None and len(mine) > 1:
            data["numbers"] = [b.number for b in mine]
            text = texts.which_booking(mine, mode is Mode.CANCEL, today)
            return asking(text, Step.WHICH, data)
        return _booking_chosen(desk, session, message, (typed or mine[0]).number, data)


def which(desk: BookingDesk, session: Session, message: Message, state: TaskState) -> TaskReply:
    offered = [str(n) for n in state.data.get("numbers") or []]
    number = reading.choice(message, len(offered))
    typed = next((n for n in offered if n in message.text.upper()), None)
    if typed is None and (number is None or number < 1):
        if number is None and message.gist not in ANSWER_GISTS:
            return TaskReply([], state, Outcome.NOT_MINE)
        return again(state, texts.not_a_booking(len(offered)), desk.question(session, state))
    chosen = typed or offered[int(number or 1) - 1]
    return _booking_chosen(desk, session, message, chosen, dict(state.data))


def _booking_chosen(
    desk: BookingDesk, session: Session, message: Message, number: str, data: dict[str, Any]
) -> TaskReply:
    booking = find_booking(session, number)
    if booking is None:
        return done(texts.change_refused(Refusal.NOT_FOUND, None, None))
    data = {**data, "number": number, "item": booking.task_code, "hall": booking.hall_code}
    data.pop("numbers", None)
    today = message.now.date()
    if data["mode"] == Mode.CANCEL.value:
        return asking(texts.confirm_cancel(booking, today), Step.CANCEL, data)
    item, hall = place(session, state_at(Step.DAY, data))
    if item is None or hall is None:
        return done(texts.change_refused(Refusal.NOT_FOUND, None, None))
    if data.get("day"):
        return desk.show_day(
            session, message, item, hall, date.fromisoformat(data["day"]), data, []
        )
    days = SlotBoard(session, desk.config).nearest(item, hall, today, message.now)
    data["days"] = [d.day.isoformat() for d in days]
    text = texts.ask_new_day(booking, today) + "\n" + texts.days_offer(days, today)
    return asking(text, Step.DAY, data)


def cancel_step(desk: BookingDesk, message: Message, state: TaskState) -> TaskReply:
    """ "确认取消吗？" answered."""
    answer = reading.yes_no(message)
    if answer is None:
        if message.gist not in ANSWER_GISTS:
            return TaskReply([], state, Outcome.NOT_MINE)
        return again(state, texts.YES_OR_NO_CANCEL, "")
    if not answer:
        return done(texts.LEFT_CHANGE)
    number = str(state.data.get("number"))
    try:
        with session_scope(desk.engine) as own:
            gone = cancel(own, number, desk.config, openid=message.openid, now=message.now)
            return done(texts.cancelled(gone, message.now.date()))
    except BookingRefused as refused:
        return done(texts.change_refused(refused.refusal, None, refused.policy))


def move(
    desk: BookingDesk, session: Session, message: Message, data: dict[str, Any], lead: list[str]
) -> TaskReply:
    """The new slot is chosen: move the booking in a transaction of its own."""
    number, day = str(data.get("number")), date.fromisoformat(str(data["day"]))
    try:
        with session_scope(desk.engine) as own:
            moved = reschedule(
                own,
                number,
                day,
                str(data["slot"]),
                desk.config,
                openid=message.openid,
                now=message.now,
            )
            return done(join(lead, texts.moved(moved, message.now.date())))
    except BookingRefused as refused:
        if refused.refusal in (
            Refusal.SLOT_FULL,
            Refusal.DAY_UNAVAILABLE,
            Refusal.NO_SUCH_SLOT,
        ):
            item, hall = place(session, state_at(Step.DAY, data))
            if item is not None and hall is not None:
                why = [texts.refused(refused.refusal)]
                return desk.show_day(session, message, item, hall, day, data, why)
        if refused.refusal is Refusal.ALREADY_BOOKED_DAY:
            return done(texts.refused(refused.refusal, held=refused.number))
        return done(texts.change_refused(refused.refusal, None, refused.policy))
