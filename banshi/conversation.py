"""One dialogue pattern for every multi-turn task: notices, bookings, surveys, tickets, ratings.

A task is a *desk*: a plain class that starts when the citizen asks for it, asks one question
at a time and reads the answers (:class:`Desk`). What it remembers between turns is a small,
JSON-safe :class:`TaskState` that the Rasa action keeps in one slot — never personal data:
names, phone and ID numbers and free text go to the desk's own rows, encrypted. What every
task shares is decided once, here, by :class:`Conversation`:

- "算了" / "不办了" / "退出" (the whole message) leaves the task at any step;
- a guide question in the middle is answered and the task waits: "继续" asks again;
- another task asked for ends this one (with its goodbye line) and starts the other;
- after three answers in a row the desk could not read, a person is offered.

The adapters translate: Rasa intents become :class:`Gist` / :class:`Request` / :class:`Ask`
(``actions/``), and the replies go back as messages and slots.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from banshi.asks import Ask


class Gist(str, Enum):
    """What the NLU made of a message, in the domain's words."""

    QUESTION = "question"  # a question about an item (``Message.ask`` says which aspect)
    TASK = "task"  # a task asked for (``Message.request`` says which)
    YES = "yes"
    NO = "no"
    PICK = "pick"  # a bare number or "第二个"
    CHAT = "chat"  # greeting, thanks, goodbye, small talk
    OUT_OF_SCOPE = "out_of_scope"
    UNCLEAR = "unclear"  # the NLU is not sure


class Request(str, Enum):
    """A task the citizen asks for."""

    NOTICE = "notice"  # 一次性告知单
    MY_NOTICES = "my_notices"
    BOOK = "book"  # 预约
    MY_BOOKINGS = "my_bookings"
    CANCEL_BOOKING = "cancel_booking"
    RESCHEDULE_BOOKING = "reschedule_booking"
    SURVEY = "survey"  # 群众点菜 问卷
    COMPLAIN = "complain"  # 工单: 投诉 / 举报
    SUGGEST = "suggest"  # 工单: 建议 / 表扬
    CONSULT = "consult"  # 工单: 咨询 / 求助
    MY_TICKETS = "my_tickets"
    HUMAN = "human"  # 转人工
    RATE = "rate"  # 好差评


class Task(str, Enum):
    """Which desk holds the conversation."""

    NOTICE = "notice"
    BOOKING = "booking"
    SURVEY = "survey"
    TICKET = "ticket"
    RATING = "rating"
    HANDOFF = "handoff"  # 转人工: no questions; a person takes over (banshi.handoff)

    @property
    def label(self) -> str:
        return _TASK_LABELS[self]


_TASK_LABELS = {
    Task.NOTICE: "一次性告知单",
    Task.BOOKING: "预约",
    Task.SURVEY: "问卷",
    Task.TICKET: "留言登记",
    Task.RATING: "评价",
    Task.HANDOFF: "人工服务",
}


@dataclass(frozen=True)
class Message:
    """The citizen's message as a desk sees it.

    ``text`` is what they typed, in clear for this turn only: the tracker keeps a masked copy.
    """

    text: str
    openid: str
    gist: Gist
    now: datetime
    request: Request | None = None  # when ``gist`` is TASK
    ask: Ask | None = None  # when ``gist`` is QUESTION
    item: str | None = None  # an item name the NLU spotted: a hint for resolution


@dataclass
class TaskState:
    """What a desk remembers between turns; JSON-safe and free of personal data."""

    task: Task
    step: str  # the desk's own step (its enum's value)
    data: dict[str, Any] = field(default_factory=dict)
    failures: int = 0  # answers in a row the desk could not read

    def to_slot(self) -> dict[str, Any]:
        return {
            "task": self.task.value,
            "step": self.step,
            "data": self.data,
            "failures": self.failures,
        }

    @classmethod
    def from_slot(cls, value: object) -> TaskState | None:
        """The state a slot holds, or None when it holds nothing usable (a stale format)."""
        if not isinstance(value, dict):
            return None
        try:
            task = Task(value["task"])
        except (KeyError, ValueError):
            return None
        data = value.get("data")
        return cls(
            task,
            str(value.get("step") or ""),
            dict(data) if isinstance(data, dict) else {},
            int(value.get("failures") or 0),
        )


class Outcome(str, Enum):
    ASKING = "asking"  # a question is out: the state is kept
    DONE = "done"  # the task is over
    CANCELLED = "cancelled"  # the citizen left it
    NOT_MINE = "not_mine"  # the message answers nothing the desk asked: someone else's turn


@dataclass
class TaskReply:
    messages: list[str]
    state: TaskState | None  # None once the task is over
    outcome: Outcome


class Desk(Protocol):
    """A multi-turn task. Every method is called inside the citizen's turn."""

    task: Task
    requests: frozenset[Request]  # the requests this desk starts on

    def start(self, message: Message, request: Request, resume: TaskState | None) -> TaskReply:
        """Begin (``resume``: this desk's state still kept from before, if any)."""
        ...

    def answer(self, message: Message, state: TaskState) -> TaskReply:
        """The citizen's reply to the question ``state`` stands at."""
        ...

    def repeat(self, state: TaskState) -> list[str]:
        """The current question again ("继续")."""
        ...

    def leave(self, state: TaskState) -> list[str]:
        """What to say when the citizen leaves the task ("算了")."""
        ...


