"""居民身份证号码 and mobile numbers: validation, normalisation, masks."""

from __future__ import annotations

import pytest

from banshi.privacy.idnumbers import (
    id_check_char,
    is_valid_id_number,
    is_valid_mobile,
    mask_id_number,
    mask_mobile,
    mask_name,
    normalize_id_number,
    normalize_mobile,
)


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",
        "11010519491231002x",
        " 110105 19491231 002X ",
        "440301199003071230",
        "310115198511204566",
        "51010720001229789X",
        "650102199901013459",
        "110105491231002",  # 15-digit old form, born 1949-12-31
    ],
)
def test_valid_id_numbers(value: str) -> None:
    assert is_valid_id_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "110105194912310021",  # wrong check digit
        "440301199003071231",  # wrong check digit
        "440301202013151239",  # right check digit, 13th month
        "110105190002290012",  # 1900 was not a leap year
        "991234199003071231",  # no such province
        "11010519491231002",  # 17 digits
        "1101051949123100X2",  # X not last
        "110105491331002",  # 15-digit with month 13
        "",
        "身份证",
    ],
)
def test_invalid_id_numbers(value: str) -> None:
    assert not is_valid_id_number(value)
    assert normalize_id_number(value) is None


def test_check_char_follows_gb11643() -> None:
    # The standard's own example: 11010519491231002X
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("44030119900307123") == "0"


def test_normalize_id_number() -> None:
    assert normalize_id_number("110105 19491231 002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("0086 199 1234 5678", "19912345678"),
        ("013800138000", "13800138000"),
    ],
)
def test_mobiles(value: str, expected: str) -> None:
    assert is_valid_mobile(value)
    assert normalize_mobile(value) == expected


@pytest.mark.parametrize(
    "value", ["12800138000", "1380013800", "138001380001", "010-62345678", "12345", "abc"]
)
def test_not_mobiles(value: str) -> None:
    assert not is_valid_mobile(value)
    assert normalize_mobile(value) is None


def test_masks() -> None:
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_id_number("110105491231002") == "110********1002"
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_mobile("+86 138-0013-8000") == "138****8000"
    assert mask_name("张三") == "张*"
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("欧阳") == "欧*"
    assert mask_name("王") == "*"
    assert mask_id_number("123") == "***"  # too short to keep anything
