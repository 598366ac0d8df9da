"""The guide answers a citizen reads, written from the catalog fields as a hall clerk would.

Every answer opens with the item's formal name (so the citizen sees at once whether they
were understood) and ends with the date the information was last updated. The text of guide
answers lives here and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from banshi.asks import Ask
from banshi.catalog import Place
from banshi.hours import today_text, weekly_hours_text
from banshi.models import STATE_ACTIVE, STATE_CANCELLED, Item, Material
from banshi.text import split_steps


def _lines(text: str) -> str:
    return "\n".join(split_steps(text))


def header(item: Item) -> str:
    if item.state == STATE_CANCELLED:
        return f"【{item.name}（已取消）】"
    if item.state != STATE_ACTIVE:
        return f"【{item.name}（暂停办理）】"
    return f"【{item.name}】"


def footer(item: Item) -> str:
    updated = (item.update_date or "")[:10]
    return f"（信息更新于 {updated}，以窗口最新要求为准）" if updated else ""


def state_notice(item: Item) -> str | None:
    """A plain statement when the item is not open: never answer it as if it were."""
    if item.state == STATE_ACTIVE:
        return None
    phone = f"如有疑问请咨询 {item.consult_phone}。" if item.consult_phone else ""
    if item.state == STATE_CANCELLED:
        return f"{header(item)}该事项已取消，目前不再受理。{phone}"
    return (
        f"{header(item)}该事项目前暂停办理，暂不受理申请，恢复办理以正式通知为准。{phone}"
        "以下办事指南信息仅供参考。"
    )


def _material_line(m: Material) -> str:
    details = []
    counts = []
    if m.original_num:
        counts.append(f"原件{m.original_num}份")
    if m.copies_num:
        counts.append(f"复印件{m.copies_num}份")
    if counts:
        details.append("，".join(counts))
    elif m.material_type:
        details.append(m.material_type)
    if m.material_format and m.material_format != "纸质":
        details.append(m.material_format)
    if m.need == "容缺后补":
        details.append("可容缺后补")
    elif m.need == "非必要":
        details.append("非必需")
    line = m.name + (f"（{'；'.join(details)}）" if details else "")
    if m.source_type == "政府部门核发" and m.source_explain:
        line += f"；{m.source_explain}"
    return line


def materials(item: Item, place: Place, today: date) -> str:
    if not item.materials:
        return (
            f"{header(item)}办事指南未列出申请材料，请先电话咨询 {item.consult_phone or '窗口'}。"
        )
    always = [m for m in item.materials if not m.handle_case]
    cases: dict[str, list[Material]] = {}
    for m in item.materials:
        if m.handle_case:
            cases.setdefault(m.handle_case, []).append(m)
    lines = [f"{header(item)}需要准备的材料："]
    lines += [f"{i}. {_material_line(m)}" for i, m in enumerate(always, 1)]
    n = len(always)
    for case, items in cases.items():
        lines.append(f"如属「{case}」，还需：")
        for m in items:
            n += 1
            lines.append(f"{n}. {_material_line(m)}")
    if item.situations:
        lines.append("不同情形所需材料不同，回复「告知单」可按您的情形生成一次性告知单。")
    return "\n".join(lines)


def _published(item: Item, text: str, label: str) -> str:
    """A text field answered as the catalog publishes it, or said to be missing."""
    if not text:
        return f"{header(item)}办事指南未列出{label}，请咨询 {item.consult_phone or '窗口'}。"
    return f"{header(item)}{label}：\n{_lines(text)}"


def conditions(item: Item, place: Place, today: date) -> str:
    """Who may apply: the 受理条件 as published, introduced by what decides it."""
    steps = split_steps(item.accept_condition)
    if not steps:
        return _published(item, item.accept_condition, "受理条件")
    lines = [f"{header(item)}能不能办，要看是否符合以下受理条件：", *steps]
    if len(item.situations) > 1:
        names = "、".join(s.name for s in item.situations)
        lines.append(f"办理情形分为：{names}，各情形的条件和材料有所不同。")
    who = item.consult_phone or "12345 政务服务便民热线"
    lines.append(f"拿不准自己是否符合的，可以先电话咨询 {who}。")
    return "\n".join(lines)


_BIGRAM_SKIP = set("的了吗呢吧啊么不是有在我你他她它这那要能可以办")
# Words every condition and every question has: they tell no clause from another.
_GENERIC_BIGRAMS = {"申请", "办理", "需要", "能否", "是否", "哪些", "什么", "人员", "或者", "可以"}


def _bigrams(text: str) -> set[str]:
    chars = [ch for ch in text if "\u4e00" <= ch <= "\u9fff" or ch.isdigit()]
    pairs = {a + b for a, b in zip(chars, chars[1:], strict=False) if not {a, b} <= _BIGRAM_SKIP}
    return pairs - _GENERIC_BIGRAMS


def deciding_condition(item: Item, question: str) -> str | None:
    """The one published condition the question is about ("外地人能办吗" → the 户籍 clause),
    when one shares clearly more words with it than the others do."""
    steps = split_steps(item.accept_condition)
    if len(steps) < 2:  # unnumbered: its sentences
        steps = [p for p in re.split(r"[；;。]", item.accept_condition) if p.strip()]
    if len(steps) < 2:
        return None
    asked = _bigrams(question) - _bigrams(item.name)
    overlaps = [len(asked & _bigrams(step)) for step in steps]
    best = max(overlaps)
    if best < 1 or overlaps.count(best) > 1:
        return None
    return f"与您问的情况关系最大的是这一条：{steps[overlaps.index(best)]}"


def process(item: Item, place: Place, today: date) -> str:
    return _published(item, item.handle_flow, "办理流程")


def _days(number: int | None, unit: str) -> str | None:
    if number is None:
        return None
    if number == 0:
        return "即办（材料齐全、符合条件的当场办结）"
    return f"{number}个{unit or '工作日'}"


def time_limit(item: Item, place: Place, today: date) -> str:
    legal = _days(item.anticipate_day, item.anticipate_type)
    promise = _days(item.promise_day, item.promise_type)
    lines = [f"{header(item)}办理时限："]
    if promise:
        lines.append(f"承诺办结时限：{promise}")
    if legal:
        lines.append(f"法定办结时限：{legal}")
    if not (promise or legal):
        lines.append(f"办事指南未列出办理时限，请咨询 {item.consult_phone or '窗口'}。")
    elif "工作日" in (item.promise_type + item.anticipate_type):
        lines.append("工作日不含法定节假日和周末，从受理之日起计算。")
    return "\n".join(lines)


def fees(item: Item, place: Place, today: date) -> str:
    if item.is_fee != "1":
        return f"{header(item)}不收费。"
    lines = [f"{header(item)}收费标准："]
    for charge in item.charges:
        line = f"· {charge.name}：{charge.standard}" if charge.name else f"· {charge.standard}"
        if charge.by_law:
            line += f"\n  依据：{charge.by_law}"
        if charge.desc_explain:
            line += f"\n  减免：{charge.desc_explain}"
        lines.append(line)
    if not item.charges:
        lines.append(f"收费，具体标准请咨询 {item.consult_phone or '窗口'}。")
    return "\n".join(lines)


def place_hours(item: Item, place: Place, today: date) -> str:
    lines = [f"{header(item)}办理地点和时间："]
    hall = place.hall
    where = hall.name if hall else item.center_name
    address = (hall.address if hall else "") or item.transact_addr
    if where:
        lines.append(f"地点：{where}" + (f"（{address}）" if address and address != where else ""))
    elif address:
        lines.append(f"地点：{address}")
    if place.window:
        lines.append(f"窗口：{place.window.window_no} {place.window.name}")
    if hall:
        lines.append(f"开放时间：{weekly_hours_text(hall)}")
        lines.append(today_text(hall, today))
    elif item.transact_time:
        lines.append(f"办理时间：{item.transact_time}")
    if not (where or address or item.transact_time):
        lines.append(f"办事指南未列出办理地点，请咨询 {item.consult_phone or '窗口'}。")
    if item.is_schedule == "1":
        lines.append("支持预约办理" + (f"：{item.schedule_rule}" if item.schedule_rule else "。"))
    return "\n".join(lines)


def legal_basis(item: Item, place: Place, today: date) -> str:
    return _published(item, item.by_law, "设定依据")


def online(item: Item, place: Place, today: date) -> str:
    if item.is_online == "1":
        url = f"：{item.online_url}" if item.online_url else "。"
        return f"{header(item)}可以网上办理{url}"
    return f"{header(item)}暂不支持网上办理，需要到现场办理。"


def trips(item: Item, place: Place, today: date) -> str:
    n = item.limit_scene_num
    if n is None:
        return f"{header(item)}办事指南未列出到现场次数，请咨询 {item.consult_phone or '窗口'}。"
    if n == 0:
        return f"{header(item)}全程网上办理，不用跑现场（0次）。"
    return f"{header(item)}材料齐全的情况下，最多跑{n}次现场。"


def contact(item: Item, place: Place, today: date) -> str:
    lines = [f"{header(item)}"]
    if item.consult_phone:
        lines.append(f"咨询电话：{item.consult_phone}")
    if item.complain_phone:
        lines.append(f"监督投诉电话：{item.complain_phone}")
    if len(lines) == 1:
        lines.append("办事指南未列出联系电话，可拨打 12345 政务服务便民热线。")
    return "\n".join(lines)


# The aspects offered under the overview card, in this order: "回复序号" picks one.
MENU: tuple[Ask, ...] = (
    Ask.MATERIALS,
    Ask.CONDITIONS,
    Ask.PROCESS,
    Ask.TIME_LIMIT,
    Ask.FEES,
    Ask.PLACE_HOURS,
    Ask.ONLINE,
    Ask.TRIPS,
    Ask.CONTACT,
    Ask.LEGAL_BASIS,
)
_WHO_CHARS = 60  # the first condition, cut to one line


def _first_condition(item: Item) -> str | None:
    steps = split_steps(item.accept_condition)
    if not steps:
        return None
    first = re.sub(r"^[（(]?[0-9一二三四五六七八九十]+[)）.、．]\s*", "", steps[0])
    first = re.split(r"[；;。]", first)[0]
    return first if len(first) <= _WHO_CHARS else first[: _WHO_CHARS - 1] + "…"


def overview(item: Item, place: Place, today: date) -> str:
    """The item on one card — what it is, who may apply, how many materials, where, how
    long, what it costs — and the aspects as a numbered menu, for a question that names the
    item but not what it wants to know."""
    lines = [header(item)]
    what = f"由{item.dept_name}办理" if item.dept_name else ""
    if item.result_name:
        what += f"{'，' if what else ''}办结后领取：{item.result_name}"
    if what:
        lines.append(what + "。")
    who = _first_condition(item)
    if who:
        lines.append(f"谁可以办：{who}（详见“办理条件”）")
    if item.materials:
        always = sum(1 for m in item.materials if not m.handle_case)
        cases = len(item.materials) - always
        lines.append(f"材料：{always}项" + (f"，另有{cases}项视情形提供" if cases else ""))
    where = place.hall.name if place.hall else item.center_name or item.transact_addr
    if where:
        lines.append(f"地点：{where}")
    promise = _days(item.promise_day, item.promise_type)
    if promise:
        lines.append(f"时限：{promise}")
    lines.append("收费：" + ("收费，详见收费标准" if item.is_fee == "1" else "不收费"))
    if item.limit_scene_num is not None:
        lines.append(
            "到现场："
            + ("不用跑" if item.limit_scene_num == 0 else f"最多{item.limit_scene_num}次")
        )
    if item.is_online == "1" and item.online_url:
        lines.append(f"完整办事指南和网上办理：{item.online_url}")
    else:
        lines.append("网上办理：" + ("可以" if item.is_online == "1" else "暂不支持"))
    lines.append("想了解哪一项，请回复序号：")
    offered = [f"{i}.{ask.label}" for i, ask in enumerate(MENU, 1)]
    half = (len(offered) + 1) // 2
    lines += [" ".join(offered[:half]), " ".join(offered[half:])]
    return "\n".join(lines)


ANSWERS: dict[Ask, Callable[[Item, Place, date], str]] = {
    Ask.MATERIALS: materials,
    Ask.CONDITIONS: conditions,
    Ask.PROCESS: process,
    Ask.TIME_LIMIT: time_limit,
    Ask.FEES: fees,
    Ask.PLACE_HOURS: place_hours,
    Ask.LEGAL_BASIS: legal_basis,
    Ask.ONLINE: online,
    Ask.TRIPS: trips,
    Ask.CONTACT: contact,
    Ask.OVERVIEW: overview,
}


def answer(ask: Ask, item: Item, place: Place, today: date) -> str:
    """The answer to ``ask`` about ``item``."""
    text = ANSWERS[ask](item, place, today)
    tail = footer(item)
    return f"{text}\n{tail}" if tail else text


def faq_answer(item: Item, question: str, answer_text: str) -> str:
    return f"{header(item)}常见问题：{question}\n答：{answer_text}"


# ------------------------------------------------------------------ dialogue texts


def clarify(options: list[Item]) -> str:
    lines = ["您说的可能是以下事项，请回复序号或事项名称："]
    lines += [f"{i}. {item.name}" for i, item in enumerate(options, 1)]
    return "\n".join(lines)


def shared_by(ask: Ask, item: Item, place: Place) -> tuple[object, ...] | None:
    """What ``ask``'s answer rests on where several items may share it (the hall and window,
    or the phones); None for an aspect each item answers its own way."""
    if ask is Ask.PLACE_HOURS:
        hall, window = place.hall, place.window
        return (
            hall.id if hall else item.center_name,
            window.id if window else None,
            (hall.address if hall else "") or item.transact_addr,
            None if hall else item.transact_time,
        )
    if ask is Ask.CONTACT:
        return (item.consult_phone, item.complain_phone)
    return None


def also_for(items: Sequence[Item], ask: Ask) -> str:
    """Said after one item's answer that holds for others too."""
    names = "、".join(i.name for i in items)
    return f"以上{ask.label}同样适用于：{names}。"


def invalid_choice(count: int) -> str:
    return f"请回复 1 到 {count} 之间的序号，或直接说出事项名称。"


NOT_FOUND = (
    "抱歉，没有找到与您描述相符的事项。您可以换个说法再问一次（例如“身份证补办要带什么”），"
    "或回复“人工”请工作人员为您解答。"
)
EMPTY = "您好，请问您想办理什么事项？可以直接说，例如“身份证丢了怎么补办”。"
TOO_LONG = "您的留言有些长，请用一两句话说明想办的事项和想了解的内容，我来帮您查。"
