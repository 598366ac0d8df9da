"""The hot-issues list: issues from groups, curation, ranking, publishing and its outbox."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.hot_issues.issues import (
    IssueError,
    IssueStatus,
    assign,
    issues_from_survey,
    link_options,
    member_ids,
    merge,
    record_action,
    rename,
    size_of,
    split,
)
from banshi.hot_issues.models import HotIssue, HotIssueEvent, HotIssueNotice
from banshi.hot_issues.page import render_page
from banshi.hot_issues.publishing import (
    claim_notices,
    get_page,
    notice_message,
    publish,
    release_notices,
)
from banshi.hot_issues.ranking import Signals, hot_issues_json
from tests.banshi.surveys.helpers import NOW, fill, store

QUEUE = ["排队时间太长", "排队排了两个小时", "排队太久了", "大厅排队人太多", "排队等太久", "排队慢"]
PARKING = ["停车太难", "停车位太少", "没地方停车", "停车场太小"]
LATER = datetime(2026, 12, 20, 9, 0)


@pytest.fixture
def issues(engine: Engine) -> tuple[Engine, int, int]:
    """Ten citizens' answers grouped into two issues: queueing (6) and parking (4)."""
    store(engine)
    for n, text in enumerate(QUEUE + PARKING):
        ranking = ("户口迁移", "护照") if n < 3 else ("护照",)
        fill(
            engine,
            f"c{n}",
            {"q1": ("到大厅办",), "q2": ("停车难",), "q4": 3, "q5": ranking, "q6": text},
        )
    with session_scope(engine) as session:
        made = issues_from_survey(session, "demand-test", NOW, staff="dispatcher1")
        ids = [i.id for i in made]
    return engine, ids[0], ids[1]


def test_groups_become_issues_once(issues: tuple[Engine, int, int]) -> None:
    engine, queue, parking = issues
    with session_scope(engine) as session:
        assert (size_of(session, queue), size_of(session, parking)) == (6, 4)
        first = session.get(HotIssue, queue)
        assert first.title == "排队、太久" and first.status == IssueStatus.TODO.value
        assert "排队" in first.keywords
        assert issues_from_survey(session, "demand-test", LATER) == []  # nothing new to group


def test_curation_renames_assigns_splits_and_merges_with_a_record(
    issues: tuple[Engine, int, int],
) -> None:
    engine, queue, parking = issues
    with session_scope(engine) as session:
        rename(session, queue, "大厅排队时间长", LATER, "d1")
        assign(session, queue, "示范市政务服务管理局", LATER, "d1")
        taken = member_ids(session, queue)[:2]
        new = split(session, queue, taken, "排队两小时以上", LATER, "d1")
        assert (size_of(session, queue), size_of(session, new.id)) == (4, 2)
        with pytest.raises(IssueError, match="不属于"):
            split(session, queue, member_ids(session, parking)[:1], "x", LATER)
        merge(session, queue, [new.id], LATER, "d1")
        assert size_of(session, queue) == 6
        assert session.get(HotIssue, new.id).merged_into == queue
        with pytest.raises(IssueError, match="已并入"):
            rename(session, new.id, "x", LATER)
        kinds = session.scalars(
            select(HotIssueEvent.kind)
            .where(HotIssueEvent.issue_id == queue)
            .order_by(HotIssueEvent.id)
        ).all()
    assert kinds == ["created", "renamed", "assigned", "split", "merged"]
    with session_scope(engine) as session:
        listed = hot_issues_json(session)
    assert [i["title"] for i in listed] == ["大厅排队时间长", "停车、停车位"]  # the merged one left
    assert listed[0]["department"] == "示范市政务服务管理局"


def test_ranking_combines_size_ranking_points_and_complaints(
    issues: tuple[Engine, int, int],
) -> None:
    engine, queue, parking = issues
    with session_scope(engine) as session:
        link_options(session, parking, ["护照"], NOW)  # ranked first by 7 citizens, second by 3
        listed = hot_issues_json(session)
        by_id = {i["id"]: i for i in listed}
        assert by_id[parking]["ranking_points"] == 7 * 3 + 3 * 2
        assert by_id[queue]["ranking_points"] == 0
        assert by_id[parking]["score"] == pytest.approx(4 / 6 + 1.0, abs=1e-4)
        assert by_id[queue]["score"] == pytest.approx(1.0, abs=1e-4)
        assert [i["id"] for i in listed] == [parking, queue]
        louder = hot_issues_json(session, Signals(complaints_by_issue={queue: 5}))
    assert [i["id"] for i in louder] == [queue, parking]
    assert louder[0]["complaints"] == 5


def test_publishing_a_resolution_tells_each_citizen_once(issues: tuple[Engine, int, int]) -> None:
    engine, queue, _ = issues
    with session_scope(engine) as session:
        with pytest.raises(IssueError, match="只有已解决"):
            publish(session, queue, LATER)
        with pytest.raises(IssueError, match="写明"):
            record_action(session, queue, "", IssueStatus.RESOLVED, LATER)
        record_action(
            session, queue, "高峰时段增开3个综合窗口", IssueStatus.IN_PROGRESS, LATER, "d1"
        )
        assign(session, queue, "示范市政务服务管理局", LATER)
        record_action(session, queue, "", IssueStatus.RESOLVED, LATER, "d1")
        published = publish(session, queue, LATER, "reviewer1")
        assert published.notices == 6 and published.page.number == f"RD{queue:06d}"
        with pytest.raises(IssueError, match="已经发布"):
            publish(session, queue, LATER)
    with session_scope(engine) as session:
        first = claim_notices(session, LATER)
    with session_scope(engine) as session:
        assert claim_notices(session, LATER) == []  # delivered once
        release_notices(session, [first[0].id])
    with session_scope(engine) as session:
        again = claim_notices(session, LATER)
        pending = session.execute(
            select(func.count()).where(HotIssueNotice.delivered_at.is_(None))
        ).scalar_one()
    assert len(first) == 6 and [n.id for n in again] == [first[0].id] and pending == 0
    assert {n.openid for n in first} == {f"c{n}" for n in range(6)}
    text = notice_message(first[0], "https://banshi.example.gov.cn/hot-issues/RD000001?t=abc")
    assert text.startswith(
        "您好！您在《办事体验调查》中反映的“排队、太久”问题，示范市政务服务管理局已经整改：高峰时段增开3个综合窗口"
    )
    assert "https://banshi.example.gov.cn/hot-issues/RD000001?t=abc" in text


def test_the_page_is_frozen_escaped_and_quotes_only_unflagged_answers(
    issues: tuple[Engine, int, int],
) -> None:
    engine, _, parking = issues
    with session_scope(engine) as session:
        record_action(session, parking, "新增<b>临时</b>停车位80个", IssueStatus.RESOLVED, LATER)
        publish(session, parking, LATER)
        rename(session, parking, "改过的名字", LATER)
        page = get_page(session, f"rd{parking:06d}")
        assert page is not None
        html = render_page(page)
    assert "停车、停车位" in html and "改过的名字" not in html
    assert "新增&lt;b&gt;临时&lt;/b&gt;停车位80个" in html
    assert "4位群众反映了这个问题" in html and "停车位太少" in html
    assert html.startswith("<!DOCTYPE html>") and 'name="referrer" content="no-referrer"' in html
