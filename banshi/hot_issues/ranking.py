"""Ordering the hot issues by what citizens said, in every channel that says it.

Signals, each scaled to 0–1 by its largest value among the listed issues, then weighted:

- size: survey answers counted under the issue (weight 1);
- points: ranking points (3/2/1) of the options the issue covers — its catalog items and
  the options staff linked — in its survey's ranking questions (weight 1);
- complaints: 投诉 tickets about its items or linked to it (weight 1), when given;
- unanswered: questions the assistant could not answer, linked to it or its items
  (weight 0.5: a gap in the guide, often a symptom rather than the trouble), when given.

Scaling by the largest keeps one loud signal from drowning the others; an absent signal
adds nothing to any issue, so the order is the same whether or not tickets exist yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banshi.hot_issues.issues import IssueStatus
from banshi.hot_issues.models import HotIssue, HotIssueAnswer, HotIssuePage
from banshi.surveys.definition import QuestionType, SurveyDefinition, ranking_points
from banshi.surveys.models import SurveyAnswer, SurveyResponse
from banshi.surveys.store import get_definition


@dataclass(frozen=True)
class RankingConfig:
    size: float = 1.0
    points: float = 1.0
    complaints: float = 1.0
    unanswered: float = 0.5


@dataclass(frozen=True)
class Signals:
    """Counts from outside the surveys, keyed by 实施编码 or by issue id; all optional."""

    complaints_by_item: Mapping[str, int] = field(default_factory=dict)
    complaints_by_issue: Mapping[int, int] = field(default_factory=dict)
    unanswered_by_item: Mapping[str, int] = field(default_factory=dict)
    unanswered_by_issue: Mapping[int, int] = field(default_factory=dict)


@dataclass
class RankedIssue:
    issue: HotIssue
    size: int
    points: int
    complaints: int
    unanswered: int
    score: float
    page: str | None  # the published page's number


def survey_points(session: Session, definition: SurveyDefinition) -> Counter[str]:
    """Ranking points per option key over every ranking question of the survey."""
    points: Counter[str] = Counter()
    for question in definition.questions:
        if question.type is not QuestionType.RANKING:
            continue
        rows = session.execute(
            select(SurveyAnswer.choices)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(
                SurveyResponse.survey_id == definition.id,
                SurveyAnswer.question == question.id,
                SurveyAnswer.skipped.is_(False),
            )
        ).scalars()
        for choices in rows:
            for place, key in enumerate(choices or [], 1):
                points[key] += ranking_points(place, question.most)
    return points


def rank_issues(
    session: Session,
    signals: Signals | None = None,
    config: RankingConfig | None = None,
) -> list[RankedIssue]:
    """Issues not merged away, highest combined score first."""
    signals = signals or Signals()
    config = config or RankingConfig()
    issues = session.execute(select(HotIssue).where(HotIssue.merged_into.is_(None))).scalars().all()
    sizes = dict(
        session.execute(
            select(HotIssueAnswer.issue_id, func.count()).group_by(HotIssueAnswer.issue_id)
        ).all()
    )
    pages = dict(session.execute(select(HotIssuePage.issue_id, HotIssuePage.number)).all())
    points_of: dict[str, Counter[str]] = {}
    ranked = []
    for issue in issues:
        if issue.survey_id and issue.survey_id not in points_of:
            definition = get_definition(session, issue.survey_id)
            points_of[issue.survey_id] = (
                survey_points(session, definition) if definition else Counter()
            )
        keys = set(issue.items) | set(issue.options)
        points = points_of.get(issue.survey_id or "", Counter())
        ranked.append(
            RankedIssue(
                issue=issue,
                size=int(sizes.get(issue.id, 0)),
                points=sum(points[k] for k in keys),
                complaints=signals.complaints_by_issue.get(issue.id, 0)
                + sum(signals.complaints_by_item.get(c, 0) for c in issue.items),
                unanswered=signals.unanswered_by_issue.get(issue.id, 0)
                + sum(signals.unanswered_by_item.get(c, 0) for c in issue.items),
                score=0.0,
                page=pages.get(issue.id),
            )
        )
    tops = {
        name: max((getattr(r, name) for r in ranked), default=0) or 1
        for name in ("size", "points", "complaints", "unanswered")
    }
    for r in ranked:
        r.score = round(
            sum(getattr(config, name) * getattr(r, name) / tops[name] for name in tops), 4
        )
    ranked.sort(key=lambda r: (-r.score, -r.size, r.issue.id))
    return ranked


def hot_issues_json(
    session: Session, signals: Signals | None = None, config: RankingConfig | None = None
) -> list[dict[str, Any]]:
    """``banshi hot-issues --json``: the ranked list with every signal and the status."""
    return [
        {
            "rank": n,
            "id": r.issue.id,
            "title": r.issue.title,
            "department": r.issue.department,
            "status": r.issue.status,
            "status_label": IssueStatus(r.issue.status).label,
            "action": r.issue.action,
            "score": r.score,
            "size": r.size,
            "ranking_points": r.points,
            "complaints": r.complaints,
            "unanswered": r.unanswered,
            "keywords": list(r.issue.keywords),
            "items": list(r.issue.items),
            "survey": r.issue.survey_id,
            "page": r.page,
            "updated_at": r.issue.updated_at.isoformat(sep=" ", timespec="minutes"),
        }
        for n, r in enumerate(rank_issues(session, signals, config), 1)
    ]
