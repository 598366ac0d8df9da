"""Grouping open answers on a small fixed set: the kinds come apart, with keywords and quotes."""

from __future__ import annotations

from collections import Counter

from banshi.surveys.grouping import SCATTERED, clean, group_answers, is_no_opinion

QUEUE = [
    "排队时间太长了，一上午就办了一件事",
    "排了两个多小时的队才轮到我",
    "人太多了 等号等到中午",
    "取号以后要等很久，前面还有五十多个人",
    "窗口太少，排队的人一大堆",
    "排隊排了兩個小時，太浪費時間了",
    "叫号太慢了，一个人办半天",
    "排队久，建议增加窗口",
    "等了好久才叫到我的号",
    "排队排到腿都酸了",
]
PARKING = [
    "停车太难了，大厅门口没车位",
    "开车去办事找不到地方停",
    "停车场太小，转了好几圈",
    "停车位太少",
    "停車很不方便",
    "大厅没有停车场",
    "车位紧张，经常停不下",
]
ONLINE = [
    "网上办不了，最后还得去现场",
    "网上申请一直提交失败",
    "app老是闪退，根本用不了",
    "小程序登录不上去",
    "人脸识别总是不通过",
    "网上系统太卡了",
]
NOTHING = ["没有", "挺好的", "无"]
FLAGGED = "排队排到想骂人，窗口的人都是傻逼"


def test_three_kinds_come_apart_with_keywords_quotes_and_items() -> None:
    texts = [*QUEUE, FLAGGED, *PARKING, *ONLINE, *NOTHING]
    kinds = ["queue"] * 11 + ["parking"] * 7 + ["online"] * 6 + ["none"] * 3
    flagged = [t == FLAGGED for t in texts]

    def resolve(text: str) -> str | None:
        return "11139900MB1A00010P3002011001001" if "停车" in text or "车位" in text else None

    grouping = group_answers(texts, flagged=flagged, resolve=resolve)
    assert sorted(grouping.no_opinion) == [24, 25, 26]
    found = [Counter(kinds[m] for m in g.members).most_common(1)[0] for g in grouping.groups]
    assert [kind for kind, _ in found] == ["queue", "online", "parking"]  # largest first
    purity = sum(n for _, n in found) / sum(g.size for g in grouping.groups)
    assert purity >= 0.9
    queue, online, parking = grouping.groups
    assert queue.size == 11 and queue.label == "排队、窗口"
    assert "排队" in queue.keywords and "停车" in parking.keywords
    assert len(queue.quotes) == 3 and FLAGGED not in queue.quotes
    assert all(q in QUEUE for q in queue.quotes)
    assert parking.items and parking.items[0][0] == "11139900MB1A00010P3002011001001"
    assert parking.items[0][1] >= 2 and queue.items == []
    assert "排队" in grouping.keywords


def test_answers_with_nothing_to_act_on() -> None:
    assert all(is_no_opinion(clean(t)) for t in ["没有", "无。", "都挺好", "暂时没有", "ok"])
    assert not is_no_opinion(clean("停车位太少"))


def test_few_answers_are_pooled_as_scattered() -> None:
    grouping = group_answers(["停车位太少", "排队太久"])
    assert [g.label for g in grouping.groups] == [SCATTERED]
    assert grouping.groups[0].size == 2
    assert group_answers([]).groups == []
