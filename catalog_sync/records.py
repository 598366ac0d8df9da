"""Reading the provincial export: clean each record, validate it, or reject it with a reason.

Dirty input is the normal case (SCHEMA.md): HTML fragments, full-width characters, stray
whitespace, repeated TASK_CODEs with different TASK_VERSIONs, broken lines. One bad record
never stops the others: it becomes a :class:`Rejection` naming the line, TASK_GUID and reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from banshi.codes import (
    TASK_TYPES,
    check_catalog_code,
    check_handle_item_code,
    check_task_code,
)
from banshi.models import STATE_LABELS
from banshi.text import clean_line, clean_text

# Scalar fields of an item record, cleaned as one line ("line"), as text ("text") or as a
# non-negative integer ("int").
ITEM_FIELDS: dict[str, str] = {
    "TASK_GUID": "line",
    "TASK_NAME": "line",
    "CATALOG_CODE": "line",
    "TASK_CODE": "line",
    "TASK_TYPE": "line",
    "TASK_VERSION": "int",
    "TASK_STATE": "line",
    "UPDATE_DATE": "line",
    "DEPT_NAME": "line",
    "DEPT_CODE": "line",
    "USE_LEVEL": "line",
    "SERVER_TYPE": "line",
    "USER_TOPIC_TYPE": "line",
    "SEARCH_KEYWORDS": "line",
    "BY_LAW": "text",
    "ACCEPT_CONDITION": "text",
    "ANTICIPATE_DAY": "int",
    "ANTICIPATE_TYPE": "line",
    "PROMISE_DAY": "int",
    "PROMISE_TYPE": "line",
    "PROJECT_TYPE": "line",
    "HANDLE_FLOW": "text",
    "IS_FEE": "line",
    "IS_ONLINE": "line",
    "ONLINE_HANDLE_URL": "line",
    "LIMIT_SCENE_NUM": "int",
    "CENTER_NAME": "line",
    "TRANSACT_ADDR": "line",
    "TRANSACT_TIME": "text",
    "IS_SCHEDULE": "line",
    "SCHEDULE_NUM": "int",
    "SCHEDULE_RULE": "text",
    "CONSULT_PHONE": "line",
    "COMPLAIN_PHONE": "line",
    "RESULT_NAME": "line",
}
REQUIRED_FIELDS = ("TASK_GUID", "TASK_NAME", "CATALOG_CODE", "TASK_CODE", "TASK_TYPE")

SITUATION_FIELDS = {"TASK_HANDLE_ITEM": "line", "NAME": "line"}
MATERIAL_FIELDS = {
    "MATERIAL_NAME": "line",
    "MATERIAL_TYPE": "line",
    "MATERIAL_FORMAT": "line",
    "IS_NEED": "line",
    "SOURCE_TYPE": "line",
    "SOURCE_EXPLAIN": "text",
    "ORIGINALNUM": "int",
    "COPIESNUM": "int",
    "PAGE_FORMAT": "line",
    "HANDLE_CASE": "line",
    "FILL_EXPLAIN": "text",
}
CHARGE_FIELDS = {
    "FEE_NAME": "line",
    "FEE_STAND": "text",
    "BY_LAW": "text",
    "IS_DESC": "line",
    "DESC_EXPLAIN": "text",
}
QUESTION_FIELDS = {"QUESTION": "text", "ANSWER": "text"}
CHILD_LISTS = {
    "SITUATIONS": (SITUATION_FIELDS, "NAME"),
    "MATERIALS": (MATERIAL_FIELDS, "MATERIAL_NAME"),
    "CHARGES": (CHARGE_FIELDS, None),
    "QUESTIONS": (QUESTION_FIELDS, "QUESTION"),
}

_KEYWORD_SPLIT = re.compile(r"[;；,，、|/\s]+")


class InvalidRecord(ValueError):
    """A record that cannot be imported; the message is the reason shown to staff."""


@dataclass(frozen=True)
class Rejection:
    line: int
    task_guid: str
    task_code: str
    reason: str


@dataclass
class ItemRecord:
    """A cleaned, validated item record in the export's own field names."""

    line: int
    data: dict[str, Any]
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.content_hash = record_hash(self.data)

    @property
    def task_code(self) -> str:
        return str(self.data["TASK_CODE"])

    @property
    def version(self) -> int:
        return int(self.data["TASK_VERSION"])


