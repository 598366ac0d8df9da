"""Reading a survey file (YAML or JSON) into a checked :class:`SurveyDefinition`.

Staff write these files by hand, so every mistake is reported at once, each with the line
and the question it is in (``demand.yml 第23行 问题 q5: show_if 引用了不存在的问题 q9``).
JSON is read by the YAML parser too: it is YAML's subset, and so keeps its line numbers.

Storing it is :mod:`banshi.surveys.store`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.models import STATE_ACTIVE, Item
from banshi.surveys.definition import (
    MAX_OPTIONS,
    MAX_RANKED,
    OTHER_KEY,
    RATING_VALUES,
    Audience,
    AudienceKind,
    Condition,
    Option,
    Question,
    QuestionType,
    SurveyDefinition,
)

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_QUESTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_SURVEY_KEYS = {"id", "title", "intro", "opens", "closes", "audience", "questions"}
_QUESTION_KEYS = {
    "id", "type", "text", "options", "options_from", "items", "other", "max", "optional", "show_if",
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    line: int | None
    question: str | None
    message: str

    def render(self, source: str) -> str:
        where = f"{source} 第{self.line}行" if self.line else source
        if self.question:
            where += f" 问题 {self.question}"
        return f"{where}: {self.message}"


class DefinitionError(ValueError):
    """The file is not a valid survey; ``problems`` lists every mistake found."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(p.render(source) for p in self.problems))


# ---------------------------------------------------------------------- parsing with lines


