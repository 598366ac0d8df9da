"""The trained NLU model on the questions it exists for (loaded once per session)."""

from __future__ import annotations

from typing import Any

import pytest

from banshi.text import normalize_message

pytestmark = pytest.mark.model


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("身份证丢了咋补办要带啥", "ask_materials"),
        ("今天天气怎么样", "out_of_scope"),
        ("那要收费吗", "ask_fees"),
        ("二手房过户在哪办", "ask_place_hours"),
        ("结婚登记要多久", "ask_time_limit"),
        ("第二个", "choose_option"),
        ("2", "choose_option"),
        ("三", "choose_option"),  # DIET alone took a bare 三 for affirm
        ("就第一个吧", "choose_option"),
        ("你好", "greet"),
        ("帮我预约明天办社保卡", "book_appointment"),
    ],
)
def test_intent(parse: Any, text: str, intent: str) -> None:
    result = parse(text)
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]


def test_item_entity_is_the_item_phrase(parse: Any) -> None:
    items = [e["value"] for e in parse("二手房过户在哪办")["entities"] if e["entity"] == "item"]
    assert items and items[0] == "二手房过户"


def test_traditional_input_is_understood_after_normalisation(parse: Any) -> None:
    traditional = "身份證丟了咋補辦要帶啥"
    assert normalize_message(traditional) == "身份证丢了咋补办要带啥"
    simplified, converted = parse("身份证丢了咋补办要带啥"), parse(traditional)
    assert converted["intent"]["name"] == "ask_materials"
    assert converted["entities"] == simplified["entities"]


def test_the_model_itself_normalises_raw_text(raw_parse: Any) -> None:
    """Whatever the channel, the pipeline's first component converts the text."""
    result = raw_parse("身份證丟了咋補辦要帶啥😀")
    assert result["text"] == "身份证丢了咋补办要带啥"
    assert result["intent"]["name"] == "ask_materials"
