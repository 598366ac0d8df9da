"""Survey files: every mistake named with its line and question; storing and replacing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.surveys.definition import AudienceKind, QuestionType
from banshi.surveys.loader import DefinitionError, catalog_items, parse_definition
from banshi.surveys.models import Survey
from banshi.surveys.responses import start_response
from banshi.surveys.store import (
    LoadOutcome,
    SurveyLocked,
    get_definition,
    load_survey_file,
    store_definition,
)
from tests.banshi.surveys.helpers import NOW, SURVEY

DEMO = Path(__file__).resolve().parents[3] / "demo" / "surveys" / "demand-2026q4.yml"


def problems_of(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, "demand.yml")
    return str(caught.value).splitlines()


def test_a_good_file_gives_every_question_type_and_its_logic() -> None:
    definition = parse_definition(SURVEY)
    assert [q.type for q in definition.questions] == [
        QuestionType.SINGLE,
        QuestionType.MULTIPLE,
        QuestionType.TEXT,
        QuestionType.RATING,
        QuestionType.RANKING,
        QuestionType.TEXT,
    ]
    q1, q2, q3 = definition.questions[:3]
    assert [o.label for o in q1.choices][-1] == "其他"
    assert q2.most == 2
    assert q3.optional and q3.show_if[0].question == "q2"
    assert q3.show_if[0].values == ("网上办不成",)
    assert definition.audience.kind is AudienceKind.ALL


def test_a_show_if_naming_a_missing_question_is_refused_with_line_and_question() -> None:
    bad = SURVEY.replace("show_if: {q2: 网上办不成}", "show_if: {q9: 网上办不成}")
    assert problems_of(bad) == ["demand.yml 第9行 问题 q3: show_if 引用了不存在的题目 q9"]


def test_a_show_if_on_a_later_question_or_a_missing_option_is_refused() -> None:
    later = SURVEY.replace("show_if: {q2: 网上办不成}", "show_if: {q4: 1}")
    assert "q4 不在本题之前" in problems_of(later)[0]
    option = SURVEY.replace("show_if: {q2: 网上办不成}", "show_if: {q2: 看不懂}")
    (line,) = problems_of(option)
    assert line.startswith("demand.yml 第9行 问题 q3: show_if 中 q2 没有选项 看不懂")
    assert "网上办不成" in line  # the valid options are listed


def test_duplicate_ids_unknown_types_and_keys_are_all_reported_at_once() -> None:
    bad = (
        SURVEY.replace("{id: q4, type: rating", "{id: q1, type: rating").replace(
            "type: ranking", "type: sorting"
        )
        + "  - id: q7\n    type: text\n    text: 说说\n    optinal: true\n"
    )
    assert problems_of(bad) == [
        "demand.yml 第10行 问题 q1: 题目 id q1 重复",
        "demand.yml 第11行 问题 q5: 未知的题型 sorting（应是 single、multiple、rating、ranking、text）",
        "demand.yml 第16行 问题 q7: 未知的键 optinal",
    ]


def test_bad_limits_dates_and_yaml_are_refused() -> None:
    assert "max 应是 1 到 4 的整数" in problems_of(SURVEY.replace("max: 2}", "max: 7}"))[0]
    assert (
        "closes 早于 opens"
        in problems_of(SURVEY.replace("closes: 2027-01-31", "closes: 2026-11-01"))[0]
    )
    assert (
        "other 只用于单选题"
        in problems_of(SURVEY.replace("停车难], max: 2}", "停车难], max: 2, other: true}"))[0]
    )
    assert problems_of(SURVEY.replace("title: 办事体验调查", "title: 办事体验调查\ntitle: 重复"))[
        0
    ].startswith("demand.yml 第3行: 键 title 重复出现")
    broken = problems_of("id: x\nquestions: [\n  {id: q1, type: text\n")
    assert broken[0].startswith("demand.yml 第") and "格式错误" in broken[0]


def test_json_files_keep_their_line_numbers() -> None:
    text = """{
  "id": "json-survey", "title": "t", "opens": "2026-12-01", "closes": "2026-12-31",
  "questions": [
    {"id": "q1", "type": "single", "text": "a", "options": ["A", "B"]},
    {"id": "q2", "type": "text", "text": "b", "show_if": {"q1": "C"}}
  ]
}"""
    assert problems_of(text)[0].startswith("demand.yml 第5行 问题 q2: show_if 中 q1 没有选项 C")


def test_the_demo_survey_loads_with_catalog_items_as_ranking_options(catalog: Engine) -> None:
    with session_scope(catalog) as session:
        result = load_survey_file(session, DEMO, NOW)
        again = load_survey_file(session, DEMO, NOW)
        definition = get_definition(session, "demand-2026q4")
    assert (result.outcome, again.outcome) == (LoadOutcome.CREATED, LoadOutcome.UNCHANGED)
    assert definition is not None
    ranking = definition.question("q5")
    assert ranking.type is QuestionType.RANKING
    assert len(ranking.options) == 10
    first = ranking.options[0]
    assert first.label == "存量房转移登记（二手房买卖）"
    assert len(first.key) == 31  # the 实施编码: results can name the department
    bad = DEMO.read_text(encoding="utf-8").replace("- 普通护照签发", "- 不存在的事项")
    with session_scope(catalog) as session, pytest.raises(DefinitionError) as caught:
        parse_definition(bad, "demand-2026q4.yml", catalog_items(session))
    assert "问题 q5: 目录中没有在用事项 不存在的事项" in str(caught.value)


def test_loading_again_updates_until_someone_answers(engine: Engine) -> None:
    with session_scope(engine) as session:
        store_definition(session, parse_definition(SURVEY), NOW)
    changed = SURVEY.replace("title: 办事体验调查", "title: 办事体验调查（修订）")
    with session_scope(engine) as session:
        assert (
            store_definition(session, parse_definition(changed), NOW).outcome is LoadOutcome.UPDATED
        )
        assert session.execute(select(Survey.title)).scalar_one() == "办事体验调查（修订）"
        start_response(session, "demand-test", "citizen-1", NOW)
    with session_scope(engine) as session, pytest.raises(SurveyLocked, match="已有 1 份答卷"):
        store_definition(session, parse_definition(SURVEY), NOW)
