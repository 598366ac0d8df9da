"""Results of a survey, question by question, with complete and partial responses apart.

A response is *complete* once every question its logic showed was answered or skipped,
*partial* when it holds at least one answer but stopped, and merely *opened* when the
citizen saw the first question and left. Counts are given for all answers and for complete
responses alone, so staff can see whether those who gave up answered differently.

Drop-off: for each question, how many partial (or opened) responses stopped there, out of
how many reached it (answered, skipped, or stopped at it).

Per type: choice counts and shares (share of those who answered the question; a multiple
choice sums to more than 100 %); the mean rating and its 1–5 distribution; ranking points
(:func:`banshi.surveys.definition.ranking_points`: 3/2/1 for first/second/third of three)
with the count per place; open text grouped by :mod:`banshi.surveys.grouping`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.models import Item
from banshi.surveys.definition import QuestionType, SurveyDefinition, ranking_points
from banshi.surveys.grouping import GroupingConfig, group_answers
from banshi.surveys.models import SurveyAnswer, SurveyResponse
from banshi.surveys.moderation import Flag
from banshi.surveys.responses import ResponseStatus
from banshi.surveys.store import get_definition

Resolve = Callable[[str], str | None]
MAX_OTHER_TEXTS = 20


@dataclass
class AnswerRow:
    """An answer that carries text (open answers, 其他), kept for grouping and quotes."""

    id: int
    response_id: int
    question: str
    text: str
    flag: str | None


@dataclass
class Tally:
    """Answers to one question: everything counted for all, and for complete responses."""

    answered: int = 0
    answered_complete: int = 0
    skipped: int = 0
    stopped: int = 0  # partial responses that stopped at this question
    options: Counter[str] = field(default_factory=Counter)
    options_complete: Counter[str] = field(default_factory=Counter)
    places: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    ratings: Counter[int] = field(default_factory=Counter)
    ratings_complete: Counter[int] = field(default_factory=Counter)
    texts: list[AnswerRow] = field(default_factory=list)


@dataclass
class Responses:
    """Who answered: ids of complete responses, and where each unfinished one stands."""

    complete: set[int]
    stopped_at: dict[int, str | None]  # unfinished response id -> question being asked


def read_responses(session: Session, survey_id: str) -> Responses:
    complete: set[int] = set()
    stopped_at: dict[int, str | None] = {}
    rows = session.execute(
        select(SurveyResponse.id, SurveyResponse.status, SurveyResponse.current).where(
            SurveyResponse.survey_id == survey_id
        )
    )
    for rid, status, current in rows:
        if status == ResponseStatus.COMPLETE.value:
            complete.add(rid)
        else:
            stopped_at[rid] = current
    return Responses(complete, stopped_at)


def tally(
    session: Session, definition: SurveyDefinition, responses: Responses
) -> tuple[dict[str, Tally], set[int]]:
    """Count every answer in one streamed pass; keep only the rows that carry text.

    Returns the tallies per question and the ids of unfinished responses with an answer.
    """
    tallies = {q.id: Tally() for q in definition.questions}
    ranking = {q.id for q in definition.questions if q.type is QuestionType.RANKING}
    table = SurveyAnswer.__table__
    query = (
        select(
            table.c.id,
            table.c.response_id,
            table.c.question,
            table.c.choices,
            table.c.rating,
            table.c.text,
            table.c.skipped,
            table.c.flag,
        )
        .join(SurveyResponse.__table__, SurveyResponse.id == table.c.response_id)
        .where(SurveyResponse.survey_id == definition.id)
        .order_by(table.c.id)
        .execution_options(yield_per=10000)
    )
    complete = responses.complete
    partial: set[int] = set()
    for aid, rid, qid, choices, rating, text, skipped, flag in session.execute(query):
        t = tallies.get(qid)
        if t is None:
            continue
        done = rid in complete
        if not done:
            partial.add(rid)
        if skipped:
            t.skipped += 1
            continue
        t.answered += 1
        t.answered_complete += done
        if choices:
            for place, key in enumerate(choices, 1):
                t.options[key] += 1
                t.options_complete[key] += done
                if qid in ranking:
                    t.places[key][place] += 1
        if rating is not None:
            t.ratings[rating] += 1
            t.ratings_complete[rating] += done
        if text:
            t.texts.append(AnswerRow(aid, rid, qid, text, flag))
    for current in responses.stopped_at.values():
        if current in tallies:
            tallies[current].stopped += 1
    return tallies, partial


def _share(count: int, whole: int) -> float:
    return round(count / whole, 4) if whole else 0.0


def _mean(counts: Counter[int]) -> float | None:
    total = sum(counts.values())
    return round(sum(v * n for v, n in counts.items()) / total, 2) if total else None


def _items(session: Session, codes: list[str]) -> dict[str, tuple[str, str]]:
    if not codes:
        return {}
    rows = session.execute(
        select(Item.task_code, Item.name, Item.dept_name).where(Item.task_code.in_(codes))
    )
    return {code: (name.strip(), dept) for code, name, dept in rows}


def results(
    session: Session,
    survey_id: str,
    resolve: Resolve | None = None,
    grouping: GroupingConfig | None = None,
    members: bool = False,
) -> dict[str, Any]:
    """The survey's results as JSON-safe data (``banshi surveys results SURVEY --json``).

    ``resolve`` is the guide's item resolver (text → 实施编码 or None), used to link groups
    of open answers to the items they mention; without it groups name no items.
    ``members`` adds each group's answer ids (for making hot issues of the groups).
    """
    definition = get_definition(session, survey_id)
    if definition is None:
        raise KeyError(f"没有问卷 {survey_id}")
    responses = read_responses(session, survey_id)
    tallies, partial_ids = tally(session, definition, responses)
    complete = len(responses.complete)
    partial = len(partial_ids)
    questions = []
    for question in definition.questions:
        t = tallies[question.id]
        reached = t.answered + t.skipped + t.stopped
        entry: dict[str, Any] = {
            "id": question.id,
            "type": question.type.value,
            "text": question.text,
            "answered": t.answered,
            "answered_complete": t.answered_complete,
            "answered_partial": t.answered - t.answered_complete,
            "skipped": t.skipped,
            "reached": reached,
            "stopped_here": t.stopped,
            "drop_off_rate": _share(t.stopped, reached),
        }
        if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            entry["options"] = [
                {
                    "key": o.key,
                    "label": o.label,
                    "count": t.options[o.key],
                    "count_complete": t.options_complete[o.key],
                    "share": _share(t.options[o.key], t.answered),
                }
                for o in question.choices
            ]
            if question.other:
                others = [r.text for r in t.texts if r.text and not r.flag]
                entry["other_texts"] = others[-MAX_OTHER_TEXTS:]
        elif question.type is QuestionType.RATING:
            entry["mean"] = _mean(t.ratings)
            entry["mean_complete"] = _mean(t.ratings_complete)
            entry["distribution"] = {str(v): t.ratings[v] for v in range(1, 6)}
        elif question.type is QuestionType.RANKING:
            entry["points_rule"] = f"第1位得{question.most}分，每往后一位少1分"
            ranked = [
                {
                    "key": o.key,
                    "label": o.label,
                    "points": sum(
                        ranking_points(place, question.most) * n
                        for place, n in t.places[o.key].items()
                    ),
                    "places": [t.places[o.key][p] for p in range(1, question.most + 1)],
                    "count": t.options[o.key],
                }
                for o in question.options
            ]
            entry["options"] = sorted(ranked, key=lambda r: (-r["points"], -r["count"]))
        else:
            entry.update(_open_text(session, t.texts, resolve, grouping, members))
        questions.append(entry)
    return {
        "survey": definition.id,
        "title": definition.title,
        "opens": definition.opens.isoformat(),
        "closes": definition.closes.isoformat(),
        "responses": {
            "complete": complete,
            "partial": partial,
            "opened": len(responses.stopped_at) - partial,
        },
        "questions": questions,
    }


def _open_text(
    session: Session,
    rows: list[AnswerRow],
    resolve: Resolve | None,
    config: GroupingConfig | None,
    members: bool,
) -> dict[str, Any]:
    texts = [r.text for r in rows]
    grouping = group_answers(texts, config, [bool(r.flag) for r in rows], resolve)
    codes = sorted({code for g in grouping.groups for code, _ in g.items})
    known = _items(session, codes)
    groups = []
    for group in grouping.groups:
        entry: dict[str, Any] = {
            "label": group.label,
            "keywords": group.keywords,
            "size": group.size,
            "quotes": group.quotes,
            "items": [
                {
                    "code": code,
                    "name": known.get(code, ("", ""))[0],
                    "department": known.get(code, ("", ""))[1],
                    "mentions": n,
                }
                for code, n in group.items
            ],
        }
        if members:
            entry["answer_ids"] = [rows[m].id for m in group.members]
        groups.append(entry)
    return {
        "keywords": grouping.keywords,
        "flagged": {flag.value: sum(1 for r in rows if r.flag == flag.value) for flag in Flag},
        "no_opinion": len(grouping.no_opinion),
        "groups": groups,
    }


def results_json(
    session: Session, survey_id: str, resolve: Resolve | None = None
) -> dict[str, Any]:
    """``banshi surveys results SURVEY --json``: :func:`results` (print with json.dumps)."""
    return results(session, survey_id, resolve)


def flagged_answers(session: Session, survey_id: str | None = None) -> list[dict[str, Any]]:
    """Answers flagged for staff (敏感 first, newest first), masked, for the console to review."""
    query = (
        select(SurveyAnswer, SurveyResponse.survey_id)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyAnswer.flag.is_not(None))
    )
    if survey_id is not None:
        query = query.where(SurveyResponse.survey_id == survey_id)
    rows = session.execute(query.order_by(SurveyAnswer.answered_at.desc(), SurveyAnswer.id)).all()
    found = [
        {
            "answer_id": answer.id,
            "survey": survey,
            "question": answer.question,
            "flag": answer.flag,
            "flag_label": Flag(answer.flag).label,
            "text": answer.text,
            "answered_at": answer.answered_at.isoformat(sep=" ", timespec="minutes"),
        }
        for answer, survey in rows
    ]
    return sorted(found, key=lambda f: f["flag"] != Flag.SENSITIVE.value)
