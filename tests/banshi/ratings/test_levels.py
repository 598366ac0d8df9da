"""Reading a level by menu number, words or stars; aspects by number or words."""

from __future__ import annotations

import pytest

from banshi.ratings.levels import Indicator, Level, parse_indicators, parse_level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("1", Level.VERY_SATISFIED),
        ("5", Level.VERY_DISSATISFIED),  # the menu's 5, not five stars
        ("选4", Level.DISSATISFIED),
        ("五星", Level.VERY_SATISFIED),  # stars run the other way
        ("1颗星", Level.VERY_DISSATISFIED),
        ("非常不满意！", Level.VERY_DISSATISFIED),
        ("不太满意", Level.DISSATISFIED),
        ("满意", Level.SATISFIED),
        ("基本满意吧", Level.BASICALLY_SATISFIED),
        ("还行", Level.BASICALLY_SATISFIED),
        ("给个差评", Level.DISSATISFIED),
        ("很满意，谢谢", Level.VERY_SATISFIED),
    ],
)
def test_levels(text: str, level: Level) -> None:
    assert parse_level(text) is level


def test_not_a_level() -> None:
    assert parse_level("6") is None
    assert parse_level("我想问护照") is None


def test_labels_and_codes() -> None:
    assert [lv.label for lv in Level] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert Level.VERY_SATISFIED.code == 1 and Level.VERY_DISSATISFIED.code == 5
    assert [lv.is_bad for lv in Level] == [False, False, False, True, True]


def test_aspects() -> None:
    assert parse_indicators("1 4") == [Indicator.EFFICIENCY, Indicator.ATTITUDE]
    assert parse_indicators("效率太低，态度也不好") == [Indicator.EFFICIENCY, Indicator.ATTITUDE]
    assert parse_indicators("办事指南写得不准") == [Indicator.GUIDE_ACCURACY]
    assert parse_indicators("随便") == []
