"""The rating desk: the level (by number or words), the aspects, a comment; 差评 followed up.

It starts when the citizen answers an invitation ("2", "非常满意", "差评") or asks to rate
("我要评价"). The level is recorded as soon as it is given; the aspects and the comment are
added to the same rating. Declining (or leaving before a level) is remembered: the
invitation is not repeated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.calendar.workdays import WorkCalendar
from banshi.conversation import Gist, Message, Outcome, Request, Task, TaskReply, TaskState
from banshi.db import session_scope
from banshi.privacy.crypto import FieldCipher
from banshi.ratings import texts
from banshi.ratings.config import RatingConfig
from banshi.ratings.followup import followup_of
from banshi.ratings.invitations import decline, open_invitation
from banshi.ratings.levels import Level, parse_indicators, parse_level
from banshi.ratings.models import Rating, RatingInvitation
from banshi.ratings.recording import add_comment, add_indicators, record_rating
from banshi.ratings.services import InvitationState
from banshi.tickets.deadlines import WorkingDays


class Step(str, Enum):
    LEVEL = "level"
    ASPECTS = "aspects"
    COMMENT = "comment"


_SPACE = re.compile(r"[\s，,。.!！~]+")
_DECLINE = re.compile(r"不评价|不评了|不想评|不用评|不打分|不评|跳过|不用了|不了")
_SKIP = re.compile(r"^(?:跳过|没有|没了|不用|不了|无|不选|都没有|没什么|算了|不说了|不想说)")


def _said(message: Message) -> str:
    return _SPACE.sub("", message.text)


def _declines(message: Message) -> bool:
    return bool(_DECLINE.search(_said(message))) or message.gist is Gist.NO


def _skips(message: Message) -> bool:
    return bool(_SKIP.match(_said(message))) or message.gist is Gist.NO


class RatingDesk:
    """Takes 好差评 in chat (see the module docstring)."""

    task = Task.RATING
    requests = frozenset({Request.RATE})

    def __init__(
        self,
        engine: Engine,
        cipher: FieldCipher,
        config: RatingConfig | None = None,
        calendar: Callable[[Session], WorkingDays] = WorkCalendar,
    ) -> None:
        self.engine = engine
        self.cipher = cipher
        self.config = config or RatingConfig()
        self.calendar = calendar

    def takes(self, message: Message) -> bool:
        """Whether an open invitation makes this message an answer to it ("2", "不满意",
        "不评价"): the runner then starts this desk with ``Request.RATE``."""
        if parse_level(message.text) is None and not _DECLINE.search(_said(message)):
            return False
        with session_scope(self.engine) as session:
            return self._invitation(session, message) is not None

    def claim(self, message: Message, picking: bool) -> TaskReply | None:
        """An answer to an open invitation is this desk's (:class:`banshi.conversation.Claims`),
        unless the guide has a numbered list out and the message is a bare number."""
        if picking and parse_level(message.text) is not None and message.text.strip().isdigit():
            return None
        if not self.takes(message):
            return None
        return self.start(message, Request.RATE, None)

    # ------------------------------------------------------------------ the Desk protocol

    def start(self, message: Message, request: Request, resume: TaskState | None) -> TaskReply:
        with session_scope(self.engine) as session:
            invitation = self._invitation(session, message)
            if invitation is None:
                return TaskReply([texts.NOTHING_TO_RATE], resume, Outcome.DONE)
            state = TaskState(Task.RATING, Step.LEVEL.value, {"invitation": invitation.id})
            level = parse_level(message.text)
            if level is not None:
                return self._rated(session, invitation, level, message, state)
            if _DECLINE.search(_said(message)):
                decline(session, invitation, message.now)
                return TaskReply([texts.DECLINED], None, Outcome.DONE)
            return TaskReply([texts.ASK_LEVEL], state, Outcome.ASKING)

    def answer(self, message: Message, state: TaskState) -> TaskReply:
        step = Step(state.step)
        with session_scope(self.engine) as session:
            if step is Step.LEVEL:
                invitation = session.get(RatingInvitation, state.data.get("invitation"))
                if invitation is None or invitation.openid != message.openid:
                    return TaskReply([texts.NOTHING_TO_RATE], None, Outcome.DONE)
                if invitation.state != InvitationState.INVITED.value:
                    return TaskReply([texts.ALREADY_RATED], None, Outcome.DONE)
                level = parse_level(message.text)
                if level is not None:
                    return self._rated(session, invitation, level, message, state)
                if _declines(message):
                    decline(session, invitation, message.now)
                    return TaskReply([texts.DECLINED], None, Outcome.DONE)
                return self._unread(message, state, texts.ASK_LEVEL)
            rating = session.get(Rating, state.data.get("rating"))
            if rating is None or rating.openid != message.openid:
                return TaskReply([texts.THANKS], None, Outcome.DONE)
            bad = bool(state.data.get("bad"))
            if step is Step.ASPECTS:
                if _skips(message):
                    return self._ask_comment(state, bad)
                aspects = parse_indicators(message.text)
                if not aspects:
                    question = texts.ASK_BAD_ASPECTS if bad else texts.ASK_GOOD_ASPECTS
                    return self._unread(message, state, question)
                add_indicators(rating, aspects)
                return self._ask_comment(state, bad)
            if message.gist is Gist.TASK:
                return TaskReply([], state, Outcome.NOT_MINE)
            if not _skips(message):
                add_comment(rating, self.cipher, message.text)
            return TaskReply([self._thanks(session, rating)], None, Outcome.DONE)

    def repeat(self, state: TaskState) -> list[str]:
        bad = bool(state.data.get("bad"))
        return [
            {
                Step.LEVEL: texts.ASK_LEVEL,
                Step.ASPECTS: texts.ASK_BAD_ASPECTS if bad else texts.ASK_GOOD_ASPECTS,
                Step.COMMENT: texts.ASK_BAD_COMMENT if bad else texts.ASK_GOOD_COMMENT,
            }[Step(state.step)]
        ]

    def leave(self, state: TaskState) -> list[str]:
        """Before a level: declined (not asked again). After it: the rating stands."""
        if Step(state.step) is not Step.LEVEL:
            return [texts.THANKS]
        with session_scope(self.engine) as session:
            invitation = session.get(RatingInvitation, state.data.get("invitation"))
            if invitation is not None:  # leave() gets no message: the clock says when
                decline(session, invitation, datetime.now().replace(microsecond=0))
        return [texts.DECLINED]

    # ------------------------------------------------------------------ steps

    def _invitation(self, session: Session, message: Message) -> RatingInvitation | None:
        max_age = timedelta(days=self.config.invitation_days)
        return open_invitation(session, message.openid, message.now, max_age)

    def _rated(
        self,
        session: Session,
        invitation: RatingInvitation,
        level: Level,
        message: Message,
        state: TaskState,
    ) -> TaskReply:
        rating, _followup = record_rating(
            session, invitation, level, self.calendar(session), self.config, message.now
        )
        data = {**state.data, "rating": rating.id, "bad": level.is_bad}
        question = texts.ASK_BAD_ASPECTS if level.is_bad else texts.ASK_GOOD_ASPECTS
        return TaskReply(
            [question], TaskState(Task.RATING, Step.ASPECTS.value, data), Outcome.ASKING
        )

    @staticmethod
    def _ask_comment(state: TaskState, bad: bool) -> TaskReply:
        question = texts.ASK_BAD_COMMENT if bad else texts.ASK_GOOD_COMMENT
        return TaskReply(
            [question], TaskState(Task.RATING, Step.COMMENT.value, dict(state.data)), Outcome.ASKING
        )

    @staticmethod
    def _unread(message: Message, state: TaskState, question: str) -> TaskReply:
        if message.gist in (Gist.QUESTION, Gist.TASK):
            return TaskReply([], state, Outcome.NOT_MINE)
        failed = TaskState(state.task, state.step, dict(state.data), state.failures + 1)
        return TaskReply([texts.NOT_UNDERSTOOD + question], failed, Outcome.ASKING)

    @staticmethod
    def _thanks(session: Session, rating: Rating) -> str:
        followup = followup_of(session, rating.id)
        if followup is None:
            return texts.THANKS
        return texts.bad_thanks(followup.due_on)
