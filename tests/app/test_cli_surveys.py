"""``banshi surveys …`` and ``banshi hot-issues``, run through the area's own parser: loading
(checked, replaced until answered, then refused), listing, results with groups linked to
catalog items by the guide's resolver, invitations, the masked export, hot issues from a
survey's groups, the chore and the console pages the area contributes."""

from __future__ import annotations

import argparse
import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.cli import surveys
from app.settings import Settings
from banshi.db import session_scope
from banshi.surveys.reading import Picked, Written
from banshi.surveys.responses import advance, record_answer, start_response
from banshi.surveys.store import get_definition
from bot.wechat.storage import record_contact
from bot.wechat.surveys_push import SurveyPushResult
from tests.banshi.surveys.helpers import NOW, SURVEY, fill

DEMO = Path(__file__).resolve().parents[2] / "demo" / "surveys" / "demand-2026q4.yml"
HOUSE = "11139900MB1A00070G3000713002001"  # 存量房转移登记


def banshi(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="banshi")
    surveys.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args, settings))


def output(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_load_checks_replaces_and_then_refuses(
    engine: Engine, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demand.yml"
    path.write_text(SURVEY, encoding="utf-8")
    assert banshi(settings, "surveys", "load", str(path), "--json") == 0
    assert json.loads(output(capsys)[0]) == {
        "survey": "demand-test",
        "outcome": "created",
        "questions": 6,
    }
    assert banshi(settings, "surveys", "load", str(path)) == 0
    assert output(capsys)[0] == "问卷 demand-test：没有变化（6 题）。\n"
    path.write_text(SURVEY.replace("办事体验调查", "办事体验小调查"), encoding="utf-8")
    assert banshi(settings, "surveys", "load", str(path)) == 0
    assert "已更新" in output(capsys)[0]

    bad = tmp_path / "bad.yml"
    bad.write_text(SURVEY.replace("show_if: {q2: 网上办不成}", "show_if: {q9: 网上办不成}"))
    assert banshi(settings, "surveys", "load", str(bad)) == 2
    assert "bad.yml 第9行 问题 q3: show_if 引用了不存在的题目 q9" in output(capsys)[1]
    assert banshi(settings, "surveys", "load", str(tmp_path / "missing.yml")) == 2
    assert "无法读取文件" in output(capsys)[1]

    fill(engine, "c1", {"q1": ("网上办",), "q2": ("停车难",), "q4": 4, "q5": ("护照",)})
    path.write_text(SURVEY, encoding="utf-8")
    assert banshi(settings, "surveys", "load", str(path)) == 2
    assert "已有 1 份答卷，不能再修改" in output(capsys)[1]

    assert banshi(settings, "surveys", "list", "--json") == 0
    (listed,) = json.loads(output(capsys)[0])
    assert listed["id"] == "demand-test" and listed["title"] == "办事体验小调查"
    assert listed["responses"] == {"complete": 0, "in_progress": 1}  # q6 not reached yet


def test_results_group_free_text_and_name_the_items_it_mentions(
    catalog: Engine, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert banshi(settings, "surveys", "load", str(DEMO)) == 0
    output(capsys)
    said = [
        "二手房过户排队太久",
        "办二手房过户要排一上午的队",
        "二手房过户排队的人太多了",
        "存量房过户排队等了三个小时",
    ]
    with session_scope(catalog) as session:
        definition = get_definition(session, "demand-2026q4")
        assert definition is not None
        for n, text in enumerate(said):
            response = start_response(session, definition.id, f"c{n}", NOW)
            q1, q6 = definition.questions[0], definition.question("q6")
            record_answer(session, response, q1, Picked(("到政务服务大厅现场办",)), NOW)
            record_answer(session, response, q6, Written(text), NOW)
            advance(session, definition, response, NOW)
    assert banshi(settings, "surveys", "results", "demand-2026q4", "--json") == 0
    data = json.loads(output(capsys)[0])
    assert data["responses"]["partial"] == 4
    open_text = next(q for q in data["questions"] if q["id"] == "q6")
    (group,) = open_text["groups"]
    assert group["size"] == 4 and len(group["quotes"]) == 3 and "排队" in group["keywords"]
    assert [i["code"] for i in group["items"]] == [HOUSE]
    assert group["items"][0]["name"].startswith("存量房转移登记")
    assert banshi(settings, "surveys", "results", "demand-2026q4", "--no-items") == 0
    assert "[4]" in output(capsys)[0]

    assert banshi(settings, "hot-issues", "import", "demand-2026q4", "--json") == 0
    (made,) = json.loads(output(capsys)[0])
    assert made["department"]  # the department of the item the answers name
    assert banshi(settings, "hot-issues", "--json") == 0
    (ranked,) = json.loads(output(capsys)[0])
    assert ranked["id"] == made["id"] and ranked["size"] == 4 and ranked["items"] == [HOUSE]
    assert ranked["status_label"] == "待办"


def test_invite_export_and_the_push_that_cannot_reach_wechat(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "demand.yml"
    path.write_text(SURVEY, encoding="utf-8")
    banshi(settings, "surveys", "load", str(path))
    with session_scope(engine) as session:
        for openid in ("oA", "oB"):
            record_contact(session, openid, datetime.utcnow() - timedelta(hours=1))
    fill(engine, "oB", {"q1": ("网上办",), "q6": "电话13812345678打不通"})
    output(capsys)
    assert banshi(settings, "surveys", "invite", "demand-test", "--no-push", "--json") == 0
    invited = json.loads(output(capsys)[0])
    assert (invited["audience"], invited["created"], invited["skipped"]) == (2, 1, 1)
    assert invited["push"] is None

    monkeypatch.setenv("WECHAT_API_BASE_URL", "http://127.0.0.1:9/cgi-bin/")  # nothing there
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert banshi(settings, "surveys", "invite", "demand-test") == 0
    said = output(capsys)[0]
    assert (
        "新加入邀请 0 人" in said
        and "无法连接微信" in said
        and "1 条在群众下次发消息时送达" in said
    )

    target = tmp_path / "out.csv"
    assert banshi(settings, "surveys", "export", "demand-test", "-o", str(target)) == 0
    rows = list(csv.reader(target.open(encoding="utf-8-sig")))
    assert rows[1][:2] == ["1", "未完成"] and "138****5678" in rows[1][-1]
    assert "oB" not in target.read_text(encoding="utf-8-sig")
    assert banshi(settings, "surveys", "export", "nobody") == 2
    assert "没有问卷 nobody" in output(capsys)[1]


def test_the_chore_and_the_console_pages(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WECHAT_API_BASE_URL", "http://127.0.0.1:9/cgi-bin/")
    (chore,) = surveys.chores(settings)
    assert chore.name == "survey messages" and chore.every == 60
    result = chore.run()
    assert isinstance(result, SurveyPushResult)
    assert result.sent == 0 and result.unreachable is None  # nothing owed: WeChat not asked
    pages, cards = surveys.console_pages(settings)
    assert [p.key for p in pages] == ["surveys", "hot_issues"]
    assert [c.key for c in cards] == ["surveys", "hot_issues"]
    with session_scope(engine) as session:
        assert dict(surveys.signals(session).complaints_by_item) == {}
        assert list(surveys.booked(session, None)) == []
