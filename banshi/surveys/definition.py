"""What a survey is: its questions, their types and display logic, its audience and dates.

A definition is plain data, checked once when staff load it (:mod:`banshi.surveys.loader`)
and stored as JSON on the ``survey`` row; the desk and the results read it back with
:meth:`SurveyDefinition.from_json`. Options have a *key* (what answers store) and a *label*
(what the citizen reads): for plain options both are the text, for catalog items the key is
the 实施编码, so results can name the item's department.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

OTHER_KEY = "其他"  # the option added by ``other: true``; its answer carries the citizen's words
RATING_VALUES = (1, 2, 3, 4, 5)
MAX_RANKED = 3  # 最难办的三件事: more is a chore in a chat
MAX_OPTIONS = 20  # a longer numbered list does not fit one WeChat message


class QuestionType(str, Enum):
    SINGLE = "single"  # one option (``other`` adds 其他 with the citizen's words)
    MULTIPLE = "multiple"  # several options, at most ``max``
    RATING = "rating"  # 1-5, 5 the best
    RANKING = "ranking"  # up to ``max`` (≤ 3) options, first the most important
    TEXT = "text"  # free text, stored masked

    @property
    def has_options(self) -> bool:
        return self in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.RANKING)


class AudienceKind(str, Enum):
    """Whom an invitation goes to; ALL also means anyone may take part unasked."""

    ALL = "all"  # every follower the account knows
    USED_ITEM = "used_item"  # citizens who got a notice for ``item`` or booked it
    BOOKED = "booked"  # citizens who booked (``item`` optional)
    NOTICE = "notice"  # citizens who got a 一次性告知单 (``item`` optional)


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind = AudienceKind.ALL
    item: str | None = None  # a 实施编码

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "item": self.item}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        return cls(AudienceKind(data.get("kind", "all")), data.get("item"))


@dataclass(frozen=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True)
class Condition:
    """Show a question only when an earlier answer includes one of ``values``.

    Values are option keys (or 其他) for choice questions and "1".."5" for a rating.
    """

    question: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: str
    options: tuple[Option, ...] = ()
    other: bool = False
    max: int | None = None  # MULTIPLE: at most this many; RANKING: this many places at most
    optional: bool = False
    show_if: tuple[Condition, ...] = ()

    @property
    def choices(self) -> tuple[Option, ...]:
        """The options as offered, 其他 last when the question has it."""
        if self.other:
            return (*self.options, Option(OTHER_KEY, OTHER_KEY))
        return self.options

    @property
    def most(self) -> int:
        """How many options one answer may hold."""
        if self.type is QuestionType.SINGLE:
            return 1
        if self.type is QuestionType.RANKING:
            return min(self.max or MAX_RANKED, MAX_RANKED, len(self.options))
        return min(self.max or len(self.choices), len(self.choices))

    def label_of(self, key: str) -> str:
        for option in self.choices:
            if option.key == key:
                return option.label
        return key

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type.value,
            "text": self.text,
            "options": [[o.key, o.label] for o in self.options],
            "other": self.other,
            "max": self.max,
            "optional": self.optional,
            "show_if": [[c.question, list(c.values)] for c in self.show_if],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            id=data["id"],
            type=QuestionType(data["type"]),
            text=data["text"],
            options=tuple(Option(k, label) for k, label in data.get("options", [])),
            other=bool(data.get("other")),
            max=data.get("max"),
            optional=bool(data.get("optional")),
            show_if=tuple(Condition(q, tuple(v)) for q, v in data.get("show_if", [])),
        )


@dataclass(frozen=True)
class SurveyDefinition:
    id: str
    title: str
    opens: date
    closes: date  # the last day answers are taken
    questions: tuple[Question, ...]
    intro: str = ""
    audience: Audience = field(default_factory=Audience)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def position(self, question_id: str) -> int:
        """1-based number of the question in the file's order."""
        for n, q in enumerate(self.questions, 1):
            if q.id == question_id:
                return n
        raise KeyError(question_id)

    def is_open(self, day: date) -> bool:
        return self.opens <= day <= self.closes

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "intro": self.intro,
            "opens": self.opens.isoformat(),
            "closes": self.closes.isoformat(),
            "audience": self.audience.to_json(),
            "questions": [q.to_json() for q in self.questions],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SurveyDefinition:
        return cls(
            id=data["id"],
            title=data["title"],
            intro=data.get("intro", ""),
            opens=date.fromisoformat(data["opens"]),
            closes=date.fromisoformat(data["closes"]),
            audience=Audience.from_json(data.get("audience") or {}),
            questions=tuple(Question.from_json(q) for q in data["questions"]),
        )


# ---------------------------------------------------------------------- display logic

Answers = Mapping[str, "Given"]


@dataclass(frozen=True)
class Given:
    """An answer as the display logic sees it (None choices/rating: skipped or not that type)."""

    choices: tuple[str, ...] = ()
    rating: int | None = None
    skipped: bool = False

    def values(self) -> set[str]:
        found = set(self.choices)
        if self.rating is not None:
            found.add(str(self.rating))
        return found


def is_shown(question: Question, answers: Answers) -> bool:
    """True when every condition of ``question`` holds; a skipped or hidden question fails."""
    for condition in question.show_if:
        given = answers.get(condition.question)
        if given is None or given.skipped or not given.values() & set(condition.values):
            return False
    return True


def next_question(definition: SurveyDefinition, answers: Answers) -> Question | None:
    """The first question still to ask: shown by its logic and not answered or skipped yet."""
    for question in definition.questions:
        if question.id in answers:
            continue
        if is_shown(question, answers):
            return question
    return None


def shown_questions(definition: SurveyDefinition, answers: Answers) -> list[Question]:
    """The questions a citizen with these answers sees, in order (for counting progress)."""
    return [q for q in definition.questions if q.id in answers or is_shown(q, answers)]


def ranking_points(place: int, most: int) -> int:
    """Points for the option ranked at ``place`` (1-based) of ``most``: 3/2/1 for a top three.

    A Borda count: the first of three places gets 3, the second 2, the third 1; with two
    places 2/1. Citizens who rank fewer than ``most`` still give their picks the same points.
    """
    return max(most - place + 1, 0)


def option_keys(options: Sequence[Option]) -> list[str]:
    return [o.key for o in options]
