"""Shared pieces of the survey tests: a definition without the catalog, messages, a runner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from banshi.conversation import Conversation, Gist, Message, Request, TaskState, Turn
from banshi.db import session_scope
from banshi.surveys.desk import SurveyDesk
from banshi.surveys.loader import parse_definition
from banshi.surveys.store import store_definition

NOW = datetime(2026, 12, 7, 10, 0)

SURVEY = """\
id: demand-test
title: 办事体验调查
intro: 想听听您办事时的感受。
opens: 2026-12-01
closes: 2027-01-31
questions:
  - {id: q1, type: single, text: 您最近一次怎么办的事？, options: [到大厅办, 网上办, 委托他人], other: true}
  - {id: q2, type: multiple, text: 哪些情况让您不方便？, options: [排队时间长, 材料反复交, 网上办不成, 停车难], max: 2}
  - {id: q3, type: text, text: 网上办不成卡在哪一步？, optional: true, show_if: {q2: 网上办不成}}
  - {id: q4, type: rating, text: 总体体验打几分？}
  - {id: q5, type: ranking, text: 最难办的三件事, options: [户口迁移, 护照, 社保卡, 公积金提取], max: 3}
  - {id: q6, type: text, text: 还有什么建议？, optional: true}
"""


def store(engine: Engine, text: str = SURVEY, now: datetime = NOW) -> None:
    with session_scope(engine) as session:
        store_definition(session, parse_definition(text), now)


def message(
    text: str,
    openid: str = "citizen-1",
    gist: Gist = Gist.UNCLEAR,
    request: Request | None = None,
    now: datetime = NOW,
    **extra: object,
) -> Message:
    return Message(text, openid, gist, now, request=request, **extra)  # type: ignore[arg-type]


class Chat:
    """One citizen talking through the shared runner, keeping the task state like the slot."""

    def __init__(self, engine: Engine, openid: str = "citizen-1", now: datetime = NOW) -> None:
        self.desk = SurveyDesk(engine)
        self.conversation = Conversation([self.desk])
        self.openid = openid
        self.now = now
        self.state: TaskState | None = None

    def say(self, text: str, gist: Gist = Gist.UNCLEAR, **extra: object) -> Turn:
        turn = self.conversation.handle(
            message(text, self.openid, gist, now=self.now, **extra), self.state
        )
        self.state = turn.task
        return turn

    def start(self) -> Turn:
        return self.say("参加调查", Gist.TASK, request=Request.SURVEY)

    def text(self, said: str, gist: Gist = Gist.UNCLEAR, **extra: object) -> str:
        return "\n".join(self.say(said, gist, **extra).messages)


def fill(engine: Engine, openid: str, given: dict[str, object], now: datetime = NOW) -> None:
    """Store one citizen's answers directly (readings keyed by question id), in order."""
    from banshi.surveys.reading import Picked, Rated, Skipped, Written
    from banshi.surveys.responses import advance, record_answer, start_response
    from banshi.surveys.store import get_definition

    with session_scope(engine) as session:
        definition = get_definition(session, "demand-test")
        assert definition is not None
        response = start_response(session, "demand-test", openid, now)
        for qid, value in given.items():
            question = definition.question(qid)
            if value is None:
                reading: Picked | Rated | Skipped | Written = Skipped()
            elif isinstance(value, int):
                reading = Rated(value)
            elif isinstance(value, tuple):
                reading = Picked(tuple(str(v) for v in value))
            else:
                reading = Written(str(value))
            other = None
            if isinstance(value, tuple) and value and value[-1] == "其他":
                other = "找社区代办员帮忙"
            record_answer(session, response, question, reading, now, other)
        advance(session, definition, response, now)
