"""Whose business a request is (banshi/scope.py): a private party's goes elsewhere."""

from __future__ import annotations

import pytest

from banshi.scope import Referral, booked_elsewhere, referral_for


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("我要投诉外卖小哥送餐太慢", Referral.CONSUMER),
        ("网购的衣服质量有问题 商家不退货咋办", Referral.CONSUMER),
        ("淘寶買到假貨了，我要投訴", Referral.CONSUMER),
        ("快递丢了 快递公司不赔", Referral.CONSUMER),
        ("帮我给市长写封信 投诉小区物业乱收费", Referral.HOTLINE),
        ("投诉楼上半夜装修太吵", Referral.HOTLINE),
    ],
)
def test_a_private_party_is_referred_to_the_line_that_takes_it(text: str, wanted: Referral) -> None:
    assert referral_for(text) is wanted
    assert ("12315" in wanted.text) is (wanted is Referral.CONSUMER)
    assert "12345" in wanted.text


@pytest.mark.parametrize(
    "text",
    [
        "我要投诉窗口工作人员态度太差",
        "办执照时中介乱收费，窗口还推给中介",  # the public side named: the hall's business
        "建议社保大厅周末也开门",
        "我要投诉",  # no one named yet: the ticket's interview asks
        "排了三个小时队都没办上，我要投诉",
        # a department named beside a private party: the department's business
        "投诉城管不管小区门口乱摆摊",
        "房管局对物业乱收费不作为，我要投诉",
        "投诉住建局不管小区违建",
        "投诉街道不管小区垃圾",
        "他态度很差还跟我吵，我要投诉",
        "投诉老板拖欠工资三个月不给",  # wages: 劳动保障监察, not 12315
        "身份证过期了去补办被拒我要投诉",
    ],
)
def test_the_public_side_or_no_one_named_stays_a_ticket(text: str) -> None:
    assert referral_for(text) is None


def test_what_the_halls_do_not_book_is_booked_elsewhere() -> None:
    for text in ("帮我挂个专家号", "帮我订一张明天去北京的高铁票", "预约一下周六的餐厅"):
        assert booked_elsewhere(text), text
    for text in ("我想预约办身份证", "帮我约个周五上午", "预约明天去大厅办社保卡"):
        assert not booked_elsewhere(text), text
