"""The notice desk: "给我个清单" in chat, following the shared dialogue pattern.

The item is found like a guide question (with the numbered clarification), then only the
questions that change the list are asked (:mod:`banshi.notices.interview`), then the notice is
issued. What the desk remembers — the item, the list offered, the situation and the answers
to conditions — is catalog wording, never personal data, so it may live in the task slot.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlalchemy.engine import Engine

from banshi.catalog import get_item
from banshi.conversation import (
    Gist,
    ItemPicker,
    Message,
    Outcome,
    Request,
    Task,
    TaskReply,
    TaskState,
)
from banshi.db import session_scope
from banshi.links import Links
from banshi.models import Item
from banshi.notices import texts
from banshi.notices.interview import (
    Answer,
    InterviewQuestion,
    QuestionKind,
    next_question,
    parse_answer,
)
from banshi.notices.issuing import (
    CannotIssue,
    get_notice,
    is_notice_number,
    issue_notice,
    list_notices,
    normalize_number,
)


class Step(str, Enum):
    ITEM = "item"  # which item: a name, or a pick from the list offered
    INTERVIEW = "interview"  # the situation and condition questions


# While a question is out, these are read as (attempted) answers; anything else — a guide
# question, small talk, another task — is someone else's turn and the notice waits.
_ANSWER_GISTS = frozenset({Gist.YES, Gist.NO, Gist.PICK, Gist.UNCLEAR, Gist.OUT_OF_SCOPE})


class NoticeDesk:
    task = Task.NOTICE
    requests = frozenset({Request.NOTICE, Request.MY_NOTICES})

    def __init__(self, engine: Engine, items: ItemPicker, *, links: Links, prefix: str) -> None:
        self.engine = engine
        self.items = items
        self.links = links
        self.prefix = prefix

    # ------------------------------------------------------------------ the Desk protocol

    def start(self, message: Message, request: Request, resume: TaskState | None) -> TaskReply:
        if request is Request.MY_NOTICES:
            return TaskReply(self.my_notices(message.text, message.openid), None, Outcome.DONE)
        return self._item(message, [], message.item)

    def answer(self, message: Message, state: TaskState) -> TaskReply:
        if state.step == Step.ITEM.value:
            candidates = [str(c) for c in state.data.get("candidates") or []]
            asked_again = message.gist is Gist.TASK and message.request is Request.NOTICE
            if message.gist in _ANSWER_GISTS or asked_again or not candidates:
                return self._item(message, candidates, None)
            return TaskReply([], state, Outcome.NOT_MINE)
        with session_scope(self.engine) as session:
            item = get_item(session, str(state.data.get("item") or ""))
            if item is None:
                return TaskReply([texts.WHICH_ITEM], _item_state([]), Outcome.ASKING)
            question = _question(item, state)
            answer = parse_answer(question, message.text) if question else None
        if question is not None and answer is None:
            if message.gist in _ANSWER_GISTS:
                again = TaskState(state.task, state.step, state.data, state.failures + 1)
                return TaskReply([texts.NOT_UNDERSTOOD + question.text], again, Outcome.ASKING)
            return TaskReply([], state, Outcome.NOT_MINE)
        data = dict(state.data)
        if question is not None and answer is not None:
            data = _answered(data, question, answer)
        return self._next(item.task_code, data, message)

    def repeat(self, state: TaskState) -> list[str]:
        if state.step == Step.ITEM.value:
            return [texts.WHICH_ITEM]
        with session_scope(self.engine) as session:
            item = get_item(session, str(state.data.get("item") or ""))
            question = _question(item, state) if item else None
        return [question.text] if question else [texts.WHICH_ITEM]

    def leave(self, state: TaskState) -> list[str]:
        return [texts.LEFT]

    # ------------------------------------------------------------------ steps

    def _item(self, message: Message, candidates: list[str], hint: str | None) -> TaskReply:
        pick = self.items.pick(message.text, candidates, hint)
        if pick.code is not None:
            return self._next(pick.code, {"item": pick.code}, message, first=True)
        if pick.candidates:
            return TaskReply(pick.messages, _item_state(pick.candidates), Outcome.ASKING)
        return TaskReply([texts.WHICH_ITEM], _item_state([]), Outcome.ASKING)

    def _next(
        self, code: str, data: dict[str, Any], message: Message, first: bool = False
    ) -> TaskReply:
        with session_scope(self.engine) as session:
            item = get_item(session, code)
            if item is None:
                return TaskReply([texts.WHICH_ITEM], _item_state([]), Outcome.ASKING)
            data = {**data, "item": code}
            state = TaskState(Task.NOTICE, Step.INTERVIEW.value, data)
            question = _question(item, state)
            if question is not None:
                lead = [texts.starting(item.name)] if first else []
                return TaskReply(["\n".join([*lead, question.text])], state, Outcome.ASKING)
            try:
                notice = issue_notice(
                    session,
                    item,
                    data.get("situation"),
                    _conditions(data),
                    message.openid,
                    message.now.date(),
                    prefix=self.prefix,
                )
            except CannotIssue as refusal:
                return TaskReply([str(refusal)], None, Outcome.DONE)
            return TaskReply(texts.notice_text(notice, self.links), None, Outcome.DONE)

    # ------------------------------------------------------------------ my notices

    def my_notices(self, text: str, openid: str) -> list[str]:
        """ "我的告知单" → the list; a number typed alone → that notice."""
        with session_scope(self.engine) as session:
            if is_notice_number(text):
                notice = get_notice(session, text)
                if notice is None:
                    return [texts.NOT_FOUND_NUMBER.format(number=normalize_number(text))]
                return texts.notice_text(notice, self.links)
            return [texts.notices_list_text(list_notices(session, openid), self.links)]


def _item_state(candidates: list[str]) -> TaskState:
    return TaskState(Task.NOTICE, Step.ITEM.value, {"candidates": candidates})


def _conditions(data: dict[str, Any]) -> dict[str, bool | None]:
    raw = data.get("conditions") or {}
    return {str(k): v for k, v in raw.items()} if isinstance(raw, dict) else {}


def _question(item: Item, state: TaskState) -> InterviewQuestion | None:
    return next_question(item, state.data.get("situation"), _conditions(state.data))


def _answered(data: dict[str, Any], question: InterviewQuestion, answer: Answer) -> dict[str, Any]:
    if question.kind is QuestionKind.SITUATION:
        return {**data, "situation": str(answer.value), "conditions": {}}
    conditions = _conditions(data)
    conditions[question.key] = answer.value if isinstance(answer.value, bool) else None
    return {**data, "conditions": conditions}
