"""Publishing a resolved issue (政府端菜): a public page, and a message to each citizen who raised it.

The page is frozen at publication (title, department, action, how many raised it, a few
masked quotes that were not flagged), so later curation does not rewrite what was
published. Its number (RD + six digits) is what the integrator's capability link signs:
``banshi.privacy.links.link_token(secret, "hot_issue", page.number)``.

Each citizen whose answer counts under the issue gets one outbox row (unique per issue and
OpenID). Senders claim rows with :func:`claim_notices` — an UPDATE that only matches while
the row is undelivered, so two senders never deliver one twice — add the page link with
:func:`notice_message`, and give back refusals with :func:`release_notices`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from banshi.hot_issues import texts
from banshi.hot_issues.issues import EventKind, IssueError, IssueStatus, get_issue, member_ids
from banshi.hot_issues.models import (
    HotIssue,
    HotIssueAnswer,
    HotIssueEvent,
    HotIssueNotice,
    HotIssuePage,
)
from banshi.surveys.models import Survey, SurveyAnswer, SurveyResponse

PAGE_QUOTES = 5
PAGE_PREFIX = "RD"


@dataclass(frozen=True)
class Published:
    page: HotIssuePage
    notices: int  # outbox rows created


@dataclass(frozen=True)
class PendingNotice:
    id: int
    issue_id: int
    openid: str
    text: str
    page: str  # the page number, for the link


def page_number(issue_id: int) -> str:
    return f"{PAGE_PREFIX}{issue_id:06d}"


def _quotes(session: Session, answer_ids: Sequence[int], count: int) -> list[str]:
    quotes: list[str] = []
    for start in range(0, len(answer_ids), 500):
        rows = session.execute(
            select(SurveyAnswer.text)
            .where(
                SurveyAnswer.id.in_(list(answer_ids[start : start + 500])),
                SurveyAnswer.flag.is_(None),
                SurveyAnswer.text.is_not(None),
            )
            .order_by(SurveyAnswer.id)
        ).scalars()
        for text in rows:
            if text and text not in quotes:
                quotes.append(text)
            if len(quotes) == count:
                return quotes
    return quotes


def raised_by(session: Session, issue_id: int) -> list[str]:
    """OpenIDs of the citizens whose answers count under the issue."""
    return sorted(
        set(
            session.scalars(
                select(SurveyResponse.openid)
                .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
                .join(HotIssueAnswer, HotIssueAnswer.answer_id == SurveyAnswer.id)
                .where(HotIssueAnswer.issue_id == issue_id)
            )
        )
    )


def notice_text(issue: HotIssue, survey_title: str | None) -> str:
    department = issue.department or texts.DEFAULT_DEPARTMENT
    if survey_title:
        return texts.NOTICE.format(
            survey=survey_title, title=issue.title, department=department, action=issue.action
        )
    return texts.NOTICE_NO_SURVEY.format(
        title=issue.title, department=department, action=issue.action
    )


def publish(session: Session, issue_id: int, now: datetime, staff: str = "") -> Published:
    """Publish the resolution of a resolved issue; once only."""
    issue = get_issue(session, issue_id)
    if issue.status != IssueStatus.RESOLVED.value or not issue.action:
        raise IssueError("只有已解决并写明整改措施的热点问题才能发布")
    if session.execute(select(HotIssuePage.id).where(HotIssuePage.issue_id == issue.id)).first():
        raise IssueError(f"热点问题 {issue_id} 已经发布过了")
    members = member_ids(session, issue.id)
    page = HotIssuePage(
        issue_id=issue.id,
        number=page_number(issue.id),
        title=issue.title,
        department=issue.department,
        action=issue.action,
        raised=len(members),
        quotes=_quotes(session, members, PAGE_QUOTES),
        published_at=now,
    )
    session.add(page)
    survey = session.get(Survey, issue.survey_id) if issue.survey_id else None
    text = notice_text(issue, survey.title if survey else None)
    openids = raised_by(session, issue.id)
    if openids:
        session.execute(
            HotIssueNotice.__table__.insert(),
            [{"issue_id": issue.id, "openid": o, "text": text, "created_at": now} for o in openids],
        )
    session.add(
        HotIssueEvent(
            issue_id=issue.id,
            at=now,
            kind=EventKind.PUBLISHED.value,
            detail=f"{page.number}，通知{len(openids)}人",
            staff=staff,
        )
    )
    session.flush()
    return Published(page, len(openids))


def get_page(session: Session, number: str) -> HotIssuePage | None:
    return session.execute(
        select(HotIssuePage).where(HotIssuePage.number == number.strip().upper())
    ).scalar_one_or_none()


def pending_notices(openids: Sequence[str] | None = None) -> Select:
    """Undelivered messages of published issues with their page's number (some citizens', or
    everyone's), oldest first: what :func:`claim_notices` takes, and what
    :func:`banshi.owed.check` asks about."""
    query = (
        select(HotIssueNotice, HotIssuePage.number)
        .join(HotIssuePage, HotIssuePage.issue_id == HotIssueNotice.issue_id)
        .where(HotIssueNotice.delivered_at.is_(None))
    )
    if openids is not None:
        query = query.where(HotIssueNotice.openid.in_(list(openids)))
    return query.order_by(HotIssueNotice.id)


def claim_notices(
    session: Session, now: datetime, openids: Sequence[str] | None = None, limit: int = 100
) -> list[PendingNotice]:
    """Take undelivered messages (some citizens', or any ``limit``); commit before sending."""
    query = pending_notices(openids).limit(limit)
    claimed = []
    for row, number in session.execute(query).all():
        result = session.execute(
            update(HotIssueNotice)
            .where(HotIssueNotice.id == row.id, HotIssueNotice.delivered_at.is_(None))
            .values(delivered_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(PendingNotice(row.id, row.issue_id, row.openid, row.text, number))
    return claimed


def release_notices(session: Session, ids: Iterable[int]) -> None:
    """Make claimed messages pending again: they could not be sent."""
    ids = list(ids)
    if ids:
        session.execute(
            update(HotIssueNotice)
            .where(HotIssueNotice.id.in_(ids))
            .values(delivered_at=None)
            .execution_options(synchronize_session=False)
        )


def notice_message(notice: PendingNotice, url: str) -> str:
    """The message as sent: the text, the page link, thanks."""
    return "\n".join([notice.text, texts.NOTICE_LINK.format(url=url), texts.NOTICE_THANKS])


def forget_citizen(session: Session, openid: str) -> int:
    """Delete the messages owed to a citizen (on unsubscribe)."""
    result = session.execute(delete(HotIssueNotice).where(HotIssueNotice.openid == openid))
    return int(result.rowcount or 0)
