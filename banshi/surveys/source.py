"""A survey as staff write it: the file text of a stored definition, and the console builder's
form turned into that text.

Every way of defining a survey — a file for ``banshi surveys load``, the YAML box of the
console, the builder's form — ends as the same file text and goes through the one checker
(:func:`banshi.surveys.loader.parse_definition`), so a rule is enforced once and a survey
built in the console can be saved as a file and loaded elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from banshi.surveys.definition import AudienceKind, QuestionType, SurveyDefinition
from banshi.surveys.desk import SurveyDeskConfig, minutes, question_text
from banshi.surveys.texts import INTRO, INTRO_HOW

# "q1=B" or "q2=网上办不成|预约不上; q3=1|2": conditions apart by ; and values by | or 、
_CONDITIONS = re.compile(r"[;；\n]+")
_VALUES = re.compile(r"[|｜、,，]+")
_EQUALS = re.compile(r"\s*[=＝:：]\s*")
QUESTION_TYPES = tuple(t.value for t in QuestionType)  # the builder's choices, in this order


@dataclass(frozen=True)
class Shown:
    """One message of the preview, and when it is shown (empty: always)."""

    text: str
    logic: str = ""


@dataclass(frozen=True)
class QuestionRow:
    """One question of the builder's form, as typed (checked only by the loader)."""

    id: str = ""
    type: str = ""
    text: str = ""
    options: str = ""  # one per line
    from_items: bool = False  # the options are catalog items (names or 实施编码)
    other: bool = False
    max: str = ""
    optional: bool = False
    show_if: str = ""  # "q1=B; q3=1|2"

    @property
    def is_blank(self) -> bool:
        return not (self.type.strip() or self.text.strip() or self.options.strip())


@dataclass(frozen=True)
class SurveyForm:
    """The builder's form: the survey's fields and its question rows."""

    id: str = ""
    title: str = ""
    intro: str = ""
    opens: str = ""
    closes: str = ""
    audience: str = AudienceKind.ALL.value
    audience_item: str = ""
    questions: tuple[QuestionRow, ...] = field(default_factory=tuple)

    @classmethod
    def from_fields(cls, get: Callable[[str], str], rows: int) -> SurveyForm:
        """The form as posted: ``get(name)`` reads a field ('' when absent); question ``n``'s
        fields are ``q{n}_type``, ``q{n}_text`` …, a ticked box sends ``1``."""

        def row(n: int) -> QuestionRow:
            def text(name: str) -> str:
                return get(f"q{n}_{name}")

            return QuestionRow(
                id=text("id"),
                type=text("type"),
                text=text("text"),
                options=text("options"),
                from_items=text("from_items") == "1",
                other=text("other") == "1",
                max=text("max"),
                optional=text("optional") == "1",
                show_if=text("show_if"),
            )

        return cls(
            id=get("survey_id"),
            title=get("title"),
            intro=get("intro"),
            opens=get("opens"),
            closes=get("closes"),
            audience=get("audience") or AudienceKind.ALL.value,
            audience_item=get("audience_item"),
            questions=tuple(row(n) for n in range(1, rows + 1)),
        )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse_show_if(text: str) -> dict[str, list[str]] | str | None:
    """``q1=B; q3=1|2`` as the file's mapping; the text itself when it cannot be read (the
    loader then says how to write it); None when empty."""
    text = text.strip()
    if not text:
        return None
    found: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in _CONDITIONS.split(text))):
        pieces = _EQUALS.split(part, maxsplit=1)
        if len(pieces) != 2 or not pieces[0].strip():
            return text
        ref, values = pieces[0].strip(), pieces[1]
        if not values.strip():
            return text
        found.setdefault(ref, []).extend(v.strip() for v in _VALUES.split(values) if v.strip())
    return found


