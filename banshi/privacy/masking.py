"""Find and mask personal numbers in free text: the one masking function every path uses.

The tracker store, the log filter, survey free text and analytics tables all call
:func:`mask_text`, so "what counts as personal" is decided here once. Citizens type numbers
inside Chinese sentences without spaces ("我身份证110105194912310021丢了怎么补"), so a number
is recognised by its own shape, never by word boundaries: a candidate is a run of digits
(with the separators people type) that touches no ASCII letter or digit on either side.
That one rule keeps 实施编码 / 业务办理项编码 (letters mixed in), notice numbers such as
BS2026000123 and ticket numbers (PREFIX + digits) untouched; short service numbers (110,
12315, 95588), dates, times and money are too short or the wrong shape for any kind.

A mistyped ID number is still personal: 18 digits with a province code and a real birth date
are masked even when the check digit is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from banshi.privacy.idnumbers import (
    PROVINCE_CODES,
    birth_date_ok,
    id_check_char,
    mask_id_number,
    mask_mobile,
)
from banshi.text import to_halfwidth


class PersonalKind(str, Enum):
    """What a personal number is; decides how it is masked."""

    ID_NUMBER = "id_number"
    MOBILE = "mobile"
    LANDLINE = "landline"
    BANK_CARD = "bank_card"
    EMAIL = "email"


@dataclass(frozen=True)
class Found:
    """A personal number at ``text[start:end]``."""

    kind: PersonalKind
    start: int
    end: int


# Candidates never touch an ASCII letter or digit: digits inside longer codes are not numbers.
_B = r"(?<![A-Za-z0-9])"
_E = r"(?![A-Za-z0-9])"
_SEP = r"[ \-]"

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    + _E
)
_ID18 = re.compile(_B + rf"\d{{6}}{_SEP}?\d{{4}}{_SEP}?\d{{4}}{_SEP}?\d{{3}}[\dXx]" + _E)
_ID15 = re.compile(_B + r"\d{15}" + _E)
# Prefixes people type before a mobile: +86, 0086, 86, (+86), and an old habit, a lone 0.
_MOBILE = re.compile(
    r"(?<![A-Za-z0-9+])(?:(?:\+86|0086|86|[(（]\+?86[)）])[ \-]?|0)?"
    rf"1[3-9]\d{_SEP}?\d{{4}}{_SEP}?\d{{4}}" + _E
)
# 010 and 02x are 3 digits (北京, 上海, 广州 …); every other area code has 4 (0755, 0571).
_AREA = r"(?:010|02\d|0[3-9]\d{2})"
_EXT = r"(?:(?:-|转|分机|ext\.?|EXT\.?)\s?\d{1,6})?"
_LANDLINE = re.compile(
    _B
    + rf"(?P<head>{_AREA}[ \-]|[(（]{_AREA}[)）] ?)"
    + rf"(?P<local>[2-9]\d{{2,3}}{_SEP}?\d{{4}})(?P<ext>{_EXT})"
    + _E
)
_LANDLINE_PLAIN = re.compile(_B + rf"(?P<head>{_AREA})(?P<local>[2-9]\d{{6,7}})(?P<ext>)" + _E)
_CARD = re.compile(_B + r"(?:\d{13,19}|\d{4}(?:([ \-])\d{4}){2,3}(?:\1\d{1,3})?)" + _E)
_NOT_CARD_AFTER = re.compile(r"\s?(?:元|块|万|亿|%|％)")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch in "Xx").upper()


def _looks_like_id18(digits: str) -> bool:
    """Right check digit, or province code + real birth date (a typo is still personal)."""
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    if id_check_char(digits[:17]) == digits[17]:
        return True
    return digits[:2] in PROVINCE_CODES and birth_date_ok(digits)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check every bank card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_timestamp(digits: str) -> bool:
    """20261210093000: a YYYYMMDDhhmmss stamp is not a card even when Luhn happens to pass."""
    if len(digits) != 14:
        return False
    try:
        datetime.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


def _candidates(text: str) -> list[tuple[int, Found]]:
    """Every shape that passes its check, with a priority for equal spans (lower wins)."""
    found: list[tuple[int, Found]] = []

    def add(priority: int, kind: PersonalKind, m: re.Match[str]) -> None:
        found.append((priority, Found(kind, m.start(), m.end())))

    for m in _EMAIL.finditer(text):
        add(0, PersonalKind.EMAIL, m)
    for m in _ID18.finditer(text):
        if _looks_like_id18(_digits(m.group())):
            add(1, PersonalKind.ID_NUMBER, m)
    for m in _ID15.finditer(text):
        if m.group()[:2] in PROVINCE_CODES and birth_date_ok(m.group()):
            add(2, PersonalKind.ID_NUMBER, m)
    for m in _MOBILE.finditer(text):
        add(3, PersonalKind.MOBILE, m)
    for m in _LANDLINE.finditer(text):
        add(4, PersonalKind.LANDLINE, m)
    for m in _LANDLINE_PLAIN.finditer(text):
        add(5, PersonalKind.LANDLINE, m)
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if (
            13 <= len(digits) <= 19
            and luhn_ok(digits)
            and not _is_timestamp(digits)
            and not _NOT_CARD_AFTER.match(text, m.end())
        ):
            add(6, PersonalKind.BANK_CARD, m)
    return found


def find_personal_numbers(text: str) -> list[Found]:
    """Personal numbers in ``text``, left to right, never overlapping."""
    if not text or not any(ch.isdigit() or ch in "@＠" for ch in text):
        return []
    plain = to_halfwidth(text)  # one character for one: offsets stay valid for ``text``
    ranked = sorted(
        _candidates(plain), key=lambda pf: (pf[1].start, -(pf[1].end - pf[1].start), pf[0])
    )
    chosen: list[Found] = []
    end = -1
    for _priority, f in ranked:
        if f.start >= end:
            chosen.append(f)
            end = f.end
    return chosen


def _mask_card(value: str) -> str:
    return "**** **** **** " + _digits(value)[-4:]


def _mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_landline(value: str) -> str:
    """Area code and the last 2 digits of the local number stay; the extension goes."""
    m = _LANDLINE.fullmatch(value) or _LANDLINE_PLAIN.fullmatch(value)
    if m is None:
        return re.sub(r"\d", "*", value[:-2]) + value[-2:]
    local = m.group("local")
    masked_local = re.sub(r"\d", "*", local[:-2]) + local[-2:]
    ext = re.sub(r"\d", "*", m.group("ext") or "")
    return m.group("head") + masked_local + ext


_MASKERS: dict[PersonalKind, Callable[[str], str]] = {
    PersonalKind.ID_NUMBER: lambda v: mask_id_number(re.sub(r"[ \-]", "", v)),
    PersonalKind.MOBILE: mask_mobile,
    PersonalKind.LANDLINE: _mask_landline,
    PersonalKind.BANK_CARD: _mask_card,
    PersonalKind.EMAIL: _mask_email,
}


def mask_found(kind: PersonalKind, value: str) -> str:
    """The masked form of one personal number of ``kind``."""
    return _MASKERS[kind](value)


def mask_text(text: str) -> str:
    """``text`` with every personal number masked (ID 110***********123X, mobile 138****8000,
    card **** **** **** 1234, landline 010-******78, e-mail z***@qq.com); the rest unchanged."""
    found = find_personal_numbers(text)
    if not found:
        return text
    plain = to_halfwidth(text)
    parts: list[str] = []
    pos = 0
    for f in found:
        parts.append(text[pos : f.start])
        parts.append(mask_found(f.kind, plain[f.start : f.end]))
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def mask_data(
    value: Any, skip_keys: Collection[str] = (), keep: Callable[[str], bool] | None = None
) -> Any:
    """A copy of JSON-like ``value`` with :func:`mask_text` applied to every string in it.

    Dict values under ``skip_keys`` are copied unchanged (identifiers such as a message id
    that merely look like numbers); strings for which ``keep`` is true stay as they are
    (e.g. encrypted field tokens). Numbers, booleans and ``None`` are not text: unchanged.
    """
    if isinstance(value, str):
        return value if keep is not None and keep(value) else mask_text(value)
    if isinstance(value, dict):
        return {k: v if k in skip_keys else mask_data(v, skip_keys, keep) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_data(v, skip_keys, keep) for v in value]
    return value
