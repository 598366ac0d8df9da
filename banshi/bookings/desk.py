"""The booking desk: "我想预约办身份证换领" in chat, following the shared dialogue pattern.

Booking: the item (resolved like a guide question) → the hall, when several handle it → the
day in the citizen's words ("明天", "下周四上午"), or one of the nearest days with places →
a numbered slot with places left → name, mobile and ID number (the other party's name and ID
where both must come), each re-asked with the reason when it cannot be right → a summary and
"确认". The state keeps codes, dates and the draft's id; the personal answers are encrypted in
the draft row (:mod:`banshi.bookings.drafts`), never in the state. "我的预约" lists upcoming
bookings; "取消预约" and "改到下周四上午" ask which booking when there are several.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.bookings import drafts, reading, texts
from banshi.bookings.changing import cancel_step, choose_booking, move, which
from banshi.bookings.config import BookingConfig
from banshi.bookings.confirming import confirm_step, personal
from banshi.bookings.policy import policy_for
from banshi.bookings.questions import question
from banshi.bookings.service import upcoming
from banshi.bookings.slots import Slot, SlotBoard, find_item, halls_for, item_refusal
from banshi.bookings.states import Refusal
from banshi.bookings.steps import (
    ANSWER_GISTS,
    PERSONAL,
    Mode,
    Step,
    again,
    asking,
    done,
    join,
    place,
    stamp,
    stamped,
    state_at,
    time_of,
    wanted,
)
from banshi.conversation import (
    Gist,
    ItemPick,
    ItemPicker,
    Message,
    Outcome,
    Request,
    Task,
    TaskReply,
    TaskState,
    resume_hint,
)
from banshi.dates import HalfDay
from banshi.db import session_scope
from banshi.models import Hall, Item
from banshi.privacy.crypto import FieldCipher


class BookingDesk:
    """Appointments in chat (see the module docstring)."""

    task = Task.BOOKING
    requests = frozenset(
        {Request.BOOK, Request.MY_BOOKINGS, Request.CANCEL_BOOKING, Request.RESCHEDULE_BOOKING}
    )

    def __init__(
        self,
        engine: Engine,
        cipher: FieldCipher,
        picker: ItemPicker,
        config: BookingConfig | None = None,
    ) -> None:
        self.engine = engine
        self.cipher = cipher
        self.picker = picker
        self.config = config or BookingConfig()

    # ------------------------------------------------------------------ the Desk protocol

    def start(self, message: Message, request: Request, resume: TaskState | None) -> TaskReply:
        return stamped(self._start(message, request, resume), message)

    def answer(self, message: Message, state: TaskState) -> TaskReply:
        return stamped(self._answer(message, state), message)

    def repeat(self, state: TaskState) -> list[str]:
        step = Step(state.step)
        if step is Step.ITEM:
            return [texts.WHICH_ITEM]
        with session_scope(self.engine) as session:
            return [self.question(session, state)]

    def leave(self, state: TaskState) -> list[str]:
        self._drop_draft(state)
        mode = state.data.get("mode")
        return [texts.LEFT_BOOKING if mode in (None, Mode.BOOK.value) else texts.LEFT_CHANGE]

    # ------------------------------------------------------------------ turns

    def _start(self, message: Message, request: Request, resume: TaskState | None) -> TaskReply:
        if request is Request.MY_BOOKINGS:
            text = self.my_bookings(message.openid, message.now.date())
            after = [resume_hint(Task.BOOKING)] if resume is not None else []
            return TaskReply([text, *after], resume, Outcome.DONE)
        if request in (Request.CANCEL_BOOKING, Request.RESCHEDULE_BOOKING):
            self._drop_draft(resume)
            mode = Mode.CANCEL if request is Request.CANCEL_BOOKING else Mode.MOVE
            return choose_booking(self, message, mode)
        words = reading.item_words(message.text)
        pick = (
            self.picker.pick(words or message.text, [], message.item)
            if words or message.item
            else ItemPick(None)
        )
        nothing_new = pick.code is None and not pick.candidates
        if resume is not None and resume.task is Task.BOOKING and nothing_new:
            return TaskReply(self.repeat(resume), resume, Outcome.ASKING)
        self._drop_draft(resume)
        data: dict[str, Any] = {"mode": Mode.BOOK.value, **wanted(message)}
        if pick.code is not None:
            return self._item_chosen(message, pick.code, data, first=True)
        if pick.candidates:
            return asking(pick.messages, Step.ITEM, {**data, "candidates": pick.candidates})
        return asking(texts.WHICH_ITEM, Step.ITEM, {**data, "candidates": []})

    def _answer(self, message: Message, state: TaskState) -> TaskReply:
        step = Step(state.step)
        if step is Step.ITEM:
            return self._item(message, state)
        with session_scope(self.engine) as session:
            if step is Step.WHICH:
                return which(self, session, message, state)
            if step is Step.CANCEL:
                return cancel_step(self, message, state)
            if step is Step.HALL:
                return self._hall(session, message, state)
            if step is Step.DAY:
                return self._day(session, message, state)
            if step is Step.SLOT:
                return self._slot(session, message, state)
            if step in PERSONAL:
                return personal(self, session, message, state, step)
            return confirm_step(self, session, message, state)

    def question(self, session: Session, state: TaskState) -> str:
        """The question ``state`` stands at (see :mod:`banshi.bookings.questions`)."""
        return question(session, state, self.config, self.cipher)

    # ------------------------------------------------------------------ my bookings

    def my_bookings(self, openid: str, today: date) -> str:
        with session_scope(self.engine) as session:
            halls = {h.code: h for h in session.execute(select(Hall)).scalars()}
            return texts.my_bookings(upcoming(session, openid, today), halls, today)

    # ------------------------------------------------------------------ item and hall

    def _item(self, message: Message, state: TaskState) -> TaskReply:
        candidates = [str(c) for c in state.data.get("candidates") or []]
        asked_again = message.gist is Gist.TASK and message.request is Request.BOOK
        if not (message.gist in ANSWER_GISTS or asked_again or not candidates):
            return TaskReply([], state, Outcome.NOT_MINE)
        pick = self.picker.pick(message.text, candidates, None)
        data = {**state.data, **wanted(message)}
        if pick.code is not None:
            return self._item_chosen(message, pick.code, data, first=True)
        if pick.candidates:
            return asking(pick.messages, Step.ITEM, {**data, "candidates": pick.candidates})
        return again(state, texts.WHICH_ITEM, "")

    def _item_chosen(
        self, message: Message, code: str, data: dict[str, Any], first: bool
    ) -> TaskReply:
        with session_scope(self.engine) as session:
            item = find_item(session, code)
            if item is None:
                return asking(texts.WHICH_ITEM, Step.ITEM, {**data, "candidates": []})
            halls = halls_for(session, item)
            if not halls:
                return done(texts.NO_HALL.format(item=item.name))
            policy = policy_for(session, item, None, self.config)
            refusal = item_refusal(item, policy)
            if refusal is not None:
                today = message.now.date()
                return done(texts.no_slots_text(refusal, item, halls[0][0], today, policy, today))
            data = {**data, "item": code, "candidates": []}
            lead = [texts.starting(item)] if first else []
            if len(halls) > 1:
                data["halls"] = [h.code for h, _ in halls]
                return asking(join(lead, texts.which_hall(item, halls)), Step.HALL, data)
            return self._hall_chosen(session, message, item, halls[0][0], data, lead)

    def _hall(self, session: Session, message: Message, state: TaskState) -> TaskReply:
        offered = [str(c) for c in state.data.get("halls") or []]
        halls = {
            h.code: h for h in session.execute(select(Hall).where(Hall.code.in_(offered))).scalars()
        }
        number = reading.choice(message, len(offered))
        names = [halls[c].name if c in halls else "" for c in offered]
        named = reading.hall_named(message.text, names)
        item = find_item(session, str(state.data.get("item")))
        if item is None:
            return self.lost(state)
        if named is not None:
            number = named + 1
        if number is None or number < 1 or offered[number - 1] not in halls:
            if number is None and message.gist not in ANSWER_GISTS:
                return TaskReply([], state, Outcome.NOT_MINE)
            return again(state, texts.not_a_hall(len(offered)), self.question(session, state))
        hall = halls[offered[number - 1]]
        return self._hall_chosen(
            session, message, item, hall, {**state.data, "hall": hall.code}, []
        )

    def _hall_chosen(
        self,
        session: Session,
        message: Message,
        item: Item,
        hall: Hall,
        data: dict[str, Any],
        lead: list[str],
    ) -> TaskReply:
        data = {**data, "hall": hall.code}
        wanted = data.get("day")
        if wanted:
            return self.show_day(
                session, message, item, hall, date.fromisoformat(wanted), data, lead
            )
        board = SlotBoard(session, self.config)
        today = message.now.date()
        days = board.nearest(item, hall, today, message.now)
        data["days"] = [d.day.isoformat() for d in days]
        return asking(join(lead, texts.ask_day(item, hall, days, today)), Step.DAY, data)

    # ------------------------------------------------------------------ day and slot

    def show_day(
        self,
        session: Session,
        message: Message,
        item: Item,
        hall: Hall,
        day: date,
        data: dict[str, Any],
        lead: list[str],
    ) -> TaskReply:
        board = SlotBoard(session, self.config)
        policy = board.policy(item, hall)
        today = message.now.date()
        offered = board.day(item, hall, day, message.now, policy)
        data = {**data, "day": day.isoformat()}
        if not offered.has_places:
            assert offered.reason is not None
            days = board.nearest(item, hall, day, message.now, policy)
            data["days"] = [d.day.isoformat() for d in days]
            why = texts.no_slots_text(offered.reason, item, hall, day, policy, today)
            return asking(join(lead, why, texts.days_offer(days, today)), Step.DAY, data)
        half = HalfDay(data["half"]) if data.get("half") else None
        at = data.get("at")
        free = list(offered.free)
        named = reading.matching(free, half, time_of(at))
        if (half or at) and len(named) == 1:
            return self._slot_chosen(session, message, item, hall, named[0], data, lead)
        note = ""
        if named and (half or at):
            free = named
        elif half or at:
            when = texts.day_text(day, today)
            note = texts.NO_HALF_DAY.format(when=when, half=half.value if half else at)
        data["slots"] = [s.key for s in free]
        data.pop("half", None)
        data.pop("at", None)
        text = join(lead, note, texts.slots_offer(offered, free, hall, today))
        return asking(text, Step.SLOT, data)

    def _day(self, session: Session, message: Message, state: TaskState) -> TaskReply:
        offered = [date.fromisoformat(d) for d in state.data.get("days") or []]
        day = reading.day_named(message, offered)
        if not isinstance(day, date):
            if day is None and message.gist not in ANSWER_GISTS:
                return TaskReply([], state, Outcome.NOT_MINE)
            return again(state, texts.NOT_A_DAY, "")
        item, hall = place(session, state)
        if item is None or hall is None:
            return self.lost(state)
        data = {**state.data, **wanted(message, keep_day=False)}
        return self.show_day(session, message, item, hall, day, data, [])

    def _slot(self, session: Session, message: Message, state: TaskState) -> TaskReply:
        item, hall = place(session, state)
        if item is None or hall is None:
            return self.lost(state)
        spec = reading.date_in(message)
        day = date.fromisoformat(str(state.data["day"]))
        if spec is not None and spec.day != day:  # "换成明天吧"
            data = {**state.data, **wanted(message, keep_day=False)}
            return self.show_day(session, message, item, hall, spec.day, data, [])
        current = SlotBoard(session, self.config).day(item, hall, day, message.now)
        starts = [str(s) for s in state.data.get("slots") or []]
        offered = [s for s in (current.slot(k) for k in starts) if s is not None]
        picked = reading.slot_named(message, offered)
        if isinstance(picked, Slot):
            if picked.left <= 0:
                why = texts.refused(Refusal.SLOT_FULL)
                return self.show_day(session, message, item, hall, day, dict(state.data), [why])
            return self._slot_chosen(session, message, item, hall, picked, dict(state.data), [])
        if picked is None and message.gist not in ANSWER_GISTS:
            return TaskReply([], state, Outcome.NOT_MINE)
        return again(state, texts.not_a_slot(len(offered)), self.question(session, state))

    def _slot_chosen(
        self,
        session: Session,
        message: Message,
        item: Item,
        hall: Hall,
        slot: Slot,
        data: dict[str, Any],
        lead: list[str],
    ) -> TaskReply:
        data = {**data, "day": slot.day.isoformat(), "slot": slot.key}
        data.pop("slots", None)
        data.pop("days", None)
        if data.get("mode") == Mode.MOVE.value:
            return move(self, session, message, data, lead)
        chosen = texts.slot_chosen(slot, message.now.date())
        draft = drafts.get_draft(session, data.get("draft"), message.openid)
        if draft is None:
            draft = drafts.new_draft(session, message.openid, message.now)
            data["draft"] = draft.id
        if drafts.applicant(draft, self.cipher) is not None:
            state = state_at(Step.CONFIRM, {**data, "now": stamp(message)})
            return asking(join(lead, self.question(session, state)), Step.CONFIRM, data)
        parties = policy_for(session, item, hall.code, self.config).parties.value
        data["parties"] = parties
        return asking(join(lead, chosen + texts.ask_name(False, parties)), Step.NAME, data)

    # ------------------------------------------------------------------ helpers

    def lost(self, state: TaskState) -> TaskReply:
        """The state points at something gone (a purged draft, a removed item): start over."""
        self._drop_draft(state)
        return TaskReply(
            [texts.WHICH_ITEM], state_at(Step.ITEM, {"mode": Mode.BOOK.value}), Outcome.ASKING
        )

    def _drop_draft(self, state: TaskState | None) -> None:
        if state is not None and state.task is Task.BOOKING and state.data.get("draft"):
            with session_scope(self.engine) as session:
                drafts.drop_draft(session, state.data.get("draft"))