def _question_data(row: QuestionRow, number: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id.strip() or f"q{number}",
        "type": row.type.strip(),
        "text": row.text.strip(),
    }
    options = _lines(row.options)
    if row.from_items:
        data["options_from"] = "items"
        if options:
            data["items"] = options
    elif options:
        data["options"] = options
    if row.other:
        data["other"] = True
    most = row.max.strip()
    if most:
        data["max"] = int(most) if most.isdigit() else most
    if row.optional:
        data["optional"] = True
    show_if = parse_show_if(row.show_if)
    if show_if is not None:
        data["show_if"] = show_if
    return data


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def form_text(form: SurveyForm) -> str:
    """The file text of the builder's form; blank rows are left out, a missing question id
    is ``q`` + its number among the questions kept."""
    audience: Any = form.audience.strip() or AudienceKind.ALL.value
    if audience != AudienceKind.ALL.value:
        audience = {"kind": audience}
        if form.audience_item.strip():
            audience["item"] = form.audience_item.strip()
    rows = [row for row in form.questions if not row.is_blank]
    data: dict[str, Any] = {
        "id": form.id.strip(),
        "title": form.title.strip(),
        "intro": form.intro.strip(),
        "opens": form.opens.strip(),
        "closes": form.closes.strip(),
        "audience": audience,
        "questions": [_question_data(row, n) for n, row in enumerate(rows, 1)],
    }
    return _dump(data)


def definition_text(definition: SurveyDefinition) -> str:
    """A stored survey as a file (to edit it, or to keep it beside the others)."""
    questions = []
    for q in definition.questions:
        entry: dict[str, Any] = {"id": q.id, "type": q.type.value, "text": q.text}
        if q.type.has_options:
            if any(o.key != o.label for o in q.options):  # catalog items: key is the 实施编码
                entry["options_from"] = "items"
                entry["items"] = [o.key for o in q.options]
            else:
                entry["options"] = [o.label for o in q.options]
        if q.other:
            entry["other"] = True
        if q.max is not None:
            entry["max"] = q.max
        if q.optional:
            entry["optional"] = True
        if q.show_if:
            entry["show_if"] = {c.question: list(c.values) for c in q.show_if}
        questions.append(entry)
    audience: Any = definition.audience.kind.value
    if definition.audience.kind is not AudienceKind.ALL:
        audience = {"kind": audience}
        if definition.audience.item:
            audience["item"] = definition.audience.item
    return _dump(
        {
            "id": definition.id,
            "title": definition.title,
            "intro": definition.intro,
            "opens": definition.opens.isoformat(),
            "closes": definition.closes.isoformat(),
            "audience": audience,
            "questions": questions,
        }
    )


def definition_form(definition: SurveyDefinition) -> SurveyForm:
    """The builder's form filled from a stored survey (catalog items by name)."""
    rows = []
    for q in definition.questions:
        from_items = any(o.key != o.label for o in q.options)
        rows.append(
            QuestionRow(
                id=q.id,
                type=q.type.value,
                text=q.text,
                options="\n".join(o.label for o in q.options),
                from_items=from_items,
                other=q.other,
                max=str(q.max) if q.max is not None else "",
                optional=q.optional,
                show_if="; ".join(f"{c.question}={'|'.join(c.values)}" for c in q.show_if),
            )
        )
    return SurveyForm(
        id=definition.id,
        title=definition.title,
        intro=definition.intro,
        opens=definition.opens.isoformat(),
        closes=definition.closes.isoformat(),
        audience=definition.audience.kind.value,
        audience_item=definition.audience.item or "",
        questions=tuple(rows),
    )


def preview(definition: SurveyDefinition, config: SurveyDeskConfig | None = None) -> list[Shown]:
    """The chat as a citizen shown every question reads it: the introduction, then each
    question as the desk asks it, with the condition of those shown only sometimes."""
    intro = INTRO.format(title=definition.title, intro=definition.intro).strip()
    how = INTRO_HOW.format(
        count=len(definition.questions), minutes=minutes(definition, config or SurveyDeskConfig())
    )
    shown = [Shown(f"{intro}\n{how}")]
    for n, question in enumerate(definition.questions, 1):
        logic = "；".join(
            f"仅当 {c.question} 答 {'、'.join(c.values)} 时出现" for c in question.show_if
        )
        shown.append(Shown(question_text(question, n), logic))
    return shown
