"""Filling the calendar: from chinesecalendar for past years, from a notice file for new ones.

Each November the State Council publishes next year's holidays (国务院办公厅关于某年部分节假日
安排的通知). Staff type it into a small YAML file and run ``banshi calendar load FILE``::

    # 2027年部分节假日安排
    year: 2027
    source: 国办发明电〔2026〕12号      # the notice's number, shown in `banshi calendar status`
    holidays:                           # days off: one date, a range (both ends included),
      - name: 元旦                       # or a mapping with a name and its days
        days: 2027-01-01..2027-01-03
      - 2027-02-06..2027-02-13
      - 2027-04-05
    makeup_workdays:                    # 调休上班的周六、周日
      - 2027-02-20

Dates are ``YYYY-MM-DD``; a range is ``FROM..TO`` (``~`` and ``至`` also work). Days must lie
in the year, except the last week of December before it (元旦 has reached back into it).
Loading a year again replaces it; a file outranks chinesecalendar, which never overwrites it.
Every error names its line, and a file with an error changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from banshi.calendar.models import CalendarDay, CalendarYear
from banshi.calendar.workdays import CalendarOrigin, DayKind, UnknownYear

# chinesecalendar names holidays in English; the calendar shows them in Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_RANGE = re.compile(r"^\s*(\S+?)\s*(?:\.\.|~|～|至)\s*(\S+)\s*$")
_KEYS = {"year", "source", "holidays", "makeup_workdays"}


@dataclass(frozen=True)
class LoadReport:
    """What ``banshi calendar load`` did."""

    year: int
    source: str
    holidays: int
    makeup_workdays: int
    replaced_source: str | None  # the source the year had before, when it was loaded already


@dataclass
class CalendarFileError(ValueError):
    """The file cannot be loaded; each error says on which line and what to fix."""

    path: str
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.path} 有 {len(self.errors)} 处错误，未导入：\n" + "\n".join(self.errors)


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _replace_year(
    session: Session,
    year: int,
    source: str,
    origin: CalendarOrigin,
    days: dict[date, tuple[DayKind, str]],
) -> str | None:
    """Write ``year``'s special days in place of what was stored; returns the old source."""
    old = session.get(CalendarYear, year)
    previous = old.source if old is not None else None
    session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    if days:
        session.execute(delete(CalendarDay).where(CalendarDay.day.in_(list(days))))
    if old is None:
        session.add(CalendarYear(year=year, source=source, origin=origin.value, loaded_at=_now()))
    else:
        old.source, old.origin, old.loaded_at = source, origin.value, _now()
    session.flush()
    session.add_all(
        CalendarDay(day=d, year=year, kind=kind.value, name=name, source=source)
        for d, (kind, name) in sorted(days.items())
    )
    session.flush()
    return previous


# ------------------------------------------------------------------ chinesecalendar


def chinesecalendar_years() -> list[int]:
    """The years the installed chinesecalendar knows (2004–2026 for 1.11.0)."""
    import chinese_calendar

    return sorted({d.year for d in chinese_calendar.holidays})


def _library_days(year: int) -> dict[date, tuple[DayKind, str]]:
    import chinese_calendar

    days: dict[date, tuple[DayKind, str]] = {}
    for d, name in chinese_calendar.holidays.items():
        if d.year == year:
            days[d] = (DayKind.HOLIDAY, HOLIDAY_NAMES.get(name, name or ""))
    for d, name in chinese_calendar.workdays.items():
        if d.year == year and d.weekday() >= 5:
            days[d] = (DayKind.MAKEUP_WORKDAY, HOLIDAY_NAMES.get(name, name or ""))
    return days


def seed_from_chinesecalendar(session: Session, years: Iterable[int] | None = None) -> int:
    """Load ``years`` (default: every year the library covers) from chinesecalendar.

    Idempotent: a year already loaded from the same library version, or from a notice file
    (staff's word wins), is left alone. Returns how many years were written. A year the
    library does not cover raises :class:`UnknownYear` before anything is written.
    """
    import chinese_calendar

    covered = chinesecalendar_years()
    wanted = covered if years is None else sorted(set(years))
    for year in wanted:
        if year not in covered:
            raise UnknownYear(year)
    source = f"chinesecalendar {chinese_calendar.__version__}"
    stored = {row.year: row for row in session.execute(select(CalendarYear)).scalars()}
    written = 0
    for year in wanted:
        old = stored.get(year)
        if old is not None and (old.origin == CalendarOrigin.FILE.value or old.source == source):
            continue
        _replace_year(session, year, source, CalendarOrigin.CHINESECALENDAR, _library_days(year))
        written += 1
    return written


# ------------------------------------------------------------------ notice files


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _parse_date(text: str) -> date | None:
    match = _DATE.match(text.strip())
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


