"""居民身份证号码 and mainland mobile numbers: validate, normalise, mask.

Pure functions, no I/O. Bookings and tickets validate what a citizen types with these before
anything is stored, and every screen or message that shows a stored number shows it through
``mask_*`` so a full number never leaves the database in clear.
"""

from __future__ import annotations

import re
from datetime import date

# GB 11643-1999: weights 2^(17-i) mod 11 for the first 17 digits; ISO 7064 MOD 11-2.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

# GB/T 2260 province-level codes (71 台湾, 81 香港, 82 澳门, 83 港澳台居民居住证).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_MOBILE_NOISE = re.compile(r"[\s\-\u2010-\u2015\u3000()（）]")

# 复姓 kept whole when masking a name (张三 -> 张*, 欧阳娜娜 -> 欧阳**).
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 "
    "独孤 南宫 西门 呼延 澹台 公冶 太史 申屠 钟离 闻人 赫连 万俟 濮阳 淳于 单于 拓跋 "
    "百里 东郭 公羊 谷梁 司空 司寇 亓官 羊舌 微生 梁丘 左丘 东门 段干 巫马 仲孙 叔孙 第五".split()
)


def id_check_char(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def is_real_date(year: int, month: int, day: int) -> bool:
    """True when the date exists (no 2月30日); years outside 1900-2099 are not birth dates."""
    if not 1900 <= year <= 2099:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def birth_date_ok(digits: str) -> bool:
    """The birth date inside an 18- or 15-digit number is a real date."""
    if len(digits) == 18:
        return is_real_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    if len(digits) == 15:  # old form: YYMMDD, all born in the 1900s
        return is_real_date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    return False


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def is_valid_id_number(text: str) -> bool:
    """An 18-digit number with a right check digit and real birth date, or the old 15-digit form."""
    return normalize_id_number(text) is not None


def normalize_id_number(text: str) -> str | None:
    """The number without spaces and with an upper-case X, or ``None`` when it is not valid."""
    value = _compact(text)
    if _ID18.match(value):
        if value[:2] not in PROVINCE_CODES or not birth_date_ok(value):
            return None
        return value if id_check_char(value[:17]) == value[17] else None
    if _ID15.match(value):
        return value if value[:2] in PROVINCE_CODES and birth_date_ok(value) else None
    return None


def is_valid_mobile(text: str) -> bool:
    """A mainland mobile number (``1[3-9]`` + 9 digits); spaces, dashes, +86 and a leading 0
    tolerated."""
    return normalize_mobile(text) is not None


def normalize_mobile(text: str) -> str | None:
    """The 11 digits of a mainland mobile number, or ``None`` when it is not one."""
    value = _MOBILE_NOISE.sub("", text)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    elif value.startswith("0") and len(value) == 12:  # an old long-distance habit: 013800138000
        value = value[1:]
    return value if _MOBILE.match(value) else None


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(value: str) -> str:
    """``110***********123X``: the area's first 3 and the last 4 stay, enough to recognise it."""
    return _keep_ends(_compact(value), 3, 4)


def mask_mobile(value: str) -> str:
    """``138****8000``: the network prefix and the last 4 stay."""
    digits = normalize_mobile(value) or _MOBILE_NOISE.sub("", value)
    return _keep_ends(digits, 3, 4)


def mask_name(value: str) -> str:
    """``张*`` / ``欧阳**``: the surname stays (复姓 whole), every other character is a star."""
    name = value.strip()
    if len(name) <= 1:
        return "*" * len(name)
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + "*" * (len(name) - keep)
