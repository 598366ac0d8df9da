"""Reading a pick from a numbered list: "2", "第二个", "选3", "最后一个".

Every list the assistant offers (items, situations, slots, surveys' options) is answered the
same way, so the same words work everywhere.
"""

from __future__ import annotations

import re

# The Chinese digits, shared by every reader of numbers (picks, survey answers, dates).
CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMERALS = {**CN_DIGITS, "十": 10}
_CHOICE = re.compile(
    r"^(?:选|选择|要|就|是)?(?:第)?([0-9]{1,2}|[一二两三四五六七八九十])(?:个|项|条|号)?(?:吧|的|啊|呀|。|!|！)*$"
)


def cn_number(token: str) -> int | None:
    """A number written in digits or as one Chinese numeral (一 … 十)."""
    if token.isdigit():
        return int(token)
    return _CN_NUMERALS.get(token)


def parse_choice(text: str, count: int) -> int | None:
    """1-based choice; -1 when it is a number outside 1..count; None when it is not a number."""
    t = re.sub(r"[\s,，.。!！~]+", "", text)
    t = re.sub(r"^(我)?(选|要|就|是)+", "", t)
    t = re.sub(r"(吧|啊|呀|哈|了)+$", "", t)
    if t in ("最后一个", "最后那个", "最后一项"):
        return count
    match = _CHOICE.match(t)
    if not match:
        return None
    number = cn_number(match.group(1)) or 0
    return number if 1 <= number <= count else -1
