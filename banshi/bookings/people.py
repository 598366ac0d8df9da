"""The person a booking is for: checking what the citizen typed, sealing it for storage.

Name, mobile and ID number are checked here (the ID's check digit by
:mod:`banshi.privacy.idnumbers`), stored only encrypted, shown only masked. The ID number's
blind index carries the per-person limits and the no-show rule without the number itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from banshi.privacy.crypto import FieldCipher
from banshi.privacy.idnumbers import (
    mask_id_number,
    mask_mobile,
    mask_name,
    normalize_id_number,
    normalize_mobile,
)

ID_INDEX_PURPOSE = "booking.id_number"

_CHINESE_NAME = re.compile(r"^[\u3400-\u9fff]{1,6}(?:·[\u3400-\u9fff]{1,10}){0,3}$")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]{1,48}[A-Za-z.]$")
_NAME_DOTS = re.compile(r"[•・．.·]")
_NAME_PREFIX = re.compile(r"^(?:我(?:的名字)?(?:叫|是)|姓名[是为:：]?|名字[是叫:：]?)")


class NameProblem(Enum):
    EMPTY = "empty"
    NOT_A_NAME = "not_a_name"  # digits, punctuation or a sentence
    TOO_SHORT = "too_short"


def read_name(text: str) -> str | NameProblem:
    """The name as typed ("我叫张三" → 张三), or what is wrong with it."""
    value = _NAME_PREFIX.sub("", text.strip()).strip(" 。，,!！")
    if not value:
        return NameProblem.EMPTY
    if re.fullmatch(r"[A-Za-z .'\-]+", value):
        return value if _LATIN_NAME.match(value) else NameProblem.NOT_A_NAME
    value = _NAME_DOTS.sub("·", value.replace(" ", ""))
    if not _CHINESE_NAME.match(value):
        return NameProblem.NOT_A_NAME
    return value if len(value) >= 2 else NameProblem.TOO_SHORT


def read_mobile(text: str) -> str | None:
    return normalize_mobile(text.strip())


class IdProblem(Enum):
    LENGTH = "length"  # not 18 characters (or the old 15 digits)
    CHECK_DIGIT = "check_digit"  # 18 characters but the check digit or birth date is wrong


def read_id_number(text: str) -> str | IdProblem:
    value = re.sub(r"\s+", "", text.strip()).upper().replace("Ｘ", "X")
    number = normalize_id_number(value)
    if number is not None:
        return number
    if re.fullmatch(r"\d{17}[\dX]", value):
        return IdProblem.CHECK_DIGIT
    return IdProblem.LENGTH


@dataclass(frozen=True)
class Applicant:
    """Who comes to the window (checked values), and the other party where both must come."""

    name: str
    mobile: str
    id_number: str
    companion_name: str | None = None
    companion_id: str | None = None

    @property
    def ids(self) -> list[str]:
        return [i for i in (self.id_number, self.companion_id) if i]


@dataclass(frozen=True)
class Sealed:
    """An applicant as stored: ciphertexts, masked copies and the ID's blind index."""

    name_enc: str
    mobile_enc: str
    id_enc: str
    name_masked: str
    mobile_masked: str
    id_masked: str
    id_index: str
    companion_name_enc: str | None
    companion_id_enc: str | None
    companion_masked: str
    indexes: tuple[str, ...]  # the blind index of every ID on the booking


def id_index(cipher: FieldCipher, id_number: str) -> str:
    return cipher.blind_index(id_number, ID_INDEX_PURPOSE)


def seal(cipher: FieldCipher, applicant: Applicant) -> Sealed:
    companion = ""
    if applicant.companion_name and applicant.companion_id:
        companion = (
            f"{mask_name(applicant.companion_name)} {mask_id_number(applicant.companion_id)}"
        )
    return Sealed(
        name_enc=cipher.encrypt(applicant.name),
        mobile_enc=cipher.encrypt(applicant.mobile),
        id_enc=cipher.encrypt(applicant.id_number),
        name_masked=mask_name(applicant.name),
        mobile_masked=mask_mobile(applicant.mobile),
        id_masked=mask_id_number(applicant.id_number),
        id_index=id_index(cipher, applicant.id_number),
        companion_name_enc=cipher.encrypt(applicant.companion_name)
        if applicant.companion_name
        else None,
        companion_id_enc=cipher.encrypt(applicant.companion_id) if applicant.companion_id else None,
        companion_masked=companion,
        indexes=tuple(id_index(cipher, i) for i in applicant.ids),
    )