class _Map(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings keep their lines and refuse a key given twice."""

    duplicates: list[Problem]


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.duplicates.append(Problem(line, None, f"键 {key} 重复出现"))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = line
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


def parse_text(text: str, source: str = "问卷文件") -> tuple[Any, list[Problem]]:
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(source, [Problem(line, None, f"格式错误（{reason}）")]) from exc
    finally:
        loader.dispose()
    return data, loader.duplicates


# ---------------------------------------------------------------------- checking

ItemLookup = Callable[[Sequence[str] | None], list[Option]]


def catalog_items(session: Session) -> ItemLookup:
    """Options from the catalog: the named items (实施编码 or exact name), or every active one."""

    def lookup(wanted: Sequence[str] | None) -> list[Option]:
        rows = session.execute(
            select(Item.task_code, Item.name).where(Item.state == STATE_ACTIVE).order_by(Item.id)
        ).all()
        if wanted is None:
            return [Option(code, name.strip()) for code, name in rows]
        by_code = {code: name.strip() for code, name in rows}
        by_name = {name.strip(): code for code, name in rows}
        found = []
        for entry in wanted:
            entry = str(entry).strip()
            if entry in by_code:
                found.append(Option(entry, by_code[entry]))
            elif entry in by_name:
                found.append(Option(by_name[entry], entry))
            else:
                found.append(Option("", entry))  # reported by the checker
        return found

    return lookup


class _Checker:
    def __init__(self, items: ItemLookup | None) -> None:
        self.items = items
        self.problems: list[Problem] = []
        self.all_ids: set[str] = set()

    def fail(self, line: int | None, question: str | None, message: str) -> None:
        self.problems.append(Problem(line, question, message))

    def definition(self, data: Any) -> SurveyDefinition | None:
        if not isinstance(data, _Map):
            self.fail(1, None, "文件顶层应是一个映射（id、title、questions 等）")
            return None
        for key in data:
            if key not in _SURVEY_KEYS:
                self.fail(data.key_lines.get(str(key)), None, f"未知的键 {key}")
        survey_id = str(data.get("id") or "")
        if not _ID.match(survey_id):
            self.fail(
                data.key_lines.get("id", data.line), None, "id 必填，只能用字母、数字、- 和 _"
            )
        title = str(data.get("title") or "").strip()
        if not title:
            self.fail(data.key_lines.get("title", data.line), None, "title（标题）必填")
        opens = self._date(data, "opens")
        closes = self._date(data, "closes")
        if opens and closes and closes < opens:
            self.fail(data.key_lines.get("closes"), None, "closes 早于 opens")
        audience = self._audience(data)
        questions = self._questions(data)
        if self.problems or not (opens and closes and questions is not None):
            return None
        return SurveyDefinition(
            id=survey_id,
            title=title,
            intro=str(data.get("intro") or "").strip(),
            opens=opens,
            closes=closes,
            audience=audience,
            questions=tuple(questions),
        )

    def _date(self, data: _Map, key: str) -> date | None:
        value = data.get(key)
        line = data.key_lines.get(key, data.line)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(line, None, f"{key} 应是日期，如 2026-12-01（现为 {value!r}）")
            return None

    def _audience(self, data: _Map) -> Audience:
        value = data.get("audience", "all")
        line = data.key_lines.get("audience", data.line)
        kinds = "、".join(k.value for k in AudienceKind)
        if isinstance(value, str):
            value = {"kind": value}
        if not isinstance(value, dict):
            self.fail(line, None, f"audience 应是 {kinds} 之一，或 {{kind: …, item: 实施编码}}")
            return Audience()
        try:
            kind = AudienceKind(value.get("kind", "all"))
        except ValueError:
            self.fail(line, None, f"audience 的 kind 应是 {kinds} 之一（现为 {value.get('kind')}）")
            return Audience()
        item = value.get("item")
        if kind is AudienceKind.USED_ITEM and not item:
            self.fail(line, None, "audience used_item 需要 item（事项的实施编码）")
        return Audience(kind, str(item) if item else None)

    def _questions(self, data: _Map) -> list[Question] | None:
        raw = data.get("questions")
        if not isinstance(raw, list) or not raw:
            self.fail(data.key_lines.get("questions", data.line), None, "questions 至少要有一题")
            return None
        self.all_ids = {str(e.get("id")) for e in raw if isinstance(e, _Map)}
        seen: dict[str, Question] = {}
        result = []
        for entry in raw:
            question = self._question(entry, seen)
            if question is not None:
                seen[question.id] = question
                result.append(question)
        return result

    def _question(self, q: Any, earlier: dict[str, Question]) -> Question | None:
        if not isinstance(q, _Map):
            self.fail(None, None, f"每道题应是一个映射（现为 {q!r}）")
            return None
        qid = str(q.get("id") or "")
        line = q.line
        if not _QUESTION_ID.match(qid):
            self.fail(line, qid or None, "题目 id 必填，只能用字母、数字、- 和 _（至多32个字符）")
            return None
        if qid in earlier:
            self.fail(line, qid, f"题目 id {qid} 重复")
            return None
        for key in q:
            if key not in _QUESTION_KEYS:
                self.fail(q.key_lines.get(str(key), line), qid, f"未知的键 {key}")
        try:
            qtype = QuestionType(q.get("type"))
        except ValueError:
            known = "、".join(t.value for t in QuestionType)
            self.fail(
                q.key_lines.get("type", line), qid, f"未知的题型 {q.get('type')}（应是 {known}）"
            )
            return None
        text = str(q.get("text") or "").strip()
        if not text:
            self.fail(line, qid, "text（题目文字）必填")
        options = self._options(q, qid, qtype)
        other = bool(q.get("other", False))
        if other and qtype is not QuestionType.SINGLE:
            self.fail(q.key_lines.get("other", line), qid, "other 只用于单选题（single）")
        most = q.get("max")
        if most is not None:
            limit = MAX_RANKED if qtype is QuestionType.RANKING else len(options) + other
            if qtype not in (QuestionType.MULTIPLE, QuestionType.RANKING):
                self.fail(q.key_lines.get("max", line), qid, "max 只用于多选题和排序题")
            elif not isinstance(most, int) or isinstance(most, bool) or not 1 <= most <= limit:
                self.fail(q.key_lines.get("max", line), qid, f"max 应是 1 到 {limit} 的整数")
        show_if = self._show_if(q, qid, earlier)
        return Question(
            id=qid,
            type=qtype,
            text=text,
            options=tuple(options),
            other=other,
            max=most if isinstance(most, int) else None,
            optional=bool(q.get("optional", False)),
            show_if=tuple(show_if),
        )

    def _options(self, q: _Map, qid: str, qtype: QuestionType) -> list[Option]:
        line = q.line
        source = q.get("options_from")
        if not qtype.has_options:
            if "options" in q or source is not None:
                self.fail(q.key_lines.get("options", line), qid, f"{qtype.value} 题没有选项")
            return []
        if source is not None:
            if source != "items":
                self.fail(q.key_lines.get("options_from", line), qid, "options_from 只能是 items")
                return []
            if self.items is None:
                self.fail(line, qid, "options_from: items 需要事项目录（请在数据库中加载）")
                return []
            wanted = q.get("items")
            options = self.items(list(wanted) if isinstance(wanted, list) else None)
            for option in options:
                if not option.key:
                    self.fail(
                        q.key_lines.get("items", line), qid, f"目录中没有在用事项 {option.label}"
                    )
            options = [o for o in options if o.key]
            if len(options) > MAX_OPTIONS:
                self.fail(
                    q.key_lines.get("options_from", line),
                    qid,
                    f"目录中有 {len(options)} 个事项，一条消息列不下；请用 items: 列出不超过 {MAX_OPTIONS} 个",
                )
        else:
            raw = q.get("options")
            if not isinstance(raw, list):
                self.fail(q.key_lines.get("options", line), qid, "选择题需要 options 列表")
                return []
            options = [Option(str(o).strip(), str(o).strip()) for o in raw]
        labels = [o.label for o in options]
        for label in {x for x in labels if labels.count(x) > 1}:
            self.fail(q.key_lines.get("options", line), qid, f"选项 {label} 重复")
        if any(not o.label for o in options):
            self.fail(q.key_lines.get("options", line), qid, "选项不能为空")
        if OTHER_KEY in labels:
            self.fail(q.key_lines.get("options", line), qid, "不要把“其他”写进选项，用 other: true")
        if len(options) < 2:
            self.fail(q.key_lines.get("options", line), qid, "至少要有两个选项")
        if len(options) > MAX_OPTIONS:
            self.fail(q.key_lines.get("options", line), qid, f"选项不能超过 {MAX_OPTIONS} 个")
        return options

    def _show_if(self, q: _Map, qid: str, earlier: dict[str, Question]) -> list[Condition]:
        raw = q.get("show_if")
        if raw is None:
            return []
        line = q.key_lines.get("show_if", q.line)
        if not isinstance(raw, dict) or not raw:
            self.fail(line, qid, "show_if 应写成 {题目id: 选项}，如 {q1: B}")
            return []
        conditions = []
        for ref, wanted in raw.items():
            ref = str(ref)
            target = earlier.get(ref)
            if target is None:
                if ref in self.all_ids:
                    self.fail(
                        line, qid, f"show_if 引用的题目 {ref} 不在本题之前（只能引用前面的题）"
                    )
                else:
                    self.fail(line, qid, f"show_if 引用了不存在的题目 {ref}")
                continue
            values = [str(v).strip() for v in (wanted if isinstance(wanted, list) else [wanted])]
            if target.type.has_options:
                valid = {o.key: o.key for o in target.choices} | {
                    o.label: o.key for o in target.choices
                }
            elif target.type is QuestionType.RATING:
                valid = {str(v): str(v) for v in RATING_VALUES}
            else:
                self.fail(line, qid, f"show_if 不能引用填空题 {ref}")
                continue
            keys = []
            for value in values:
                if value not in valid:
                    offered = "、".join(dict.fromkeys(valid.values()))
                    self.fail(line, qid, f"show_if 中 {ref} 没有选项 {value}（可选：{offered}）")
                else:
                    keys.append(valid[value])
            if keys:
                conditions.append(Condition(ref, tuple(keys)))
        return conditions


def parse_definition(
    text: str, source: str = "问卷文件", items: ItemLookup | None = None
) -> SurveyDefinition:
    """The checked definition in ``text``; :class:`DefinitionError` lists every mistake."""
    data, problems = parse_text(text, source)
    checker = _Checker(items)
    checker.problems.extend(problems)
    definition = checker.definition(data)
    if checker.problems or definition is None:
        raise DefinitionError(source, sorted(checker.problems, key=lambda p: p.line or 0))
    return definition
