"""The survey desk: a citizen fills in a survey in the chat, one question at a time.

Started by "参加调查" / "我想填问卷" / "我来说说哪里不方便", the menu, or an invitation
(:class:`banshi.conversation.Request.SURVEY`). With several open surveys the citizen picks
one by number; a survey they already began is resumed where it stopped. Progress is in the
database (:mod:`banshi.surveys.responses`); the slot only holds ids, so "算了" loses
nothing and "参加调查" next week resumes, and "重新开始" starts over.

Turn rules: choices by number or words; an answer that is wrong (out of range, too many)
is asked again with the reason; a message that answers nothing and looks like something
else (a guide question, small talk, another task) is NOT_MINE, so the runner answers it and
the survey waits for "继续".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.choices import parse_choice
from banshi.conversation import (
    Gist,
    Message,
    Outcome,
    Request,
    Task,
    TaskReply,
    TaskState,
)
from banshi.db import session_scope
from banshi.privacy.masking import mask_text
from banshi.surveys import texts
from banshi.surveys.definition import Question, QuestionType, SurveyDefinition
from banshi.surveys.models import SurveyResponse
from banshi.surveys.reading import (
    Picked,
    Refused,
    Skipped,
    Unread,
    Written,
    read_answer,
    read_text,
)
from banshi.surveys.responses import (
    Progress,
    ResponseStatus,
    advance,
    available_surveys,
    find_response,
    given_answers,
    lock_response,
    progress,
    record_answer,
    restart,
    start_response,
)
from banshi.surveys.store import get_definition

_RESTART = re.compile(r"(重新开始|重新填|重填|从头开始|从头填|重新来)[吧。.!！]*")
_NOT_ANSWERS = (Gist.QUESTION, Gist.TASK, Gist.CHAT)


class Step(str, Enum):
    CHOOSE = "choose"  # data: surveys (ids offered, numbered)
    ASK = "ask"  # data: survey, response, question
    OTHER = "other"  # data: survey, response, question, choices — waiting for 其他's words


@dataclass(frozen=True)
class SurveyDeskConfig:
    """minutes_per_question: for the time estimate in the introduction and invitation."""

    minutes_per_question: float = 0.5


def question_text(question: Question, number: int) -> str:
    """The question as the citizen reads it: number, text, numbered options, how to answer."""
    lines = [texts.QUESTION_HEAD.format(n=number, text=question.text)]
    for n, option in enumerate(question.choices, 1):
        lines.append(texts.OPTION_LINE.format(n=n, label=option.label))
    hint = {
        QuestionType.SINGLE: texts.HINT_SINGLE,
        QuestionType.MULTIPLE: texts.HINT_MULTIPLE.format(most=question.most),
        QuestionType.RATING: texts.HINT_RATING,
        QuestionType.RANKING: texts.HINT_RANKING.format(most=question.most),
        QuestionType.TEXT: texts.HINT_TEXT,
    }[question.type]
    if question.optional:
        hint += texts.HINT_OPTIONAL
    lines.append(hint)
    return "\n".join(lines)


def minutes(definition: SurveyDefinition, config: SurveyDeskConfig) -> int:
    return max(1, round(len(definition.questions) * config.minutes_per_question))


class SurveyDesk:
    """The :class:`banshi.conversation.Desk` for surveys."""

    task = Task.SURVEY
    requests = frozenset({Request.SURVEY})

    def __init__(self, engine: Engine, config: SurveyDeskConfig | None = None) -> None:
        self.engine = engine
        self.config = config or SurveyDeskConfig()

    # ------------------------------------------------------------------ Desk

    def start(self, message: Message, request: Request, resume: TaskState | None) -> TaskReply:
        with session_scope(self.engine) as session:
            if resume is not None and resume.step in (Step.ASK.value, Step.OTHER.value):
                definition = get_definition(session, str(resume.data.get("survey")))
                if definition is not None and definition.is_open(message.now.date()):
                    return self._begin(session, definition, message)
            surveys = available_surveys(session, message.openid, message.now.date())
            if not surveys:
                return TaskReply([texts.NO_SURVEY], None, Outcome.DONE)
            named = [s for s in surveys if s.id in message.text or s.title in message.text]
            if len(surveys) == 1 or named:
                return self._begin(session, (named or surveys)[0], message)
            if find_response(session, surveys[0].id, message.openid) is not None:
                return self._begin(session, surveys[0], message)  # one in progress: resume it
            return self._offer(surveys, message)

    def answer(self, message: Message, state: TaskState) -> TaskReply:
        if state.step == Step.CHOOSE.value:
            return self._chosen(message, state)
        with session_scope(self.engine) as session:
            response = lock_response(session, int(state.data.get("response", 0)), message.now)
            definition = get_definition(session, str(state.data.get("survey")))
            if response is None or definition is None or response.openid != message.openid:
                return TaskReply([texts.NO_SURVEY], None, Outcome.DONE)
            if not definition.is_open(message.now.date()):
                closed = texts.CLOSED.format(
                    title=definition.title, date=texts.date_text(definition.closes)
                )
                return TaskReply([closed], None, Outcome.DONE)
            if response.status == ResponseStatus.COMPLETE.value:
                return TaskReply(
                    [texts.ALREADY_DONE.format(title=definition.title)], None, Outcome.DONE
                )
            if _RESTART.fullmatch(message.text.strip()):
                restart(session, response, message.now)
                now = advance(session, definition, response, message.now)
                return self._ask(definition, now, state, [texts.RESTARTED])
            current = progress(session, definition, response)
            if current.question is None or current.question.id != state.data.get("question"):
                # a turn that came late (another push moved the survey on): ask what is due
                return self._ask(definition, current, state, [])
            if state.step == Step.OTHER.value:
                return self._other(session, definition, response, current, message, state)
            return self._read(session, definition, response, current.question, message, state)

    def repeat(self, state: TaskState) -> list[str]:
        with session_scope(self.engine) as session:
            if state.step == Step.CHOOSE.value:
                offered = [get_definition(session, i) for i in state.data.get("surveys", [])]
                today = date.fromisoformat(str(state.data.get("today")))
                return [_offer_text([d for d in offered if d is not None], today)]
            definition = get_definition(session, str(state.data.get("survey")))
            response = session.get(SurveyResponse, int(state.data.get("response", 0)))
            if definition is None or response is None:
                return [texts.NO_SURVEY]
            if state.step == Step.OTHER.value:
                return [texts.ASK_OTHER]
            current = progress(session, definition, response)
            if current.question is None:
                return [texts.THANKS]
            return [question_text(current.question, current.answered + 1)]

    def leave(self, state: TaskState) -> list[str]:
        if state.step == Step.CHOOSE.value:
            return [texts.LEFT_CHOOSE]
        return [texts.LEFT]

    # ------------------------------------------------------------------ steps

    def _offer(self, surveys: list[SurveyDefinition], message: Message) -> TaskReply:
        today = message.now.date()
        data = {"surveys": [s.id for s in surveys], "today": today.isoformat()}
        state = TaskState(Task.SURVEY, Step.CHOOSE.value, data)
        return TaskReply([_offer_text(surveys, today)], state, Outcome.ASKING)

    def _chosen(self, message: Message, state: TaskState) -> TaskReply:
        ids = list(state.data.get("surveys", []))
        with session_scope(self.engine) as session:
            definitions = [d for d in (get_definition(session, i) for i in ids) if d is not None]
            pick = parse_choice(message.text, len(definitions))
            if pick is None:
                named = [d for d in definitions if d.title in message.text]
                if len(named) == 1:
                    return self._begin(session, named[0], message)
                if message.gist in _NOT_ANSWERS:
                    return TaskReply([], state, Outcome.NOT_MINE)
            if pick is None or pick < 1:
                failed = TaskState(state.task, state.step, state.data, state.failures + 1)
                return TaskReply([texts.CHOOSE_UNREAD], failed, Outcome.ASKING)
            return self._begin(session, definitions[pick - 1], message)

    def _begin(self, session: Session, definition: SurveyDefinition, message: Message) -> TaskReply:
        response = start_response(session, definition.id, message.openid, message.now)
        if response.status == ResponseStatus.COMPLETE.value:
            return TaskReply(
                [texts.ALREADY_DONE.format(title=definition.title)], None, Outcome.DONE
            )
        now = advance(session, definition, response, message.now)
        if now.answered:
            opening = texts.RESUME.format(title=definition.title, done=now.answered)
        else:
            opening = texts.INTRO.format(title=definition.title, intro=definition.intro).strip()
            how = texts.INTRO_HOW.format(
                count=len(definition.questions), minutes=minutes(definition, self.config)
            )
            opening = f"{opening}\n{how}"
        state = TaskState(Task.SURVEY, Step.ASK.value, {"survey": definition.id})
        return self._ask(definition, now, state, [opening])

    def _ask(
        self,
        definition: SurveyDefinition,
        now: Progress,
        state: TaskState,
        before: list[str],
        failures: int = 0,
    ) -> TaskReply:
        if now.question is None:
            return TaskReply([*before, texts.THANKS], None, Outcome.DONE)
        data = {"survey": definition.id, "response": now.response_id, "question": now.question.id}
        number = now.answered + 1
        asked = TaskState(Task.SURVEY, Step.ASK.value, data, failures)
        return TaskReply([*before, question_text(now.question, number)], asked, Outcome.ASKING)

    def _again(self, question: Question, state: TaskState, reason: str, number: int) -> TaskReply:
        failed = TaskState(state.task, Step.ASK.value, state.data, state.failures + 1)
        return TaskReply([f"{reason}\n{question_text(question, number)}"], failed, Outcome.ASKING)

    def _read(
        self,
        session: Session,
        definition: SurveyDefinition,
        response: SurveyResponse,
        question: Question,
        message: Message,
        state: TaskState,
    ) -> TaskReply:
        if question.type is QuestionType.TEXT and _is_guide_question(message):
            return TaskReply([], state, Outcome.NOT_MINE)
        reading = read_answer(question, message.text)
        number = len(given_answers(session, response.id)) + 1
        if isinstance(reading, Unread):
            if message.gist in _NOT_ANSWERS and question.type is not QuestionType.TEXT:
                return TaskReply([], state, Outcome.NOT_MINE)
            return self._again(question, state, reading.reason, number)
        if isinstance(reading, Refused):
            return self._again(question, state, reading.reason, number)
        if isinstance(reading, Picked) and reading.wants_other_text:
            data = {**state.data, "choices": list(reading.keys)}
            return TaskReply(
                [texts.ASK_OTHER], TaskState(Task.SURVEY, Step.OTHER.value, data), Outcome.ASKING
            )
        assert not isinstance(reading, Unread | Refused)
        record_answer(session, response, question, reading, message.now)
        before = [texts.MASKED_NOTE] if _was_masked(reading, message.text) else []
        return self._ask(
            definition, advance(session, definition, response, message.now), state, before
        )

    def _other(
        self,
        session: Session,
        definition: SurveyDefinition,
        response: SurveyResponse,
        current: Progress,
        message: Message,
        state: TaskState,
    ) -> TaskReply:
        assert current.question is not None
        if _is_guide_question(message):
            return TaskReply([], state, Outcome.NOT_MINE)
        written = read_text(message.text, message.text)
        if not isinstance(written, Written):
            failed = TaskState(state.task, state.step, state.data, state.failures + 1)
            return TaskReply([f"{written.reason}\n{texts.ASK_OTHER}"], failed, Outcome.ASKING)
        picked = Picked(tuple(state.data.get("choices", [])), written.text)
        record_answer(session, response, current.question, picked, message.now)
        before = [texts.MASKED_NOTE] if _was_masked(written, message.text) else []
        return self._ask(
            definition, advance(session, definition, response, message.now), state, before
        )


def _offer_text(surveys: list[SurveyDefinition], today: date) -> str:
    lines = [texts.CHOOSE_SURVEY]
    for n, survey in enumerate(surveys, 1):
        closes = texts.date_text(survey.closes, today)
        lines.append(texts.CHOOSE_LINE.format(n=n, title=survey.title, closes=closes))
    return "\n".join(lines)


def _is_guide_question(message: Message) -> bool:
    """A question about an item's guide ("身份证补办要带什么"), not an opinion for the survey."""
    return message.gist is Gist.QUESTION and message.ask is not None and message.item is not None


def _was_masked(reading: Picked | Written | Skipped | object, text: str) -> bool:
    if isinstance(reading, Written | Picked):
        return mask_text(text) != text
    return False
