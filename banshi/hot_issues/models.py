"""Tables of the hot-issues list: issues staff curate, their history, pages and outbox."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from banshi.models import Base


class HotIssue(Base):
    """One trouble citizens raised, as staff named it, with who owns it and what was done."""

    __tablename__ = "hot_issue"

    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    survey_id = Column(String(64), ForeignKey("survey.id", ondelete="SET NULL"))
    question = Column(String(32))  # the open-text question the group came from
    department = Column(String(200), nullable=False, default="")
    status = Column(String(12), nullable=False)  # IssueStatus
    action = Column(Text, nullable=False, default="")  # what was done about it
    keywords = Column(JSON, nullable=False)  # list of words
    items = Column(JSON, nullable=False)  # task codes the answers mention
    options = Column(JSON, nullable=False)  # ranking options it covers (their keys)
    merged_into = Column(Integer, ForeignKey("hot_issue.id"))
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    resolved_at = Column(DateTime)


class HotIssueAnswer(Base):
    """A survey answer counted under an issue; an answer belongs to one issue at most."""

    __tablename__ = "hot_issue_answer"

    answer_id = Column(
        Integer, ForeignKey("survey_answer.id", ondelete="CASCADE"), primary_key=True
    )
    issue_id = Column(
        Integer, ForeignKey("hot_issue.id", ondelete="CASCADE"), nullable=False, index=True
    )


class HotIssueEvent(Base):
    """What staff did to an issue and when: the record behind its status."""

    __tablename__ = "hot_issue_event"

    id = Column(Integer, primary_key=True)
    issue_id = Column(
        Integer, ForeignKey("hot_issue.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at = Column(DateTime, nullable=False)
    kind = Column(String(20), nullable=False)  # EventKind
    detail = Column(Text, nullable=False, default="")
    staff = Column(String(64), nullable=False, default="")


class HotIssuePage(Base):
    """The public page of a resolved issue (政府端菜), frozen when published."""

    __tablename__ = "hot_issue_page"

    id = Column(Integer, primary_key=True)
    issue_id = Column(
        Integer, ForeignKey("hot_issue.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    number = Column(String(20), nullable=False, unique=True)  # RD2026000001: for the link
    title = Column(String(200), nullable=False)
    department = Column(String(200), nullable=False, default="")
    action = Column(Text, nullable=False)
    raised = Column(Integer, nullable=False)  # how many answers raised it
    quotes = Column(JSON, nullable=False)  # masked, unflagged quotes
    published_at = Column(DateTime, nullable=False)


class HotIssueNotice(Base):
    """A citizen who raised a published issue, to be told: delivered once."""

    __tablename__ = "hot_issue_notice"
    __table_args__ = (UniqueConstraint("issue_id", "openid", name="uq_hot_issue_notice_openid"),)

    id = Column(Integer, primary_key=True)
    issue_id = Column(Integer, ForeignKey("hot_issue.id", ondelete="CASCADE"), nullable=False)
    openid = Column(String(64), nullable=False, index=True)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime, index=True)