def record_hash(data: dict[str, Any]) -> str:
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _to_int(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidRecord(f"{name} 应为非负整数，实际为 {value!r}")
    if isinstance(value, (int, float)) and int(value) == value:
        number = int(value)
    else:
        text = clean_line(value)
        if not re.fullmatch(r"-?\d+", text):
            raise InvalidRecord(f"{name} 应为非负整数，实际为 {value!r}")
        number = int(text)
    if number < 0:
        raise InvalidRecord(f"{name} 不能为负数：{number}")
    return number


@lru_cache(maxsize=1 << 16)
def _cleaned(value: str, line: bool) -> str:
    """One field's text cleaned. A provincial export repeats the same texts (材料名称, 来源,
    受理条件) in every district's record: each distinct text is cleaned once."""
    return clean_line(value) if line else clean_text(value)


def _clean_fields(raw: dict[str, Any], spec: dict[str, str], where: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind in spec.items():
        value = raw.get(name)
        if kind == "int":
            out[name] = _to_int(where + name, value)
        elif isinstance(value, (dict, list)):
            raise InvalidRecord(f"{where}{name} 应为文本，实际为 {type(value).__name__}")
        elif isinstance(value, str):
            out[name] = _cleaned(value, kind == "line")
        else:
            out[name] = clean_line(value) if kind == "line" else clean_text(value)
    return out


def _clean_children(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    spec, required = CHILD_LISTS[key]
    value = raw.get(key)
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise InvalidRecord(f"{key} 应为列表，实际为 {type(value).__name__}")
    children = []
    for i, child in enumerate(value, 1):
        if not isinstance(child, dict):
            raise InvalidRecord(f"{key} 第 {i} 项应为对象，实际为 {child!r:.30}")
        cleaned = _clean_fields(child, spec, where=f"{key}[{i}].")
        if required and not cleaned[required]:
            raise InvalidRecord(f"{key} 第 {i} 项缺少 {required}")
        children.append(cleaned)
    return children


def clean_item(raw: Any, line: int) -> ItemRecord:
    """Clean and validate one raw item record; raise :class:`InvalidRecord` with the reason."""
    if not isinstance(raw, dict):
        raise InvalidRecord(f"记录应为 JSON 对象，实际为 {type(raw).__name__}")
    data = _clean_fields(raw, ITEM_FIELDS)
    missing = [name for name in REQUIRED_FIELDS if not data[name]]
    if missing:
        raise InvalidRecord("缺少必填字段 " + "、".join(missing))
    if data["TASK_VERSION"] is None:
        raise InvalidRecord("缺少必填字段 TASK_VERSION")
    if data["TASK_STATE"] not in STATE_LABELS:
        raise InvalidRecord(f"TASK_STATE 应为 1/2/3，实际为 {data['TASK_STATE']!r}")
    if data["TASK_TYPE"] not in TASK_TYPES:
        raise InvalidRecord(f"事项类型 TASK_TYPE {data['TASK_TYPE']!r} 不在 GB/T 39046 代码表中")
    problem = check_catalog_code(data["CATALOG_CODE"], data["TASK_TYPE"]) or check_task_code(
        data["TASK_CODE"], data["CATALOG_CODE"], data["DEPT_CODE"], data["USE_LEVEL"]
    )
    if problem:
        raise InvalidRecord(problem)
    for key in CHILD_LISTS:
        data[key] = _clean_children(raw, key)
    for situation in data["SITUATIONS"]:
        problem = check_handle_item_code(situation["TASK_HANDLE_ITEM"], data["TASK_CODE"])
        if problem:
            raise InvalidRecord(problem)
    return ItemRecord(line=line, data=data)


def keywords_of(data: dict[str, Any]) -> list[str]:
    """SEARCH_KEYWORDS split on the separators exports use, de-duplicated, order kept."""
    seen: dict[str, None] = {}
    for word in _KEYWORD_SPLIT.split(data.get("SEARCH_KEYWORDS") or ""):
        word = word.strip()
        if word and len(word) <= 50:
            seen.setdefault(word, None)
    return list(seen)


@dataclass
class ParsedItems:
    """The outcome of reading an items/delta export."""

    records: list[ItemRecord]
    rejections: list[Rejection]
    superseded: list[Rejection]  # lower TASK_VERSIONs of a TASK_CODE in the same file
    total_lines: int


def _guid_of(raw: Any) -> tuple[str, str]:
    if isinstance(raw, dict):
        return clean_line(raw.get("TASK_GUID")), clean_line(raw.get("TASK_CODE"))
    return "", ""


_GUID_IN_TEXT = re.compile(r'"TASK_GUID"\s*:\s*"([^"]{1,64})"')


def parse_items(content: bytes) -> ParsedItems:
    """Read a JSON-lines export; keep the highest TASK_VERSION of each TASK_CODE.

    Lines are decoded one at a time: a 10,000-item export never exists twice in memory.
    """
    best: dict[str, ItemRecord] = {}
    rejections: list[Rejection] = []
    superseded: list[Rejection] = []
    number = 0
    for number, raw_line in enumerate(io.BytesIO(content), 1):
        line = raw_line.decode("utf-8", errors="replace")
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            match = _GUID_IN_TEXT.search(line)
            rejections.append(
                Rejection(number, match.group(1) if match else "", "", f"JSON 格式错误：{exc.msg}")
            )
            continue
        try:
            record = clean_item(raw, number)
        except InvalidRecord as exc:
            guid, code = _guid_of(raw)
            rejections.append(Rejection(number, guid, code, str(exc)))
            continue
        current = best.get(record.task_code)
        if current is None or record.version > current.version:
            if current is not None:
                superseded.append(_superseded(current, record))
            best[record.task_code] = record
        else:
            superseded.append(_superseded(record, current))
    return ParsedItems(list(best.values()), rejections, superseded, number)


def _superseded(loser: ItemRecord, winner: ItemRecord) -> Rejection:
    return Rejection(
        loser.line,
        str(loser.data["TASK_GUID"]),
        loser.task_code,
        f"同一实施编码在第 {winner.line} 行有更高版本 {winner.version}（本行版本 {loser.version}）",
    )


# ---------------------------------------------------------------------------- halls

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class HallRecord:
    index: int
    data: dict[str, Any]
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.content_hash = record_hash(self.data)


def _clean_hours(raw: Any) -> dict[str, list[list[str]]]:
    if not isinstance(raw, dict):
        raise InvalidRecord("WEEKLY_HOURS 应为 mon…sun 到时段列表的映射")
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        periods = raw.get(day) or []
        if not isinstance(periods, list):
            raise InvalidRecord(f"WEEKLY_HOURS.{day} 应为列表")
        cleaned = []
        for period in periods:
            if not (isinstance(period, list) and len(period) == 2):
                raise InvalidRecord(f"WEEKLY_HOURS.{day} 的时段应为 [开始, 结束]：{period!r}")
            start, end = (clean_line(p) for p in period)
            if not (_HHMM.match(start) and _HHMM.match(end) and start < end):
                raise InvalidRecord(f"WEEKLY_HOURS.{day} 的时段无效：{period!r}")
            cleaned.append([start, end])
        hours[day] = sorted(cleaned)
    return hours


def clean_hall(raw: Any, index: int) -> HallRecord:
    if not isinstance(raw, dict):
        raise InvalidRecord("大厅记录应为 JSON 对象")
    data = _clean_fields(
        raw, {"HALL_CODE": "line", "HALL_NAME": "line", "ADDRESS": "line", "PHONE": "line"}
    )
    for name in ("HALL_CODE", "HALL_NAME"):
        if not data[name]:
            raise InvalidRecord(f"缺少必填字段 {name}")
    for name in ("LNG", "LAT"):
        value = raw.get(name)
        data[name] = "" if value in (None, "") else clean_line(value)
    data["WEEKLY_HOURS"] = _clean_hours(raw.get("WEEKLY_HOURS"))
    rule = clean_line(raw.get("HOLIDAY_RULE") or "closed").lower()
    if rule not in ("closed", "open"):
        raise InvalidRecord(f"HOLIDAY_RULE 应为 closed 或 open，实际为 {rule!r}")
    data["HOLIDAY_RULE"] = rule
    windows = []
    for i, window in enumerate(raw.get("WINDOWS") or [], 1):
        if not isinstance(window, dict) or not clean_line(window.get("WINDOW_NO")):
            raise InvalidRecord(f"WINDOWS 第 {i} 项缺少 WINDOW_NO")
        codes = window.get("TASK_CODES") or []
        if not isinstance(codes, list):
            raise InvalidRecord(f"WINDOWS 第 {i} 项的 TASK_CODES 应为列表")
        windows.append(
            {
                "WINDOW_NO": clean_line(window["WINDOW_NO"]),
                "WINDOW_NAME": clean_line(window.get("WINDOW_NAME")),
                "TASK_CODES": [clean_line(c) for c in codes if clean_line(c)],
            }
        )
    data["WINDOWS"] = windows
    return HallRecord(index=index, data=data)


@dataclass
class ParsedHalls:
    records: list[HallRecord]
    rejections: list[Rejection]


def parse_halls(content: bytes) -> ParsedHalls:
    """Read halls.json (a JSON list of halls); a bad hall is rejected, the others kept."""
    try:
        raw = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return ParsedHalls([], [Rejection(0, "", "", f"大厅文件不是有效的 JSON：{exc}")])
    if isinstance(raw, dict) and isinstance(raw.get("HALLS"), list):
        raw = raw["HALLS"]
    if not isinstance(raw, list):
        return ParsedHalls([], [Rejection(0, "", "", "大厅文件应为大厅记录的列表")])
    records, rejections = [], []
    for index, hall in enumerate(raw, 1):
        try:
            records.append(clean_hall(hall, index))
        except InvalidRecord as exc:
            code = clean_line(hall.get("HALL_CODE")) if isinstance(hall, dict) else ""
            rejections.append(Rejection(index, "", code, str(exc)))
    return ParsedHalls(records, rejections)


def detect_kind(content: bytes) -> str:
    """``halls`` for a hall export (a JSON list/object with HALL_CODE), else ``items``."""
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if head.startswith(b"[") or (head.startswith(b"{") and b'"HALLS"' in head):
        return "halls"
    return "items"
