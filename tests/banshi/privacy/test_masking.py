"""mask_text on real-shaped numbers typed inside Chinese sentences, and the near-misses."""

from __future__ import annotations

import pytest

from banshi.privacy.masking import (
    Found,
    PersonalKind,
    find_personal_numbers,
    luhn_ok,
    mask_data,
    mask_text,
)

MASKED = [
    # 居民身份证: valid check digits, typos (area + date still personal), spaces, x, old form
    ("我身份证110105194912310021丢了怎么补", "我身份证110***********0021丢了怎么补"),
    ("身份证号11010519491231002X", "身份证号110***********002X"),
    ("身份证号11010519491231002x请核对", "身份证号110***********002X请核对"),
    ("号码是440301199003071230。", "号码是440***********1230。"),
    ("440301199003071231是我的身份证", "440***********1231是我的身份证"),
    ("帮我查310115198511204566的预约", "帮我查310***********4566的预约"),
    ("51010720001229789X", "510***********789X"),
    ("身份证 110105 19491231 002X", "身份证 110***********002X"),
    ("身份证320583-19760808-5677办居住证", "身份证320***********5677办居住证"),
    ("老身份证110105491231002还能用吗", "老身份证110********1002还能用吗"),
    ("身份证１１０１０５１９４９１２３１００２Ｘ", "身份证110***********002X"),
    # mobiles
    ("我手机13800138000", "我手机138****8000"),
    ("电话：138 0013 8000，谢谢", "电话：138****8000，谢谢"),
    ("回电138-0013-8000", "回电138****8000"),
    ("+86 138 0013 8000", "138****8000"),
    ("+8613912345678联系我", "139****5678联系我"),
    ("联系人张三15912345678明天到", "联系人张三159****5678明天到"),
    ("(+86)18612345678", "186****5678"),
    ("8619912345678", "199****5678"),
    ("手机013800138000", "手机138****8000"),
    ("手机号17712345678和13900139000都行", "手机号177****5678和139****9000都行"),
    # landlines
    ("座机010-62345678", "座机010-******78"),
    ("0755-26543210转8001找李科长", "0755-******10转****找李科长"),
    ("(021)62345678", "(021)******78"),
    ("（0571）8765432", "（0571）*****32"),
    ("办公电话020 83456789", "办公电话020 ******89"),
    ("打01062345678", "打010******78"),
    ("010-62345678-123", "010-******78-***"),
    # bank cards (Luhn), contiguous or in groups of 4
    ("卡号6222021234567890128", "卡号**** **** **** 0128"),
    ("6217 0012 3456 7893", "**** **** **** 7893"),
    ("退到6222600110012345679这张卡", "退到**** **** **** 5679这张卡"),
    ("4111-1111-1111-1111", "**** **** **** 1111"),
    # e-mail
    ("邮箱zhangsan@qq.com谢谢", "邮箱z***@qq.com谢谢"),
    ("发到 li.si+gov@example.com.cn 就行", "发到 l***@example.com.cn 就行"),
    (
        "我叫张三，身份证11010519491231002X，手机13800138000，邮箱a@b.cn",
        "我叫张三，身份证110***********002X，手机138****8000，邮箱a***@b.cn",
    ),
]

UNCHANGED = [
    "打12345热线",
    "报警110，消费投诉12315，工行95588",
    "实施编码11139900MB1A00010P3002011001001",
    "业务办理项编码11139900MB1A00010P300201100100101",
    "全数字的实施编码1144030000754283702440101001000也不是号码",
    "告知单BS2026000123",
    "bs2026000123打不开",
    "2026-12-10上午9:30到10:30",
    "20261210",
    "2026年12月10日下午14:30",
    "费用40元",
    "工本费1234567890128元",
    "价格12345.67元",
    "工单号GD20261207000123",
    "预约号YY202612070001",
    "基本编码002011001001",
    "2026年办了",
    "第3窗口，排队号A012",
    "400-810-8888",
    "2026-12-10 09:00-10:00",
    "时间戳20261210093005",
    "订单ID8613800138000X9",
    "电话号码不知道",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masks_personal_numbers(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_near_misses_alone(text: str) -> None:
    assert find_personal_numbers(text) == []
    assert mask_text(text) == text


def test_the_timestamp_and_money_cases_would_pass_luhn() -> None:
    """Otherwise the timestamp and money near-misses above prove nothing."""
    assert luhn_ok("20261210093005")
    assert luhn_ok("1234567890128")
    assert mask_text("卡号1234567890128") == "卡号**** **** **** 0128"


def test_eighteen_digits_without_an_id_shape_are_not_an_id() -> None:
    # "99" is no province and the check digit is wrong: not an ID number (nor a card: Luhn fails)
    assert not luhn_ok("991234199003071231")
    assert find_personal_numbers("编号991234199003071231") == []


def test_kinds_and_offsets() -> None:
    text = "身份证11010519491231002X电话010-62345678卡4111111111111111邮箱a@b.cn手机13800138000"
    found = find_personal_numbers(text)
    assert [f.kind for f in found] == [
        PersonalKind.ID_NUMBER,
        PersonalKind.LANDLINE,
        PersonalKind.BANK_CARD,
        PersonalKind.EMAIL,
        PersonalKind.MOBILE,
    ]
    assert found[0] == Found(PersonalKind.ID_NUMBER, 3, 21)
    assert text[found[1].start : found[1].end] == "010-62345678"
    assert text[found[4].start : found[4].end] == "13800138000"


def test_mask_data_walks_json_and_skips_keys() -> None:
    data = {
        "text": "手机13800138000",
        "message_id": "24413800138000",
        "entities": [{"entity": "phone", "value": "13800138000", "start": 2}],
        "token": "g1.13800138000",
        "n": 13800138000,
    }
    out = mask_data(data, skip_keys={"message_id"}, keep=lambda s: s.startswith("g1."))
    assert out == {
        "text": "手机138****8000",
        "message_id": "24413800138000",
        "entities": [{"entity": "phone", "value": "138****8000", "start": 2}],
        "token": "g1.13800138000",
        "n": 13800138000,
    }
    assert data["text"] == "手机13800138000"  # a copy: the input is untouched
