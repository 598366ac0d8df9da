"""The ticket desk: a complaint, report, suggestion, praise, consultation or request for help,
told in the citizen's own words, read back, and filed with a number and a reply date.

Steps (only those that apply): the content (unless the first message already says it) → the
item concerned when the words name several → 匿名 or 实名 (举报 only) → photos (not for 咨询
and 表扬) → a call-back number, only if the citizen wants a call (not for 表扬 or an anonymous
举报) → the read-back and 确认. The state keeps the draft's id; the words and the phone are in
the draft row (:mod:`banshi.tickets.drafts`). "我的工单" is answered here too, and
:meth:`TicketDesk.offer` turns a question the assistant could not answer into a 咨询.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.calendar.workdays import WorkCalendar
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
)
from banshi.db import session_scope
from banshi.privacy.crypto import FieldCipher
from banshi.privacy.idnumbers import normalize_mobile
from banshi.tickets import drafts, reading, status, texts
from banshi.tickets.config import TicketConfig
from banshi.tickets.deadlines import WorkingDays
from banshi.tickets.kinds import Source, TicketKind, kind_in_words
from banshi.tickets.lifecycle import file_ticket
from banshi.tickets.models import TicketDraft
from banshi.tickets.numbering import is_ticket_number
from banshi.tickets.places import describe_concerned, find_hall


class Step(str, Enum):
    CONTENT = "content"
    ITEM = "item"
    ANONYMOUS = "anonymous"
    PHOTOS = "photos"
    PHONE = "phone"
    CONFIRM = "confirm"
    OFFER = "offer"  # an unanswered question offered as a 咨询


DEFAULT_KIND = {
    Request.COMPLAIN: TicketKind.COMPLAINT,
    Request.SUGGEST: TicketKind.SUGGESTION,
    Request.CONSULT: TicketKind.CONSULT,
}


def steps_for(kind: TicketKind, anonymous: bool) -> list[Step]:
    """The questions after the content, in order (the item is asked only when unclear)."""
    steps = [Step.ITEM]
    if kind is TicketKind.REPORT:
        steps.append(Step.ANONYMOUS)
    if kind not in (TicketKind.CONSULT, TicketKind.PRAISE):
        steps.append(Step.PHOTOS)
    if kind is not TicketKind.PRAISE and not anonymous:
        steps.append(Step.PHONE)
    steps.append(Step.CONFIRM)
    return steps


class TicketDesk:
    """Files tickets in chat (see the module docstring)."""

    task = Task.TICKET
    requests = frozenset({Request.COMPLAIN, Request.SUGGEST, Request.CONSULT, Request.MY_TICKETS})

    def __init__(
        self,
        engine: Engine,
        cipher: FieldCipher,
        picker: ItemPicker,
        config: TicketConfig | None = None,
        calendar: Callable[[Session], WorkingDays] = WorkCalendar,
    ) -> None:
        self.engine = engine
        self.cipher = cipher
        self.picker = picker
        self.config = config or TicketConfig()
        self.calendar = calendar

    # ------------------------------------------------------------------ the Desk protocol

    def start(self, message: Message, request: Request, resume: TaskState | None) -> TaskReply:
        if request is Request.MY_TICKETS:
            return TaskReply([self.my_tickets(message.openid)], resume, Outcome.DONE)
        said = reading.substantive(message.text)
        if resume is not None and resume.task is Task.TICKET and not said:
            return TaskReply(self.repeat(resume), resume, Outcome.ASKING)
        kind = kind_in_words(message.text) or DEFAULT_KIND.get(request, TicketKind.CONSULT)
        pick = self._pick(message.text, message.item) if said else None
        with session_scope(self.engine) as session:
            if resume is not None:
                drafts.drop_draft(session, resume.data.get("draft"))
            draft = drafts.new_draft(session, message.openid, kind, Source.CHAT, message.now)
            state = TaskState(Task.TICKET, Step.CONTENT.value, {"draft": draft.id, "passed": []})
            lead = [texts.START_LINE[kind]]
            if not said:
                return TaskReply([lead[0] + texts.ASK_CONTENT[kind]], state, Outcome.ASKING)
            drafts.set_content(draft, self.cipher, message.text)
            self._locate(session, draft, state, message.text, pick)
            return self._next(session, draft, state, lead)

    def answer(self, message: Message, state: TaskState) -> TaskReply:
        step = Step(state.step)
        if step is Step.OFFER:
            return self._offered(message, state)
        if step is Step.ITEM:
            return self._item(message, state)
        # Resolve before the transaction: the picker reads the catalog on its own connection.
        content = step is Step.CONTENT and reading.substantive(message.text)
        pick = self._pick(message.text, message.item) if content else None
        with session_scope(self.engine) as session:
            draft = drafts.get_draft(session, state.data.get("draft"), message.openid)
            if draft is None:  # purged, or a stale state: start over politely
                return TaskReply([texts.left(TicketKind.CONSULT)], None, Outcome.CANCELLED)
            if step is Step.CONTENT:
                return self._content(session, draft, message, state, pick)
            handler = {
                Step.ANONYMOUS: self._anonymous,
                Step.PHOTOS: self._photos,
                Step.PHONE: self._phone,
                Step.CONFIRM: self._confirm,
            }[step]
            return handler(session, draft, message, state)

    def repeat(self, state: TaskState) -> list[str]:
        step = Step(state.step)
        if step is Step.OFFER:
            return [texts.ASK_OFFER]
        if step is Step.ITEM:
            return [*state.data.get("ask", []), texts.ASK_ITEM_SUFFIX]
        with session_scope(self.engine) as session:
            draft = session.get(TicketDraft, state.data.get("draft"))
            if draft is None:
                return [texts.ASK_CONTENT[TicketKind.CONSULT]]
            return [self._question(session, draft, step)]

    def leave(self, state: TaskState) -> list[str]:
        kind = TicketKind.CONSULT
        with session_scope(self.engine) as session:
            draft = session.get(TicketDraft, state.data.get("draft"))
            if draft is not None:
                kind = TicketKind(draft.kind)
            drafts.drop_draft(session, state.data.get("draft"))
        return [texts.left(kind)]

    # ------------------------------------------------------------------ entry points

    def my_tickets(self, openid: str) -> str:
        """ "我的工单": the citizen's tickets with their progress."""
        with session_scope(self.engine) as session:
            return status.my_tickets_text(session, openid)

    def show(self, message: Message) -> list[str] | None:
        """A ticket number typed alone → that ticket's progress and replies; None otherwise."""
        if not is_ticket_number(message.text):
            return None
        with session_scope(self.engine) as session:
            return [status.ticket_text(session, message.openid, message.text)]

    def claim(self, message: Message, picking: bool) -> TaskReply | None:
        """A ticket number typed alone is this desk's (:class:`banshi.conversation.Claims`)."""
        shown = self.show(message)
        return TaskReply(shown, None, Outcome.DONE) if shown is not None else None

    def offer(self, message: Message) -> TaskReply:
        """The assistant could not answer twice in a row: offer to file the question as a 咨询."""
        with session_scope(self.engine) as session:
            draft = drafts.new_draft(
                session, message.openid, TicketKind.CONSULT, Source.UNANSWERED, message.now
            )
            drafts.set_content(draft, self.cipher, message.text)
            state = TaskState(Task.TICKET, Step.OFFER.value, {"draft": draft.id, "passed": []})
        return TaskReply([texts.ASK_OFFER], state, Outcome.ASKING)

    # ------------------------------------------------------------------ steps

    def _pick(self, text: str, hint: str | None, candidates: list[str] | None = None) -> ItemPick:
        return self.picker.pick(text, candidates or [], hint)

    def _locate(
        self,
        session: Session,
        draft: TicketDraft,
        state: TaskState,
        text: str,
        pick: ItemPick | None,
    ) -> None:
        """Note the hall and item the content names; a list to choose from when unclear."""
        hall = find_hall(session, text)
        if hall is not None:
            draft.hall_code = hall.code
        if pick is None:
            return
        if pick.code:
            draft.item_code = pick.code
        elif pick.candidates and hall is None and draft.item_code is None:
            state.data["candidates"] = list(pick.candidates)
            state.data["ask"] = list(pick.messages)

    def _next(
        self, session: Session, draft: TicketDraft, state: TaskState, lead: list[str]
    ) -> TaskReply:
        """Ask the first question not yet passed."""
        passed = set(state.data.get("passed", []))
        for step in steps_for(TicketKind(draft.kind), bool(draft.anonymous)):
            if step.value in passed:
                continue
            if step is Step.ITEM and not state.data.get("candidates"):
                continue
            if step is Step.PHOTOS:
                state.data["mark"] = drafts.photo_mark(session, draft.openid)
            data = {**state.data, "passed": sorted(passed)}
            asked = TaskState(Task.TICKET, step.value, data, 0)
            question = self._question(session, draft, step, asked)
            text = "\n".join([*lead, question]) if lead else question
            return TaskReply([text], asked, Outcome.ASKING)
        raise AssertionError("CONFIRM is always the last step")

    def _question(
        self, session: Session, draft: TicketDraft, step: Step, state: TaskState | None = None
    ) -> str:
        kind = TicketKind(draft.kind)
        if step is Step.CONTENT:
            return texts.ASK_CONTENT[kind]
        if step is Step.ITEM and state is not None:
            return "\n".join([*state.data.get("ask", []), texts.ASK_ITEM_SUFFIX])
        if step is Step.ANONYMOUS:
            return texts.ASK_ANONYMOUS
        if step is Step.PHOTOS:
            return texts.ASK_PHOTOS.format(max=self.config.max_photos)
        if step is Step.PHONE:
            return texts.ASK_PHONE
        return self._summary(session, draft)

    def _summary(self, session: Session, draft: TicketDraft) -> str:
        return texts.summary(
            TicketKind(draft.kind),
            describe_concerned(session, draft.item_code, draft.hall_code),
            draft.content_masked,
            len(draft.attachment_ids or []),
            draft.phone_masked,
            bool(draft.anonymous),
        )

    @staticmethod
    def _passed(state: TaskState, step: Step, **data: Any) -> TaskState:
        passed = sorted({*state.data.get("passed", []), step.value})
        return TaskState(Task.TICKET, state.step, {**state.data, **data, "passed": passed}, 0)

    @staticmethod
    def _again(state: TaskState, messages: list[str]) -> TaskReply:
        failed = TaskState(state.task, state.step, dict(state.data), state.failures + 1)
        return TaskReply(messages, failed, Outcome.ASKING)

    def _content(
        self,
        session: Session,
        draft: TicketDraft,
        message: Message,
        state: TaskState,
        pick: ItemPick | None,
    ) -> TaskReply:
        if message.gist is Gist.TASK and message.request not in self.requests:
            return TaskReply([], state, Outcome.NOT_MINE)
        if not reading.substantive(message.text):
            kind = TicketKind(draft.kind)
            return self._again(state, [texts.CONTENT_TOO_SHORT + texts.ASK_CONTENT[kind]])
        drafts.set_content(draft, self.cipher, message.text)
        state = self._passed(state, Step.CONTENT)
        if draft.item_code is None and draft.hall_code is None:
            self._locate(session, draft, state, message.text, pick)
        return self._next(session, draft, state, [])

    def _item(self, message: Message, state: TaskState) -> TaskReply:
        candidates = list(state.data.get("candidates", []))
        if reading.none_of_them(message):
            return self._resume_after(message, state, Step.ITEM, None)
        pick = self._pick(message.text, None, candidates)
        if pick.code:
            return self._resume_after(message, state, Step.ITEM, pick.code)
        if reading.elsewhere(message):
            return TaskReply([], state, Outcome.NOT_MINE)
        ask = list(pick.messages) if pick.candidates else list(state.data.get("ask", []))
        data = {**state.data, "ask": ask, "candidates": list(pick.candidates or candidates)}
        retry = TaskState(state.task, state.step, data, state.failures)
        lead = [] if pick.candidates else [texts.NOT_UNDERSTOOD]
        return self._again(retry, [*lead, *ask, texts.ASK_ITEM_SUFFIX])

    def _resume_after(
        self, message: Message, state: TaskState, step: Step, item_code: str | None
    ) -> TaskReply:
        with session_scope(self.engine) as session:
            draft = drafts.get_draft(session, state.data.get("draft"), message.openid)
            if draft is None:
                return TaskReply([texts.left(TicketKind.CONSULT)], None, Outcome.CANCELLED)
            if item_code:
                draft.item_code = item_code
            data = {k: v for k, v in state.data.items() if k not in ("candidates", "ask")}
            passed = TicketDesk._passed(TaskState(Task.TICKET, step.value, data), step)
            return self._next(session, draft, passed, [])

    def _anonymous(
        self, session: Session, draft: TicketDraft, message: Message, state: TaskState
    ) -> TaskReply:
        choice = reading.anonymous_choice(message)
        if choice is None:
            if reading.elsewhere(message):
                return TaskReply([], state, Outcome.NOT_MINE)
            return self._again(state, [texts.NOT_UNDERSTOOD + texts.ASK_ANONYMOUS])
        draft.anonymous = choice
        if choice:
            drafts.set_phone(draft, self.cipher, None)
        return self._next(session, draft, self._passed(state, Step.ANONYMOUS), [])

    def _photos(
        self, session: Session, draft: TicketDraft, message: Message, state: TaskState
    ) -> TaskReply:
        mark = int(state.data.get("mark", 0))
        photos = drafts.photos_since(session, draft.openid, mark, self.config.max_photos)
        if reading.is_image(message):
            return TaskReply(
                [texts.PHOTOS_RECEIVED.format(count=len(photos))], state, Outcome.ASKING
            )
        if not reading.photos_done(message):
            if reading.elsewhere(message):
                return TaskReply([], state, Outcome.NOT_MINE)
            return self._again(
                state, [texts.NOT_UNDERSTOOD + self._question(session, draft, Step.PHOTOS)]
            )
        draft.attachment_ids = photos
        return self._next(session, draft, self._passed(state, Step.PHOTOS), [])

    def _phone(
        self, session: Session, draft: TicketDraft, message: Message, state: TaskState
    ) -> TaskReply:
        mobile = normalize_mobile(message.text)
        if mobile is not None:
            drafts.set_phone(draft, self.cipher, mobile)
            return self._next(session, draft, self._passed(state, Step.PHONE), [])
        if any(ch.isdigit() for ch in message.text):
            return self._again(state, [texts.PHONE_INVALID])
        wants = reading.yes_no(message)
        if wants is False:
            drafts.set_phone(draft, self.cipher, None)
            return self._next(session, draft, self._passed(state, Step.PHONE), [])
        if wants is True:
            return TaskReply([texts.PHONE_PLEASE], state, Outcome.ASKING)
        if reading.elsewhere(message):
            return TaskReply([], state, Outcome.NOT_MINE)
        return self._again(state, [texts.NOT_UNDERSTOOD + texts.ASK_PHONE])

    def _confirm(
        self, session: Session, draft: TicketDraft, message: Message, state: TaskState
    ) -> TaskReply:
        decision = reading.confirm_or_edit(message)
        if decision is None:
            if reading.elsewhere(message):
                return TaskReply([], state, Outcome.NOT_MINE)
            return self._again(state, [texts.NOT_UNDERSTOOD + texts.CONFIRM_HINT])
        if decision is False:
            passed = [p for p in state.data.get("passed", []) if p != Step.CONTENT.value]
            data = {**state.data, "passed": passed}
            return TaskReply(
                [texts.EDIT], TaskState(Task.TICKET, Step.CONTENT.value, data), Outcome.ASKING
            )
        return self._file(session, draft, message.now)

    def _file(self, session: Session, draft: TicketDraft, now: datetime) -> TaskReply:
        ticket = file_ticket(
            session, drafts.to_new_ticket(draft), self.calendar(session), self.config, now
        )
        drafts.drop_draft(session, draft.id)
        text = texts.filed(
            ticket.number, TicketKind(ticket.kind), ticket.due_on, ticket.phone_masked
        )
        return TaskReply([text], None, Outcome.DONE)

    def _offered(self, message: Message, state: TaskState) -> TaskReply:
        wants = reading.yes_no(message)
        if wants is None:
            return TaskReply([], state, Outcome.NOT_MINE)
        with session_scope(self.engine) as session:
            draft = drafts.get_draft(session, state.data.get("draft"), message.openid)
            if not wants or draft is None:
                drafts.drop_draft(session, state.data.get("draft"))
                return TaskReply([texts.OFFER_DECLINED], None, Outcome.DONE)
            asked = self._passed(
                TaskState(Task.TICKET, Step.CONTENT.value, dict(state.data)), Step.CONTENT
            )
            return self._next(session, draft, asked, [texts.START_LINE[TicketKind.CONSULT]])
