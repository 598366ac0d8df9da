"""Reading a catalog item's 预约规则说明 (SCHEDULE_RULE) into facts a booking can apply.

The export gives SCHEDULE_NUM (每天可预约量) as a field and everything else as free text.
Each reader below is one phrasing seen in the provincial export (the test lists every rule
of the demo catalog with what is read from it). What no phrase states is left to the
defaults in :class:`~banshi.bookings.config.BookingConfig`; each fact keeps the words it
came from, so staff can see why a value applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any


class SpanUnit(Enum):
    DAYS = "days"  # 自然日
    WORKING_DAYS = "working_days"  # 工作日
    WEEK = "week"  # 当周（至本周日）


@dataclass(frozen=True)
class Span:
    """A number of days counted in a unit: 5 个工作日, 15 天, 当周."""

    n: int
    unit: SpanUnit

    def text(self) -> str:
        if self.unit is SpanUnit.WEEK:
            return "本周内"
        return f"{self.n}个工作日" if self.unit is SpanUnit.WORKING_DAYS else f"{self.n}天"

    def as_json(self) -> dict[str, Any]:
        return {"n": self.n, "unit": self.unit.value}


class DayScope(Enum):
    HALL_DAYS = "hall_days"  # 大厅开放的每一天（含周六延时服务）
    WORKING_DAYS = "working_days"  # 只在工作日放号


@dataclass(frozen=True)
class NoShowRule:
    """``limit`` no-shows within ``window_days`` suspend booking for ``ban_days``."""

    limit: int
    window_days: int
    ban_days: int

    def as_json(self) -> dict[str, Any]:
        return {"limit": self.limit, "window_days": self.window_days, "ban_days": self.ban_days}


HALF_DAY = 0  # slot_minutes meaning "上午、下午两个时段"


@dataclass(frozen=True)
class RuleFacts:
    """What one SCHEDULE_RULE text states; ``phrases`` maps a fact's name to its words."""

    values: dict[str, Any] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        return self.values.get(name)


_N = r"(\d+)"
_TO = r"\s*(?:至|到|-|－|~)\s*"
Reader = Callable[[re.Match[str]], dict[str, Any]]

# (pattern, what it states). Order matters only where two could read the same words; each
# fact is taken from the first phrase that states it.
_READERS: list[tuple[re.Pattern[str], Reader]] = [
    (
        re.compile(rf"提前{_N}{_TO}{_N}\s*个工作日"),
        lambda m: {
            "lead": Span(int(m[1]), SpanUnit.WORKING_DAYS),
            "horizon": Span(int(m[2]), SpanUnit.WORKING_DAYS),
        },
    ),
    (
        re.compile(rf"提前{_N}{_TO}{_N}\s*天"),
        lambda m: {
            "lead": Span(int(m[1]), SpanUnit.DAYS),
            "horizon": Span(int(m[2]), SpanUnit.DAYS),
        },
    ),
    (
        re.compile(rf"预约{_N}{_TO}{_N}\s*个工作日内"),
        lambda m: {
            "lead": Span(int(m[1]), SpanUnit.WORKING_DAYS),
            "horizon": Span(int(m[2]), SpanUnit.WORKING_DAYS),
        },
    ),
    (
        re.compile(rf"未来{_N}\s*个工作日内"),
        lambda m: {"horizon": Span(int(m[1]), SpanUnit.WORKING_DAYS)},
    ),
    (
        re.compile(rf"未来{_N}\s*个?(?:自然日|天)内"),
        lambda m: {"horizon": Span(int(m[1]), SpanUnit.DAYS)},
    ),
    (
        re.compile(rf"次日起{_N}\s*天内"),
        lambda m: {"lead": Span(1, SpanUnit.DAYS), "horizon": Span(int(m[1]), SpanUnit.DAYS)},
    ),
    (re.compile(rf"至少提前{_N}\s*天"), lambda m: {"lead": Span(int(m[1]), SpanUnit.DAYS)}),
    (
        re.compile(rf"提前{_N}\s*个工作日预约"),
        lambda m: {"lead": Span(int(m[1]), SpanUnit.WORKING_DAYS)},
    ),
    (re.compile(r"当周任意工作日及周末"), lambda m: {"horizon": Span(0, SpanUnit.WEEK)}),
    (
        re.compile(rf"每日(?:放号|可预约|限约){_N}\s*(?:个号?|组)"),
        lambda m: {"daily_quota": int(m[1])},
    ),
    (re.compile(r"每半小时一个时段|按半小时分时段"), lambda m: {"slot_minutes": 30}),
    (
        re.compile(r"上午、下午(?:两个时段|分时段)"),
        lambda m: {"slot_minutes": HALF_DAY},
    ),
    (re.compile(r"每个工作日"), lambda m: {"day_scope": DayScope.WORKING_DAYS}),
    (re.compile(r"周六、周日预约名额有限"), lambda m: {"weekend_limited": True}),
    (re.compile(rf"开始前{_N}\s*分钟到"), lambda m: {"arrive_before_minutes": int(m[1])}),
    (
        re.compile(rf"(?:迟到超过|超过预约时段|逾时){_N}\s*分钟"),
        lambda m: {"late_minutes": int(m[1])},
    ),
    (re.compile(r"未按时到场的预约自动作废"), lambda m: {"late_minutes": 0}),
    (re.compile(r"每个身份证号每天限约1次"), lambda m: {"one_per_person_per_day": True}),
    (
        re.compile(rf"{_N}\s*日内爽约{_N}\s*次暂停预约资格"),
        lambda m: {"no_show": {"limit": int(m[2]), "window_days": int(m[1])}},
    ),
    (
        # 当月 is read as 30 days: a sliding month, so the 1st of a month wipes nothing out.
        re.compile(rf"当月累计爽约{_N}\s*次的{_N}\s*日内不可预约"),
        lambda m: {"no_show": {"limit": int(m[1]), "window_days": 30, "ban_days": int(m[2])}},
    ),
    (re.compile(r"须填写双方姓名和身份证号"), lambda m: {"parties": 2}),
    (re.compile(r"非认定期间不开放预约"), lambda m: {"bookable": False}),
]


@lru_cache(maxsize=256)
def read_rule(text: str) -> RuleFacts:
    """The facts one rule text states (cached: every item of a department shares its text)."""
    values: dict[str, Any] = {}
    phrases: dict[str, str] = {}
    for pattern, reader in _READERS:
        for match in pattern.finditer(text or ""):
            for name, value in reader(match).items():
                if name not in values:
                    values[name] = value
                    phrases[name] = match.group(0)
    return RuleFacts(values, phrases)
