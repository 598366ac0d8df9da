"""The hot-issues list staff curate: issues made from groups of answers, merged, split, renamed,
owned by a department, with the action taken and its status.

An issue starts from a group of open answers (:func:`issues_from_survey`) or by hand
(:func:`create_issue`). Each survey answer counts under one issue at most, so merging moves
answers and splitting takes some out; a merged issue stays (``merged_into``) for the record
but leaves the list. Every change is an event with who and when (:class:`EventKind`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from banshi.hot_issues.models import HotIssue, HotIssueAnswer, HotIssueEvent
from banshi.surveys.definition import QuestionType
from banshi.surveys.grouping import SCATTERED, GroupingConfig
from banshi.surveys.results import results
from banshi.surveys.store import get_definition


class IssueStatus(str, Enum):
    TODO = "todo"  # 待办
    IN_PROGRESS = "in_progress"  # 整改中
    RESOLVED = "resolved"  # 已解决

    @property
    def label(self) -> str:
        return {"todo": "待办", "in_progress": "整改中", "resolved": "已解决"}[self.value]


class EventKind(str, Enum):
    CREATED = "created"
    RENAMED = "renamed"
    MERGED = "merged"
    SPLIT = "split"
    ASSIGNED = "assigned"
    ACTION = "action"  # action text and status recorded
    PUBLISHED = "published"


class IssueError(ValueError):
    """A curation step that cannot be done as asked; the message says why."""


def _event(
    session: Session, issue: HotIssue, kind: EventKind, now: datetime, detail: str, staff: str
) -> None:
    session.add(
        HotIssueEvent(issue_id=issue.id, at=now, kind=kind.value, detail=detail, staff=staff)
    )


def get_issue(session: Session, issue_id: int) -> HotIssue:
    issue = session.get(HotIssue, issue_id)
    if issue is None:
        raise IssueError(f"没有编号为 {issue_id} 的热点问题")
    if issue.merged_into is not None:
        raise IssueError(f"热点问题 {issue_id} 已并入 {issue.merged_into}")
    return issue


def member_ids(session: Session, issue_id: int) -> list[int]:
    return list(
        session.scalars(
            select(HotIssueAnswer.answer_id)
            .where(HotIssueAnswer.issue_id == issue_id)
            .order_by(HotIssueAnswer.answer_id)
        )
    )


def size_of(session: Session, issue_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).where(HotIssueAnswer.issue_id == issue_id)
        ).scalar_one()
    )


def create_issue(
    session: Session,
    title: str,
    now: datetime,
    answer_ids: Sequence[int] = (),
    survey_id: str | None = None,
    question: str | None = None,
    keywords: Sequence[str] = (),
    items: Sequence[str] = (),
    department: str = "",
    staff: str = "",
) -> HotIssue:
    """A new issue holding the given answers (taken from any issue that held them)."""
    title = title.strip()
    if not title:
        raise IssueError("热点问题需要一个名称")
    issue = HotIssue(
        title=title,
        survey_id=survey_id,
        question=question,
        department=department,
        status=IssueStatus.TODO.value,
        action="",
        keywords=list(keywords),
        items=list(items),
        options=[],
        created_at=now,
        updated_at=now,
    )
    session.add(issue)
    session.flush()
    _move(session, list(answer_ids), issue.id)
    _event(session, issue, EventKind.CREATED, now, f"{len(answer_ids)}条意见", staff)
    return issue


def _move(session: Session, answer_ids: list[int], issue_id: int) -> None:
    if not answer_ids:
        return
    for start in range(0, len(answer_ids), 500):
        chunk = answer_ids[start : start + 500]
        session.execute(delete(HotIssueAnswer).where(HotIssueAnswer.answer_id.in_(chunk)))
        session.execute(
            HotIssueAnswer.__table__.insert(),
            [{"answer_id": a, "issue_id": issue_id} for a in chunk],
        )


def issues_from_survey(
    session: Session,
    survey_id: str,
    now: datetime,
    resolve: Callable[[str], str | None] | None = None,
    config: GroupingConfig | None = None,
    staff: str = "",
) -> list[HotIssue]:
    """An issue per group of open answers not yet in any issue (零散意见 left out).

    Run it again after more answers came in: answers already curated stay where staff put
    them, and only groups of new answers become new issues. The department is the one of the
    item the group mentions most, when it mentions one.
    """
    definition = get_definition(session, survey_id)
    if definition is None:
        raise IssueError(f"没有问卷 {survey_id}")
    taken = set(session.scalars(select(HotIssueAnswer.answer_id)))
    data = results(session, survey_id, resolve, config, members=True)
    made = []
    for entry in data["questions"]:
        if entry["type"] != QuestionType.TEXT.value:
            continue
        for group in entry["groups"]:
            fresh = [a for a in group["answer_ids"] if a not in taken]
            if group["label"] == SCATTERED or len(fresh) < len(group["answer_ids"]) / 2:
                continue
            items = [i["code"] for i in group["items"]]
            departments = Counter(i["department"] for i in group["items"] if i["department"])
            issue = create_issue(
                session,
                group["label"],
                now,
                fresh,
                survey_id=survey_id,
                question=entry["id"],
                keywords=group["keywords"],
                items=items,
                department=departments.most_common(1)[0][0] if departments else "",
                staff=staff,
            )
            made.append(issue)
    return made


def rename(session: Session, issue_id: int, title: str, now: datetime, staff: str = "") -> HotIssue:
    issue = get_issue(session, issue_id)
    title = title.strip()
    if not title:
        raise IssueError("热点问题需要一个名称")
    _event(session, issue, EventKind.RENAMED, now, f"{issue.title} → {title}", staff)
    issue.title = title
    issue.updated_at = now
    return issue


def merge(
    session: Session, into_id: int, other_ids: Sequence[int], now: datetime, staff: str = ""
) -> HotIssue:
    """Fold other issues into ``into_id``: their answers, keywords, items and options move."""
    target = get_issue(session, into_id)
    for other_id in other_ids:
        if other_id == into_id:
            raise IssueError("不能把热点问题并入它自己")
        other = get_issue(session, other_id)
        session.execute(
            update(HotIssueAnswer)
            .where(HotIssueAnswer.issue_id == other.id)
            .values(issue_id=target.id)
            .execution_options(synchronize_session=False)
        )
        target.keywords = list(dict.fromkeys([*target.keywords, *other.keywords]))
        target.items = list(dict.fromkeys([*target.items, *other.items]))
        target.options = list(dict.fromkeys([*target.options, *other.options]))
        other.merged_into = target.id
        other.updated_at = now
        _event(session, other, EventKind.MERGED, now, f"并入 {target.id}", staff)
        _event(session, target, EventKind.MERGED, now, f"并入了 {other.id}（{other.title}）", staff)
    target.updated_at = now
    return target


def split(
    session: Session,
    issue_id: int,
    answer_ids: Sequence[int],
    title: str,
    now: datetime,
    staff: str = "",
) -> HotIssue:
    """Take some of an issue's answers out into a new issue named ``title``."""
    issue = get_issue(session, issue_id)
    members = set(member_ids(session, issue.id))
    wanted = list(dict.fromkeys(answer_ids))
    strangers = [a for a in wanted if a not in members]
    if strangers:
        raise IssueError(f"意见 {strangers[0]} 不属于热点问题 {issue_id}")
    if not wanted or len(wanted) == len(members):
        raise IssueError("拆分时要选出一部分意见，不能一条不选或全部选走")
    new = create_issue(session, title, now, wanted, issue.survey_id, issue.question, staff=staff)
    _event(session, issue, EventKind.SPLIT, now, f"拆出 {new.id}（{len(wanted)}条意见）", staff)
    issue.updated_at = now
    return new


