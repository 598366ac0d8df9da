"""What a ticket is about and where it stands: its type, its state and the allowed moves.

The closed loop is the 12345 hotline's (国办发〔2020〕53号): 受理 → 转办/派单 → 办理 → 答复 →
回访 → 评价 → 办结. A department may send a ticket back (退单) with a reason, and the
dispatcher routes it again (改派); a duplicate is merged into the ticket it repeats
(国办函〔2025〕66号). Every move is one :class:`TicketAction` recorded in the history.
"""

from __future__ import annotations

import re
from enum import Enum


class TicketKind(str, Enum):
    """工单类型 (12345: 咨询 / 求助 / 投诉 / 举报 / 建议, and 表扬)."""

    CONSULT = "consult"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @classmethod
    def parse(cls, value: str | TicketKind) -> TicketKind:
        """A type from its code (``complaint``) or its label (``投诉``)."""
        if isinstance(value, TicketKind):
            return value
        text = value.strip()
        for kind in cls:
            if text in (kind.value, kind.label):
                return kind
        options = "、".join(f"{k.value}（{k.label}）" for k in cls)
        raise ValueError(f"未知的工单类型“{value}”，可选：{options}")


_KIND_LABELS = {
    TicketKind.CONSULT: "咨询",
    TicketKind.HELP: "求助",
    TicketKind.COMPLAINT: "投诉",
    TicketKind.REPORT: "举报",
    TicketKind.SUGGESTION: "建议",
    TicketKind.PRAISE: "表扬",
}

# Words that name the type, most specific first: "我要举报…投诉无门" is a 举报.
_KIND_WORDS: tuple[tuple[TicketKind, re.Pattern[str]], ...] = (
    (TicketKind.REPORT, re.compile(r"举报|检举|揭发")),
    (TicketKind.COMPLAINT, re.compile(r"投诉|差评|态度(太|很|特别|非常)?(差|恶劣|不好)|吐槽")),
    (TicketKind.PRAISE, re.compile(r"表扬|点赞|感谢信|锦旗|夸一夸|夸夸")),
    (TicketKind.SUGGESTION, re.compile(r"建议|意见|希望(能|可以)|能不能|可不可以")),
    (TicketKind.HELP, re.compile(r"求助|帮帮|帮忙|救助|急需")),
    (TicketKind.CONSULT, re.compile(r"咨询|请问|问一下|想问")),
)


def kind_in_words(text: str) -> TicketKind | None:
    """The type the citizen's own words name ("我要投诉…" → 投诉), or None."""
    for kind, pattern in _KIND_WORDS:
        if pattern.search(text):
            return kind
    return None


class TicketState(str, Enum):
    """Where a ticket stands in the closed loop; MERGED ends a duplicate."""

    ACCEPTED = "accepted"  # 受理: waiting for the dispatcher
    DISPATCHED = "dispatched"  # 转办/派单: sent to a department
    HANDLING = "handling"  # 办理: the department took it
    ANSWERED = "answered"  # 答复: a reply reached (or is on its way to) the citizen
    VISITED = "visited"  # 回访: staff called back
    EVALUATED = "evaluated"  # 评价: the citizen's satisfaction recorded at the call-back
    CLOSED = "closed"  # 办结
    MERGED = "merged"  # 合并: a duplicate, handled with the ticket it repeats

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self not in (TicketState.CLOSED, TicketState.MERGED)

    @property
    def awaits_answer(self) -> bool:
        """Whether the answering deadline still runs (it stops at the first reply)."""
        return self in AWAITING_ANSWER

    @classmethod
    def parse(cls, value: str | TicketState) -> TicketState:
        """A state from its code (``answered``) or its label (``答复``)."""
        if isinstance(value, TicketState):
            return value
        text = value.strip()
        for state in cls:
            if text in (state.value, state.label):
                return state
        options = "、".join(f"{s.value}（{s.label}）" for s in cls)
        raise ValueError(f"未知的工单状态“{value}”，可选：{options}")


_STATE_LABELS = {
    TicketState.ACCEPTED: "受理",
    TicketState.DISPATCHED: "转办",
    TicketState.HANDLING: "办理",
    TicketState.ANSWERED: "答复",
    TicketState.VISITED: "回访",
    TicketState.EVALUATED: "评价",
    TicketState.CLOSED: "办结",
    TicketState.MERGED: "合并",
}

AWAITING_ANSWER = frozenset({TicketState.ACCEPTED, TicketState.DISPATCHED, TicketState.HANDLING})
OPEN_STATES = frozenset(s for s in TicketState if s.is_open)


class TicketAction(str, Enum):
    """One recorded step in a ticket's history."""

    FILE = "file"  # 受理
    DISPATCH = "dispatch"  # 派单 (to a department)
    RETURN = "return"  # 退单 (back to the dispatcher, with a reason)
    TAKE = "take"  # the department starts handling
    REPLY = "reply"  # 答复
    VISIT = "visit"  # 回访
    EVALUATE = "evaluate"  # 评价
    CLOSE = "close"  # 办结
    MERGE = "merge"  # a duplicate merged into this one, or this one into another
    EXTEND = "extend"  # 延期 (with a reason)
    ESCALATE = "escalate"  # near or past its deadline: brought to the dispatcher
    DUE = "due"  # the deadline could be computed at last (the year's calendar arrived)

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    TicketAction.FILE: "受理",
    TicketAction.DISPATCH: "派单",
    TicketAction.RETURN: "退单",
    TicketAction.TAKE: "签收办理",
    TicketAction.REPLY: "答复",
    TicketAction.VISIT: "回访",
    TicketAction.EVALUATE: "评价",
    TicketAction.CLOSE: "办结",
    TicketAction.MERGE: "合并",
    TicketAction.EXTEND: "延期",
    TicketAction.ESCALATE: "督办提醒",
    TicketAction.DUE: "确定办理期限",
}

# The moves each state allows. A reply may come straight from the dispatcher (a 咨询 the
# hotline answers itself), and a further reply keeps a ticket ANSWERED.
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    TicketState.ACCEPTED: frozenset(
        {TicketState.DISPATCHED, TicketState.ANSWERED, TicketState.MERGED}
    ),
    TicketState.DISPATCHED: frozenset(
        {TicketState.HANDLING, TicketState.ACCEPTED, TicketState.ANSWERED, TicketState.MERGED}
    ),
    TicketState.HANDLING: frozenset(
        {TicketState.ACCEPTED, TicketState.ANSWERED, TicketState.MERGED}
    ),
    TicketState.ANSWERED: frozenset(
        {
            TicketState.ANSWERED,
            TicketState.VISITED,
            TicketState.EVALUATED,
            TicketState.CLOSED,
            TicketState.MERGED,
        }
    ),
    TicketState.VISITED: frozenset(
        {TicketState.ANSWERED, TicketState.EVALUATED, TicketState.CLOSED}
    ),
    TicketState.EVALUATED: frozenset({TicketState.ANSWERED, TicketState.CLOSED}),
    TicketState.CLOSED: frozenset(),
    TicketState.MERGED: frozenset(),
}


def can_move(source: TicketState, target: TicketState) -> bool:
    return target in TRANSITIONS[source]


class Source(str, Enum):
    """How a ticket came in; the dispatcher reads it to judge how much context it has."""

    CHAT = "chat"  # filed through the ticket desk
    UNANSWERED = "unanswered"  # a question the assistant could not answer, offered and accepted
    HANDOFF = "handoff"  # 转人工 outside service hours, or nobody took it in time