class _Reader:
    """Walks the YAML node tree so that every error can name its line."""

    def __init__(self, path: str) -> None:
        self.errors: list[str] = []
        self.path = path

    def error(self, node: yaml.Node | None, message: str) -> None:
        where = f"第{_line(node)}行：" if node is not None else ""
        self.errors.append(f"{where}{message}")

    def days(self, node: yaml.Node, year: int) -> list[date]:
        """A date or a ``FROM..TO`` range, checked against the year."""
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.error(node, "应为日期 YYYY-MM-DD 或日期范围 YYYY-MM-DD..YYYY-MM-DD")
            return []
        text = str(node.value)
        match = _RANGE.match(text)
        ends = [match.group(1), match.group(2)] if match else [text]
        parsed = [_parse_date(part) for part in ends]
        if any(d is None for d in parsed):
            self.error(node, f"“{text}”不是有效日期，应写作 YYYY-MM-DD（如 {year}-02-06）")
            return []
        first, last = parsed[0], parsed[-1]
        assert first is not None and last is not None
        if last < first:
            self.error(node, f"日期范围“{text}”的结束日早于开始日")
            return []
        if first < date(year - 1, 12, 25) or last > date(year, 12, 31):
            self.error(node, f"“{text}”不在 {year} 年内")
            return []
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def holidays(self, node: yaml.Node, year: int) -> dict[date, tuple[str, int]]:
        found: dict[date, tuple[str, int]] = {}
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, "holidays 应为列表，每项一个日期、日期范围或 {name, days}")
            return found
        for entry in node.value:
            name, days_node = "", entry
            if isinstance(entry, yaml.MappingNode):
                fields = {str(k.value): v for k, v in entry.value}
                unknown = set(fields) - {"name", "days"}
                if unknown or "days" not in fields:
                    self.error(entry, "节假日条目应写作 {name: 春节, days: 起..止}")
                    continue
                name = str(getattr(fields.get("name"), "value", "") or "").strip()
                days_node = fields["days"]
            for d in self.days(days_node, year):
                if d in found:
                    self.error(days_node, f"{d.isoformat()} 重复列出")
                found[d] = (name, _line(days_node))
        if not found and not node.value:
            self.error(node, "holidays 为空：一年至少有元旦、春节等法定节假日")
        return found

    def makeup(self, node: yaml.Node, year: int) -> dict[date, int]:
        found: dict[date, int] = {}
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, "makeup_workdays 应为日期列表")
            return found
        for entry in node.value:
            for d in self.days(entry, year):
                if d.weekday() < 5:
                    weekday = "一二三四五"[d.weekday()]
                    self.error(entry, f"{d.isoformat()} 是周{weekday}，调休上班日应是周六或周日")
                    continue
                found[d] = _line(entry)
        return found


def read_calendar_file(path: Path) -> tuple[int, str, dict[date, tuple[DayKind, str]]]:
    """Parse and check a notice file; raises :class:`CalendarFileError` naming each line."""
    reader = _Reader(str(path))
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"第{mark.line + 1}行：" if mark is not None else ""
        raise CalendarFileError(str(path), [f"{where}YAML 格式错误（{exc.problem}）"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarFileError(str(path), [f"无法读取文件（{exc}）"]) from exc
    if not isinstance(root, yaml.MappingNode):
        raise CalendarFileError(
            str(path), ["文件应为 year / source / holidays / makeup_workdays 四项"]
        )
    fields = {str(k.value): (k, v) for k, v in root.value}
    for key, (key_node, _) in fields.items():
        if key not in _KEYS:
            reader.error(
                key_node, f"未知的项“{key}”（可用：year、source、holidays、makeup_workdays）"
            )
    for key in ("year", "source", "holidays"):
        if key not in fields:
            reader.error(root, f"缺少 {key}")
    year = 0
    if "year" in fields:
        node = fields["year"][1]
        text = str(getattr(node, "value", ""))
        if isinstance(node, yaml.ScalarNode) and re.fullmatch(r"20\d\d", text.strip()):
            year = int(text)
        else:
            reader.error(node, f"year 应为四位年份，如 2027（现为“{text}”）")
    source = ""
    if "source" in fields:
        node = fields["source"][1]
        source = str(getattr(node, "value", "") or "").strip()
        if not isinstance(node, yaml.ScalarNode) or not source:
            reader.error(node, "source 应写明通知文号，如 国办发明电〔2026〕12号")
    holidays: dict[date, tuple[str, int]] = {}
    makeup: dict[date, int] = {}
    if year and "holidays" in fields:
        holidays = reader.holidays(fields["holidays"][1], year)
        makeup = (
            reader.makeup(fields["makeup_workdays"][1], year) if "makeup_workdays" in fields else {}
        )
        for d in sorted(set(holidays) & set(makeup)):
            reader.error(
                None,
                f"第{makeup[d]}行：{d.isoformat()} 同时列为节假日（第{holidays[d][1]}行）和调休上班日",
            )
    if reader.errors:
        raise CalendarFileError(str(path), reader.errors)
    days: dict[date, tuple[DayKind, str]] = {
        d: (DayKind.HOLIDAY, n) for d, (n, _) in holidays.items()
    }
    days.update({d: (DayKind.MAKEUP_WORKDAY, "") for d in makeup})
    return year, source, days


def load_calendar_file(session: Session, path: Path) -> LoadReport:
    """``banshi calendar load FILE``: check the whole file, then store its year at once."""
    year, source, days = read_calendar_file(Path(path))
    previous = _replace_year(session, year, source, CalendarOrigin.FILE, days)
    kinds = [kind for kind, _ in days.values()]
    return LoadReport(
        year=year,
        source=source,
        holidays=kinds.count(DayKind.HOLIDAY),
        makeup_workdays=kinds.count(DayKind.MAKEUP_WORKDAY),
        replaced_source=previous,
    )