def assign(
    session: Session, issue_id: int, department: str, now: datetime, staff: str = ""
) -> HotIssue:
    issue = get_issue(session, issue_id)
    issue.department = department.strip()
    issue.updated_at = now
    _event(session, issue, EventKind.ASSIGNED, now, issue.department, staff)
    return issue


def record_action(
    session: Session,
    issue_id: int,
    action: str,
    status: IssueStatus,
    now: datetime,
    staff: str = "",
) -> HotIssue:
    """Record what was done and where the issue stands (待办 / 整改中 / 已解决)."""
    issue = get_issue(session, issue_id)
    if status is IssueStatus.RESOLVED and not (action.strip() or issue.action):
        raise IssueError("标记为已解决前，请写明采取了什么整改措施")
    if action.strip():
        issue.action = action.strip()
    issue.status = status.value
    issue.resolved_at = now if status is IssueStatus.RESOLVED else None
    issue.updated_at = now
    _event(session, issue, EventKind.ACTION, now, f"{status.label}：{action.strip()}", staff)
    return issue


def link_options(session: Session, issue_id: int, keys: Sequence[str], now: datetime) -> HotIssue:
    """Count the ranking points of these options (their keys, e.g. 实施编码) for the issue."""
    issue = get_issue(session, issue_id)
    issue.options = list(dict.fromkeys(keys))
    issue.updated_at = now
    return issue
