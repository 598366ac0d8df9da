"""Reading a citizen's reply to one survey question: numbers, words, ratings, free text.

Choices come as numbers ("2", "1 3", "1、3", "一和三", "第二个", "13" for 1 and 3 when the
list is shorter than ten) or as words that name an option ("排队时间长和停车"). A reply that is
plainly an answer but wrong (a number out of range, four picks where three is the most) is
:class:`Refused` with the reason to tell the citizen; a reply that answers nothing
(:class:`Unread`) may be something else altogether, such as a guide question, and the desk
decides whether it is its turn at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from banshi.choices import CN_DIGITS as _CN_DIGITS
from banshi.surveys import texts
from banshi.surveys.definition import OTHER_KEY, Option, Question, QuestionType
from banshi.text import normalize_message

_SKIP = re.compile(
    r"(跳过|略过|不答|不回答|不想答|不想回答|不想说|没有想法|下一题|下一个|pass|skip)[吧了。.!！]*"
)
# Between the parts of a multiple answer: 1、3 / 1,3 / 一和三 / 排队还有停车
_SPLIT = re.compile(r"(?:[\s,，、;；/+&]|和|与|跟|以及|还有|及|或|(?<=\d)\.(?=\d))+")
_GAP = "\x00"
_DIGITS = re.compile(r"[1-9]{2,}")
_FILLER_HEAD = re.compile(r"^(我|我们)?(选|选择|要|就|是|觉得是|觉得|认为)+")
_FILLER_TAIL = re.compile(r"(吧|啊|呀|哈|了|的|呢|这几个|这几项|这两个|这两项|这三个|都是|都有)+$")
_ORDINAL = re.compile(r"^第?([0-9]{1,2}|[一二两三四五六七八九十]{1,2})(个|项|条|号|名|位)?$")
_OTHER = re.compile(r"^其他|^其它|^别的")
_RATING_WORDS = {
    "非常满意": 5,
    "十分满意": 5,
    "很满意": 5,
    "满分": 5,
    "非常好": 5,
    "很好": 5,
    "满意": 4,
    "比较满意": 4,
    "还不错": 4,
    "不错": 4,
    "一般": 3,
    "还行": 3,
    "凑合": 3,
    "不太满意": 2,
    "不满意": 2,
    "比较差": 2,
    "很差": 1,
    "非常不满意": 1,
    "很不满意": 1,
    "非常差": 1,
    "太差了": 1,
}
_RATING = re.compile(
    r"^(?:打|给|评)?([0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九十])\s*(?:分|星|颗星)?$"
)
MIN_TEXT_CHARS = 2
MAX_TEXT_CHARS = 500


@dataclass(frozen=True)
class Picked:
    """Option keys in the order given (the ranking's order); ``other`` with 其他's words."""

    keys: tuple[str, ...]
    other: str | None = None  # the words after 其他, when given in the same message

    @property
    def wants_other_text(self) -> bool:
        return OTHER_KEY in self.keys and not self.other


@dataclass(frozen=True)
class Rated:
    value: int


@dataclass(frozen=True)
class Written:
    text: str  # as typed; the desk masks it before storing


@dataclass(frozen=True)
class Skipped:
    pass


@dataclass(frozen=True)
class Refused:
    """An answer, but not one the question takes: ``reason`` says why, in the citizen's words."""

    reason: str


@dataclass(frozen=True)
class Unread:
    """Nothing here answers the question."""

    reason: str


Reading = Picked | Rated | Written | Skipped | Refused | Unread


def is_skip(text: str) -> bool:
    return bool(_SKIP.fullmatch(normalize_message(text).lower()))


def read_answer(question: Question, text: str) -> Reading:
    """What ``text`` says as an answer to ``question``."""
    plain = normalize_message(text)
    if is_skip(plain):
        return Skipped() if question.optional else Refused(texts.NOT_SKIPPABLE)
    if question.type is QuestionType.TEXT:
        return read_text(plain, text)
    if question.type is QuestionType.RATING:
        return read_rating(plain, text)
    return read_choices(question, plain)


def read_text(plain: str, raw: str) -> Written | Refused | Unread:
    content = re.sub(r"[\s\W_]+", "", plain)
    if len(content) < MIN_TEXT_CHARS:
        return Unread(texts.TEXT_TOO_SHORT)
    if len(raw) > MAX_TEXT_CHARS:
        return Refused(texts.TEXT_TOO_LONG.format(limit=MAX_TEXT_CHARS))
    return Written(raw.strip())


def read_rating(plain: str, raw: str = "") -> Reading:
    stars = raw.count("★") + raw.count("⭐")
    if stars and not re.sub(r"[★⭐☆\ufe0f\s]", "", raw):
        return Rated(stars) if 1 <= stars <= 5 else Refused(texts.RATING_RANGE)
    t = re.sub(r"(吧|啊|呀|的|哈|[\s。.!！~])+$", "", plain).strip()
    t = re.sub(r"^(我)?(打|给|评)?", "", t) if not t.startswith("打分") else t
    if not t:
        return Unread(texts.RATING_UNREAD)
    if t in _RATING_WORDS:
        return Rated(_RATING_WORDS[t])
    match = _RATING.match(t)
    if not match:
        return Unread(texts.RATING_UNREAD)
    token = match.group(1)
    if token in _CN_DIGITS or token == "十":
        value = _CN_DIGITS.get(token, 10)
    elif "." in token:
        return Refused(texts.RATING_WHOLE)
    else:
        value = int(token)
    return Rated(value) if 1 <= value <= 5 else Refused(texts.RATING_RANGE)


def _number(token: str) -> int | None:
    match = _ORDINAL.match(token)
    if not match:
        return None
    value = match.group(1)
    if value.isdigit():
        return int(value)
    if value == "十":
        return 10
    if len(value) == 2 and value[0] == "十":
        return 10 + _CN_DIGITS.get(value[1], 0)
    if len(value) == 2 and value[1] == "十":
        return _CN_DIGITS.get(value[0], 0) * 10
    return _CN_DIGITS.get(value) if len(value) == 1 else None


def _common(a: str, b: str) -> int:
    """Length of the longest common substring (short strings: quadratic is fine)."""
    best = 0
    for i in range(len(a)):
        for j in range(len(b)):
            k = 0
            while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                k += 1
            best = max(best, k)
    return best


def _by_words(part: str, options: tuple[Option, ...]) -> Option | None:
    """The one option ``part`` names: contained either way, else the clearly longest overlap."""
    if not part:
        return None
    for option in options:
        if part == option.label:
            return option
    inside = [o for o in options if o.label in part or (len(part) >= 2 and part in o.label)]
    if len(inside) == 1:
        return inside[0]
    scored = sorted(((_common(part, o.label), o) for o in options), key=lambda s: -s[0])
    if scored and scored[0][0] >= 2 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    return None


def _strip(part: str) -> str:
    return _FILLER_TAIL.sub("", _FILLER_HEAD.sub("", part))


def _parts(text: str, options: tuple[Option, ...]) -> list[tuple[int, str | Option]]:
    """The reply cut into (position, option named in full | remaining word) in typed order.

    Option labels are found first, longest first, so a label holding 和 or 有 stays whole;
    what is left is cut at the separators.
    """
    found: list[tuple[int, str | Option]] = []
    rest = text
    for option in sorted(options, key=lambda o: -len(o.label)):
        at = rest.find(option.label)
        while option.label and at >= 0:
            found.append((at, option))
            rest = rest[:at] + _GAP * len(option.label) + rest[at + len(option.label) :]
            at = rest.find(option.label)
    rest = _SPLIT.sub(lambda m: _GAP * len(m.group()), rest)
    for match in re.finditer(f"[^{_GAP}]+", rest):
        word = _strip(match.group())
        if word:
            found.append((match.start(), word))
    return sorted(found, key=lambda f: f[0])


def read_choices(question: Question, plain: str) -> Reading:
    options = question.choices
    count = len(options)
    t = plain.strip().rstrip("。.!！~")
    other_text = None
    split = re.match(r"^(.*?)(?:其他|其它)[:：,，\s]*(.+)$", t) if question.other else None
    if split and not _by_words(_strip(split.group(2)), question.options):
        t, other_text = split.group(1) + OTHER_KEY, split.group(2).strip()
    parts = _parts(t, options)
    if not parts:
        return Unread(texts.CHOICE_UNREAD)
    # "13" or "312": one digit per option when the list is shorter than ten
    single = parts[0][1] if len(parts) == 1 else None
    if isinstance(single, str) and question.most > 1 and count < 10 and _DIGITS.fullmatch(single):
        parts = list(enumerate(single))
    keys: list[str] = []
    for _, part in parts:
        if isinstance(part, Option):
            option: Option | None = part
        else:
            number = _number(part)
            if number is not None:
                if not 1 <= number <= count:
                    return Refused(texts.OUT_OF_RANGE.format(number=number, count=count))
                option = options[number - 1]
            elif question.other and _OTHER.match(part):
                option = options[-1]
            else:
                option = _by_words(part, options)
        if option is None:
            return Unread(texts.CHOICE_UNREAD)
        if option.key in keys:
            if question.type is QuestionType.RANKING:
                return Refused(texts.RANK_TWICE)
            continue
        keys.append(option.key)
    if len(keys) > question.most:
        if question.most == 1:
            return Refused(texts.ONLY_ONE)
        return Refused(texts.TOO_MANY.format(most=question.most))
    return Picked(tuple(keys), other_text)
