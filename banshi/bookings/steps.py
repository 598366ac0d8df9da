"""The booking desk's steps and the small pieces every step uses: its state, its replies,
the day and time a message names, and when a question was put."""

from __future__ import annotations

from datetime import datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.bookings import reading
from banshi.bookings.slots import find_item, hall_for
from banshi.conversation import Message, Outcome, Task, TaskReply, TaskState
from banshi.dates import parse_date_words
from banshi.models import Hall, Item, Window


class Step(str, Enum):
    ITEM = "item"
    HALL = "hall"
    DAY = "day"
    SLOT = "slot"
    NAME = "name"
    MOBILE = "mobile"
    ID_NUMBER = "id_number"
    COMPANION_NAME = "companion_name"
    COMPANION_ID = "companion_id"
    CONFIRM = "confirm"
    WHICH = "which"  # which booking to cancel or move
    CANCEL = "cancel"  # "确认取消吗？"


class Mode(str, Enum):
    BOOK = "book"
    CANCEL = "cancel"
    MOVE = "move"


ANSWER_GISTS = reading.ANSWER_GISTS
PERSONAL = (Step.NAME, Step.MOBILE, Step.ID_NUMBER, Step.COMPANION_NAME, Step.COMPANION_ID)


def state_at(step: Step, data: dict[str, Any], failures: int = 0) -> TaskState:
    return TaskState(Task.BOOKING, step.value, data, failures)


def asking(text: str | list[str], step: Step, data: dict[str, Any]) -> TaskReply:
    messages = [text] if isinstance(text, str) else text
    return TaskReply(messages, state_at(step, data), Outcome.ASKING)


def done(text: str) -> TaskReply:
    return TaskReply([text], None, Outcome.DONE)


def again(state: TaskState, reason: str, question: str) -> TaskReply:
    """An answer that could not be read: the reason, then the question (one failure more)."""
    again = TaskState(state.task, state.step, state.data, state.failures + 1)
    return TaskReply([f"{reason}\n{question}" if question else reason], again, Outcome.ASKING)


def join(lead: list[str], *parts: str) -> str:
    return "\n".join(p for p in [*lead, *parts] if p)


def stamp(message: Message) -> str:
    return message.now.isoformat(timespec="minutes")


def stamped(reply: TaskReply, message: Message) -> TaskReply:
    """Remember when the question was put, so that "继续" renders it as it was asked."""
    if reply.state is not None and reply.state.task is Task.BOOKING:
        reply.state.data["now"] = stamp(message)
    return reply


def now_of(state: TaskState) -> datetime:
    stamp = state.data.get("now")
    return datetime.fromisoformat(stamp) if isinstance(stamp, str) else datetime.now()


def time_of(value: object) -> time | None:
    return time.fromisoformat(value) if isinstance(value, str) and value else None


def wanted(message: Message, keep_day: bool = True) -> dict[str, Any]:
    """The day, half-day and time the citizen's words name, for the state (read whatever the
    gist: a request such as "约一下周六上午的结婚登记" is a TASK)."""
    spec = parse_date_words(message.text, message.now.date())
    if spec is not None:
        out: dict[str, Any] = {"half": spec.half.value if spec.half else None}
        out["at"] = f"{spec.at:%H:%M}" if spec.at else None
        if keep_day:
            out["day"] = spec.day.isoformat()
        return out
    return {}


def window_of(session: Session, item: Item, hall: Hall) -> Window | None:
    place = hall_for(session, item, hall.code)
    return place[1] if place is not None else None


def place(session: Session, state: TaskState) -> tuple[Item | None, Hall | None]:
    """The item and hall the state names (either may have gone since)."""
    item = find_item(session, str(state.data.get("item") or ""))
    code = state.data.get("hall")
    hall = session.execute(select(Hall).where(Hall.code == code)).scalar_one_or_none()
    return item, hall
