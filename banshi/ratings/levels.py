"""The five 好差评 levels, the aspects a citizen may point to, and reading them from chat.

国办发〔2019〕51号 and GB/T 39734-2020 set five levels: 非常满意 / 满意 / 基本满意 / 不满意 /
非常不满意; the last two are 差评. GB/T 39046-2020 A.8 codes them 1 (非常满意) … 5 (非常不满意),
the reverse of a star widget, so the database stores the level's name, never a number.
In chat, a bare digit is a position in the menu we show (1 非常满意 … 5 非常不满意, the same
order as the codes), while "5星" / "五颗星" counts stars (5 = 非常满意).
"""

from __future__ import annotations

import re
from enum import Enum

from banshi.choices import cn_number


class Level(str, Enum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"

    @property
    def label(self) -> str:
        return _LABELS[self][0]

    @property
    def code(self) -> int:
        """GB/T 39046-2020 A.8 code (1 = 非常满意)."""
        return _LABELS[self][1]

    @property
    def is_bad(self) -> bool:
        """差评: every one is verified, fixed and reported back (国办发〔2019〕51号)."""
        return self in (Level.DISSATISFIED, Level.VERY_DISSATISFIED)


_LABELS = {
    Level.VERY_SATISFIED: ("非常满意", 1),
    Level.SATISFIED: ("满意", 2),
    Level.BASICALLY_SATISFIED: ("基本满意", 3),
    Level.DISSATISFIED: ("不满意", 4),
    Level.VERY_DISSATISFIED: ("非常不满意", 5),
}
MENU = tuple(Level)  # the order the invitation lists them in: position n is code n


class Indicator(str, Enum):
    """评价指标 a citizen may name (GB/T 39734-2020's online and hall indicators; the
    overall 整体满意度 is the level itself)."""

    EFFICIENCY = "efficiency"
    GUIDE_ACCURACY = "guide_accuracy"
    CONVENIENCE = "convenience"
    ATTITUDE = "attitude"
    USABILITY = "usability"

    @property
    def label(self) -> str:
        return _INDICATOR_LABELS[self]


_INDICATOR_LABELS = {
    Indicator.EFFICIENCY: "办事效率",
    Indicator.GUIDE_ACCURACY: "办事指南精确度",
    Indicator.CONVENIENCE: "办事便捷度",
    Indicator.ATTITUDE: "服务态度",
    Indicator.USABILITY: "平台操作性",
}
INDICATOR_MENU = tuple(Indicator)

# Everyday words for each level, longest first so "非常不满意" is not read as "满意".
_WORDS: tuple[tuple[str, Level], ...] = (
    ("非常不满意", Level.VERY_DISSATISFIED),
    ("很不满意", Level.VERY_DISSATISFIED),
    ("特别不满意", Level.VERY_DISSATISFIED),
    ("太差", Level.VERY_DISSATISFIED),
    ("基本满意", Level.BASICALLY_SATISFIED),
    ("比较满意", Level.SATISFIED),
    ("非常满意", Level.VERY_SATISFIED),
    ("很满意", Level.VERY_SATISFIED),
    ("特别满意", Level.VERY_SATISFIED),
    ("不太满意", Level.DISSATISFIED),
    ("不满意", Level.DISSATISFIED),
    ("差评", Level.DISSATISFIED),
    ("满意", Level.SATISFIED),
    ("好评", Level.SATISFIED),
    ("一般", Level.BASICALLY_SATISFIED),
    ("还行", Level.BASICALLY_SATISFIED),
    ("还可以", Level.BASICALLY_SATISFIED),
    ("凑合", Level.BASICALLY_SATISFIED),
)
_STARS = re.compile(r"^([1-5一二两三四五])(?:颗|个)?星")
_DIGIT = re.compile(r"^(?:选|评|打)?(?:第)?([1-5一二三四五])(?:个|项|分)?(?:吧|。)?$")
_SPACE = re.compile(r"[\s，,。.!！~]+")


def parse_level(text: str) -> Level | None:
    """A level from "2", "满意", "非常不满意", "五星"; None when the text names none."""
    said = _SPACE.sub("", text)
    stars = _STARS.match(said)
    if stars:
        n = cn_number(stars.group(1)) or 0
        return MENU[5 - n] if 1 <= n <= 5 else None
    digit = _DIGIT.match(said)
    if digit:
        n = cn_number(digit.group(1)) or 0
        return MENU[n - 1] if 1 <= n <= 5 else None
    for word, level in _WORDS:
        if word in said:
            return level
    return None


_NUMBERS = re.compile(r"[1-9一二三四五]")


def parse_indicators(text: str) -> list[Indicator]:
    """Aspects from "1 3", "1、3", "效率和态度"; in menu order, without repeats."""
    found: set[Indicator] = set()
    for indicator in Indicator:
        label = indicator.label
        if label in text or label.replace("办事", "") in text:
            found.add(indicator)
    for keyword, indicator in (
        ("效率", Indicator.EFFICIENCY),
        ("慢", Indicator.EFFICIENCY),
        ("指南", Indicator.GUIDE_ACCURACY),
        ("便捷", Indicator.CONVENIENCE),
        ("方便", Indicator.CONVENIENCE),
        ("态度", Indicator.ATTITUDE),
        ("操作", Indicator.USABILITY),
    ):
        if keyword in text:
            found.add(indicator)
    if not found:
        for token in _NUMBERS.findall(text):
            n = cn_number(token) or 0
            if 1 <= n <= len(INDICATOR_MENU):
                found.add(INDICATOR_MENU[n - 1])
    return [i for i in INDICATOR_MENU if i in found]
