"""Results per question, complete and partial apart, drop-off, ranking points; exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.surveys.exports import export_csv, surveys_json
from banshi.surveys.results import flagged_answers, results_json
from tests.banshi.surveys.helpers import NOW, fill, store


@pytest.fixture
def answered(engine: Engine) -> Engine:
    """Three complete responses, one partial (stopped at q4), one only opened."""
    store(engine)
    fill(
        engine,
        "c1",
        {
            "q1": ("到大厅办",),
            "q2": ("排队时间长", "网上办不成"),
            "q3": "app登录不上",
            "q4": 5,
            "q5": ("户口迁移", "护照", "社保卡"),
            "q6": "排队太久，电话13912345678",
        },
    )
    fill(
        engine,
        "c2",
        {
            "q1": ("网上办",),
            "q2": ("网上办不成",),
            "q3": "刷脸一直不过",
            "q4": 3,
            "q5": ("护照", "户口迁移"),
            "q6": None,
        },
    )
    fill(
        engine,
        "c3",
        {"q1": ("其他",), "q2": ("停车难",), "q4": 4, "q5": ("护照",), "q6": "停车位太少"},
    )
    fill(engine, "p1", {"q1": ("到大厅办",), "q2": ("排队时间长",)})
    fill(engine, "o1", {})
    return engine


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in data["questions"]}


def test_counts_shares_and_drop_off(answered: Engine) -> None:
    with session_scope(answered) as session:
        data = results_json(session, "demand-test")
    assert data["responses"] == {"complete": 3, "partial": 1, "opened": 1}
    q = by_id(data)
    q1 = {o["label"]: o for o in q["q1"]["options"]}
    assert (q1["到大厅办"]["count"], q1["到大厅办"]["count_complete"], q1["到大厅办"]["share"]) == (
        2,
        1,
        0.5,
    )
    assert q1["其他"]["count"] == 1 and q["q1"]["other_texts"] == ["找社区代办员帮忙"]
    assert (q["q1"]["reached"], q["q1"]["stopped_here"]) == (5, 1)  # the opened one stopped at q1
    q2 = {o["label"]: o["count"] for o in q["q2"]["options"]}
    assert q2 == {"排队时间长": 2, "材料反复交": 0, "网上办不成": 2, "停车难": 1}
    assert (q["q2"]["answered_complete"], q["q2"]["answered_partial"]) == (3, 1)
    assert q["q3"]["answered"] == 2
    assert (q["q4"]["mean"], q["q4"]["distribution"]) == (
        4.0,
        {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1},
    )
    assert (q["q4"]["reached"], q["q4"]["stopped_here"], q["q4"]["drop_off_rate"]) == (4, 1, 0.25)
    assert (q["q6"]["answered"], q["q6"]["skipped"]) == (2, 1)


def test_ranking_points_are_three_two_one(answered: Engine) -> None:
    with session_scope(answered) as session:
        ranking = by_id(results_json(session, "demand-test"))["q5"]
    assert ranking["points_rule"] == "第1位得3分，每往后一位少1分"
    points = [(o["label"], o["points"], o["places"]) for o in ranking["options"]]
    assert points == [
        ("护照", 8, [2, 1, 0]),
        ("户口迁移", 5, [1, 1, 0]),
        ("社保卡", 1, [0, 0, 1]),
        ("公积金提取", 0, [0, 0, 0]),
    ]


def test_open_text_results_are_masked_and_grouped(answered: Engine) -> None:
    with session_scope(answered) as session:
        q6 = by_id(results_json(session, "demand-test"))["q6"]
    quotes = [quote for group in q6["groups"] for quote in group["quotes"]]
    assert "排队太久，电话139****5678" in quotes
    assert not any("13912345678" in quote for quote in quotes)
    assert sum(group["size"] for group in q6["groups"]) == 2


def test_csv_export_is_masked_numbered_and_without_openids(answered: Engine) -> None:
    out = io.StringIO()
    with session_scope(answered) as session:
        written = export_csv(session, "demand-test", out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert written == 5 and len(rows) == 6
    assert rows[0][:5] == ["序号", "状态", "开始时间", "完成时间", "q1 您最近一次怎么办的事？"]
    text = out.getvalue()
    assert "c1" not in text and "13912345678" not in text and "139****5678" in text
    first = rows[1]
    assert first[1] == "完成" and first[4] == "到大厅办" and first[5] == "排队时间长；网上办不成"
    assert first[8] == "户口迁移 > 护照 > 社保卡"
    assert rows[2][9] == "[跳过]" and rows[3][4] == "其他：找社区代办员帮忙"
    assert rows[4][1] == "未完成" and rows[4][7] == ""


def test_surveys_json_lists_counts(answered: Engine) -> None:
    with session_scope(answered) as session:
        listed = surveys_json(session, NOW.date())
    assert listed == [
        {
            "id": "demand-test",
            "title": "办事体验调查",
            "opens": "2026-12-01",
            "closes": "2027-01-31",
            "open": True,
            "audience": {"kind": "all", "item": None},
            "questions": 6,
            "responses": {"complete": 3, "in_progress": 2},
        }
    ]


def test_flagged_answers_are_listed_for_staff_sensitive_first(answered: Engine) -> None:
    fill(
        answered,
        "f1",
        {"q1": ("网上办",), "q2": ("停车难",), "q4": 1, "q5": ("护照",), "q6": "窗口的人是傻逼"},
    )
    fill(
        answered,
        "f2",
        {"q1": ("网上办",), "q2": ("停车难",), "q4": 1, "q5": ("护照",), "q6": "再不办我就去上访"},
    )
    with session_scope(answered) as session:
        flagged = flagged_answers(session, "demand-test")
        quotes = [
            q
            for g in by_id(results_json(session, "demand-test"))["q6"]["groups"]
            for q in g["quotes"]
        ]
    assert [(f["flag"], f["flag_label"]) for f in flagged] == [
        ("sensitive", "敏感"),
        ("abusive", "辱骂"),
    ]
    assert "窗口的人是傻逼" not in quotes and "再不办我就去上访" not in quotes
