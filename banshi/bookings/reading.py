"""Reading a citizen's answers during a booking: yes or no, a slot by number or time, a name
that is not a greeting. Dates are read by :mod:`banshi.dates`, numbers by :mod:`banshi.choices`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time

from banshi.bookings.people import NameProblem, read_name
from banshi.bookings.slots import NOON, Slot
from banshi.choices import parse_choice
from banshi.conversation import Gist, Message
from banshi.dates import DateSpec, HalfDay, parse_date_words, parse_time_words

_YES = re.compile(
    r"^(确认|确定|确认预约|提交|是|是的|对|对的|好|好的|可以|行|没问题|没错|无误|嗯|嗯嗯|ok|OK|yes)[。.!！~]*$"
)
_NO = re.compile(r"^(不|否|不是|不对|不要|不用|错了|有误|不确认|no|NO)[。.!！~]*$")
_REDO = re.compile(r"^(重填|重新填写?|改信息|修改信息|填错了)[。.!！~]*$")
_NOT_NAMES = frozenset(
    "你好 您好 谢谢 好的 是的 可以 不知道 没有 为什么 什么 怎么 知道了 收到 确认 继续 算了 不对".split()
)


# Words that ask for a booking or name a time, not the item: "预约" alone must not pick an item.
_BOOKING_WORDS = re.compile(
    r"帮我约个?号?|约个号|约一下|预约一下|我想预约|我要预约|想预约|预约|约号|挂号|取号|"
    r"(?:今天|明天|后天|大后天|(?:下下|下|这|本)?(?:周|星期|礼拜)[一二三四五六日天1-7])|"
    r"\d{1,4}[年月日号点:：./]\d{0,2}|上午|下午|中午|一下|改到|改成|换到|改约"
)
_FILLERS = re.compile(r"[\s，,。.!！?？吗呢吧啊了的我想要帮能去办理]+")


def item_words(text: str) -> str | None:
    """What is left of ``text`` to name an item once booking and date words are taken out;
    None when nothing is left ("预约", "我想预约一下明天")."""
    rest = _BOOKING_WORDS.sub(" ", text)
    return text if len(_FILLERS.sub("", rest)) >= 2 else None


def hall_named(text: str, names: Sequence[str]) -> int | None:
    """The index of the one hall ``text`` names ("去社区事务受理服务中心"), or None."""
    words = re.sub(r"^(?:我)?(?:去|到|在|选|要)|(?:那个|那家|吧|的)$", "", text.strip(" 。"))
    found = [i for i, n in enumerate(names) if len(words) >= 2 and (words in n or n in text)]
    return found[0] if len(found) == 1 else None


# While a question is out these are read as (attempted) answers; a guide question, small talk
# or another task is someone else's turn, and the booking waits for "继续".
ANSWER_GISTS = frozenset({Gist.YES, Gist.NO, Gist.PICK, Gist.UNCLEAR, Gist.OUT_OF_SCOPE})


def yes_no(message: Message) -> bool | None:
    said = message.text.strip()
    if message.gist is Gist.YES or _YES.match(said):
        return True
    if message.gist is Gist.NO or _NO.match(said):
        return False
    return None


def wants_redo(message: Message) -> bool:
    return bool(_REDO.match(message.text.strip()))


def name_of(text: str) -> str | NameProblem:
    """A name, refusing words that are a reply rather than a name (你好, 好的 …)."""
    if text.strip(" 。，,!！?？") in _NOT_NAMES:
        return NameProblem.NOT_A_NAME
    return read_name(text)


def date_in(message: Message) -> DateSpec | None:
    """The day a message names as an answer: "明天上午", "那就周五吧"; but "今天天气不错"
    (small talk that happens to hold a date) only when the NLU took it for an answer."""
    spec = parse_date_words(message.text, message.now.date())
    if spec is None or message.gist in ANSWER_GISTS:
        return spec
    rest = _FILLERS.sub("", _BOOKING_WORDS.sub("", message.text))
    return spec if len(rest) <= 1 else None


def choice(message: Message, count: int) -> int | None:
    """1-based pick, -1 for a number outside the list, None for no number."""
    return parse_choice(message.text, count)


def in_half(slot: Slot, half: HalfDay) -> bool:
    return slot.start < NOON if half is HalfDay.MORNING else slot.start >= NOON


def matching(slots: Sequence[Slot], half: HalfDay | None, at: time | None) -> list[Slot]:
    """The slots a half-day or a time names: the one containing ``at``, or those of the half."""
    if at is not None:
        return [s for s in slots if s.start <= at < s.end]
    if half is not None:
        return [s for s in slots if in_half(s, half)]
    return list(slots)


def slot_named(message: Message, offered: Sequence[Slot]) -> Slot | None | int:
    """The slot picked from ``offered`` by number or time; -1 for a number out of range."""
    number = choice(message, len(offered))
    if number is not None:
        return offered[number - 1] if number > 0 else -1
    half, at = parse_time_words(message.text)
    if at is None and half is None:
        return None
    found = matching(offered, half, at)
    return found[0] if len(found) == 1 else None


def day_named(message: Message, offered: Sequence[date]) -> date | None | int:
    number = choice(message, len(offered)) if offered else None
    if number is not None:
        return offered[number - 1] if number > 0 else -1
    spec = date_in(message)
    return spec.day if spec is not None else None