class Claims(Protocol):
    """A desk that recognises some messages as its own while no task is active: an answer to
    an invitation it sent ("2" after 请您评价), a record number typed alone (a ticket's)."""

    def claim(self, message: Message, picking: bool) -> TaskReply | None:
        """Its reply when ``message`` is its own, else None. ``picking``: the guide has a
        numbered list out, so a bare number belongs to the guide."""
        ...


# ---------------------------------------------------------------------- items inside a task


@dataclass(frozen=True)
class ItemPick:
    """The item a task is about, or the question to settle it.

    ``code`` set: settled. Otherwise ``messages`` say what to answer (a numbered list, or
    that nothing fits) and ``candidates`` are the codes offered, for the desk's state.
    """

    code: str | None
    messages: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)


class ItemPicker(Protocol):
    """Finds the item a task is about, with the guide's resolution and numbered clarification."""

    def pick(self, text: str, candidates: Sequence[str], hint: str | None = None) -> ItemPick: ...


# ---------------------------------------------------------------------- the runner

# The whole message, so that "窗口说不办了" inside a complaint is content, not a way out.
_LEAVE = re.compile(
    r"(算了|算了吧|不办了|不约了|不填了|不开了|不弄了|不要了|不用了|先不了|先不办了|先这样|退出|取消|不想办了|结束)[。.!！~]*"
)
_CONTINUE = re.compile(r"(继续|接着|接着办|继续办|继续填|回到刚才)[。.!！~]*")
HUMAN_AFTER = 3  # answers in a row a desk could not read before a person is offered
HUMAN_OFFER = (
    "如果不方便在这里说清楚，可以回复“转人工”请工作人员帮您，或拨打 12345 政务服务便民热线。"
)


def resume_hint(task: Task) -> str:
    return f"（您的{task.label}还没办完，回复“继续”接着办，回复“算了”结束。）"


class TurnKind(str, Enum):
    TASK = "task"  # a desk answered
    GUIDE = "guide"  # the guide should answer (the adapter calls it; the task waits)
    CHAT = "chat"  # a fixed answer for small talk (the adapter's); the task waits


@dataclass
class Turn:
    """What the conversation does with one message."""

    kind: TurnKind
    messages: list[str]
    task: TaskState | None  # the task state to keep
    after: list[str] = field(default_factory=list)  # said after the guide's or chat's answer


class Conversation:
    """Hands a message to the task in progress, a task asked for, or back to the adapter."""

    def __init__(self, desks: Iterable[Desk]) -> None:
        self.desks: dict[Task, Desk] = {}
        self.by_request: dict[Request, Desk] = {}
        for desk in desks:
            self.desks[desk.task] = desk
            for request in desk.requests:
                self.by_request[request] = desk

    def handles(self, request: Request) -> bool:
        return request in self.by_request

    def handle(self, message: Message, task: TaskState | None, picking: bool = False) -> Turn:
        """One message. ``picking``: the guide has a numbered list out (a bare number is its)."""
        desk = self.desks.get(task.task) if task else None
        if task is None or desk is None:
            claimed = self._claimed(message, picking)
            return claimed if claimed is not None else self._outside(message, None)
        said = message.text.strip()
        if _LEAVE.fullmatch(said):
            return Turn(TurnKind.TASK, desk.leave(task), None)
        if _CONTINUE.fullmatch(said):
            return Turn(TurnKind.TASK, desk.repeat(task), task)
        reply = desk.answer(message, task)
        if reply.outcome is not Outcome.NOT_MINE:
            messages = list(reply.messages)
            state = reply.state
            if reply.outcome is Outcome.ASKING and state and state.failures >= HUMAN_AFTER:
                messages.append(HUMAN_OFFER)
            return Turn(TurnKind.TASK, messages, state)
        if message.gist is Gist.TASK and message.request is not None:
            other = self.by_request.get(message.request)
            if other is desk:
                return self._start(desk, message, task)
            if other is not None:
                farewell = desk.leave(task)
                started = self._start(other, message, None)
                return replace(started, messages=[*farewell, *started.messages])
        return self._outside(message, task)

    def _claimed(self, message: Message, picking: bool) -> Turn | None:
        for desk in self.desks.values():
            claim = getattr(desk, "claim", None)
            reply = claim(message, picking) if claim is not None else None
            if reply is not None:
                return Turn(TurnKind.TASK, list(reply.messages), reply.state)
        return None

    def _outside(self, message: Message, waiting: TaskState | None) -> Turn:
        """No task takes the message: a task asked for starts; else the guide or small talk."""
        if waiting is None and message.gist is Gist.TASK and message.request is not None:
            desk = self.by_request.get(message.request)
            if desk is not None:
                return self._start(desk, message, None)
        after = [resume_hint(waiting.task)] if waiting else []
        kind = TurnKind.GUIDE if message.gist in (Gist.QUESTION, Gist.PICK) else TurnKind.CHAT
        return Turn(kind, [], waiting, after)

    @staticmethod
    def _start(desk: Desk, message: Message, resume: TaskState | None) -> Turn:
        assert message.request is not None
        reply = desk.start(message, message.request, resume)
        return Turn(TurnKind.TASK, list(reply.messages), reply.state)
