"""Unanswered questions: recorded masked, grouped by what they are about, marked handled."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from banshi.asks import Ask
from banshi.db import session_scope
from banshi.unanswered import (
    UnansweredQuestion,
    UnansweredReason,
    content_runs,
    count_unanswered,
    group_questions,
    mark_handled,
    record_unanswered,
    unanswered_groups,
)

NOW = datetime(2026, 12, 7, 9, 0)


def _q(i: int, text: str) -> Any:
    return SimpleNamespace(id=i, text=text, reason="no_item", asked_at=NOW - timedelta(minutes=i))


def test_what_a_question_is_about() -> None:
    assert content_runs("我想办个老年证需要什么材料") == ["老年证"]
    assert content_runs("老年证在哪里办理？") == ["老年证"]
    assert content_runs("你好") == []


def test_grouping_puts_the_same_need_together() -> None:
    questions = [
        _q(1, "老年证怎么办"),
        _q(2, "我想办个老年证需要什么材料"),
        _q(3, "公租房排队进度怎么查"),
        _q(4, "老年证在哪里办理"),
        _q(5, "公租房排到几号了"),
        _q(6, "今天天气怎么样"),
    ]
    groups = group_questions(questions)
    assert [(g.label, g.count) for g in groups] == [
        ("老年证", 3),
        ("公租房排队进度", 2),
        ("今天天气", 1),
    ]
    assert groups[0].ids == [1, 2, 4] and groups[0].last_asked == NOW - timedelta(minutes=1)
    assert groups[0].examples(2) == ["老年证怎么办", "我想办个老年证需要什么材料"]
    assert groups[0].reasons == [UnansweredReason.NO_ITEM]


def test_recorded_masked_then_grouped_and_handled(engine: Engine) -> None:
    with session_scope(engine) as session:
        row = record_unanswered(
            session,
            "老年证  补办，我手机13812345678 身份证110105194912310021",
            UnansweredReason.NOT_UNDERSTOOD,
            ask=Ask.MATERIALS,
            now=NOW,
        )
        assert row is not None
        assert record_unanswered(session, "   ", UnansweredReason.NO_ITEM, now=NOW) is None
        record_unanswered(session, "老年证怎么办", UnansweredReason.NO_ITEM, now=NOW)
        record_unanswered(
            session, "老年证去年的问题", UnansweredReason.NO_ITEM, now=NOW - timedelta(days=9)
        )
    with session_scope(engine) as session:
        stored = session.execute(select(UnansweredQuestion.text, UnansweredQuestion.ask)).all()
        texts = [t for t, _ in stored]
        assert "13812345678" not in " ".join(texts) and "110105194912310021" not in " ".join(texts)
        assert "138****5678" in texts[0] and "老年证 补办" in texts[0]
        assert stored[0].ask == "materials"
        since = NOW - timedelta(days=7)
        assert count_unanswered(session, since) == 2
        groups = unanswered_groups(session, since)
        assert len(groups) == 1 and groups[0].count == 2
        assert mark_handled(session, groups[0].ids, by="li", now=NOW) == 2
        assert mark_handled(session, groups[0].ids, by="li", now=NOW) == 0
    with session_scope(engine) as session:
        assert unanswered_groups(session, since) == []
        assert unanswered_groups(session, since, include_handled=True)[0].count == 2
        assert count_unanswered(session, since) == 0
