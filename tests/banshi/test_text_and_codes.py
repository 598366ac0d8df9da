from __future__ import annotations

from banshi.codes import check_catalog_code, check_handle_item_code, check_task_code
from banshi.text import clean_line, clean_text, to_halfwidth

CODE = "11139900MB1A00010P3002011001003"


def test_clean_text_strips_html_entities_and_fullwidth() -> None:
    raw = "<p>１．申请人&nbsp;到场；<br/>\n２．ＡＢＣ</p>　"
    assert clean_text(raw) == "1.申请人 到场；\n2.ABC"
    assert clean_line("\u3000社会保障卡挂失  ") == "社会保障卡挂失"
    assert clean_text(None) == ""


def test_chinese_punctuation_is_kept() -> None:
    assert to_halfwidth("（一）材料：身份证，户口簿。") == "（一）材料：身份证，户口簿。"


def test_code_structure() -> None:
    assert check_catalog_code("002011001003", "20") is None
    assert check_catalog_code("0020110010", "20")
    assert check_catalog_code("002011001003", "01")  # 事项类型 digits disagree
    assert check_task_code(CODE, "002011001003", "11139900MB1A00010P", "3") is None
    assert check_task_code(CODE[:-1], "002011001003", "", "")
    assert check_task_code(CODE, "002011001004", "", "")
    assert check_task_code(CODE, "002011001003", "11139900MB1A00010X", "")
    assert check_task_code(CODE, "002011001003", "", "4")
    assert check_handle_item_code(CODE + "01", CODE) is None
    assert check_handle_item_code(CODE + "1", CODE)
    assert check_handle_item_code(CODE[:-1] + "401", CODE)
