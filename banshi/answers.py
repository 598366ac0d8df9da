"""The guide answers a citizen reads, written from the catalog fields as a hall clerk would.

Every answer opens with the item's formal name (so the citizen sees at once whether they
were understood) and ends with the date the information was last updated. The text of guide
answers lives here and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from banshi.catalog import Place
from banshi.hours import today_text, weekly_hours_text
from banshi.models import STATE_ACTIVE, STATE_CANCELLED, Item, Material

WECHAT_TEXT_LIMIT = 2000  # bytes of UTF-8; WeChat's real limit is about 2,048 (NOTES.md)

_STEP = re.compile(r"(?:^|(?<=[；;。\n]))\s*(?=(?:\d{1,2}|[一二三四五六七八九十]{1,2})[.、．)）])")


def _split_steps(text: str) -> list[str]:
    """Split '1.xxx；2.xxx' style catalog text into its numbered parts (kept as written)."""
    parts = [p.strip(" ；;\n") for p in _STEP.split(text) if p.strip(" ；;\n")]
    return parts or ([text.strip()] if text.strip() else [])


def _lines(text: str) -> str:
    return "\n".join(_split_steps(text))


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
    return _published(item, item.accept_condition, "受理条件")


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


def overview(item: Item, place: Place, today: date) -> str:
    lines = [f"{header(item)}"]
    if item.dept_name:
        lines.append(f"办理部门：{item.dept_name}")
    promise = _days(item.promise_day, item.promise_type)
    if promise:
        lines.append(f"办理时限：{promise}")
    lines.append("收费：" + ("收费，详见收费标准" if item.is_fee == "1" else "不收费"))
    if item.limit_scene_num is not None:
        lines.append(
            "到现场："
            + ("不用跑" if item.limit_scene_num == 0 else f"最多{item.limit_scene_num}次")
        )
    lines.append("网上办理：" + ("可以" if item.is_online == "1" else "暂不支持"))
    where = place.hall.name if place.hall else item.center_name or item.transact_addr
    if where:
        lines.append(f"办理地点：{where}")
    if item.situations:
        lines.append("办理情形：" + "、".join(s.name for s in item.situations))
    lines.append("您可以接着问：要带什么材料、办理条件、流程、多久办好、在哪办、收不收费。")
    return "\n".join(lines)


ANSWERS: dict[str, Callable[[Item, Place, date], str]] = {
    "ask_materials": materials,
    "ask_conditions": conditions,
    "ask_process": process,
    "ask_time_limit": time_limit,
    "ask_fees": fees,
    "ask_place_hours": place_hours,
    "ask_legal_basis": legal_basis,
    "ask_online": online,
    "ask_trips": trips,
    "ask_contact": contact,
    "ask_overview": overview,
}


def answer(intent: str, item: Item, place: Place, today: date) -> str:
    """The answer to ``intent`` about ``item`` (an overview for anything else)."""
    text = ANSWERS.get(intent, overview)(item, place, today)
    tail = footer(item)
    return f"{text}\n{tail}" if tail else text


def faq_answer(item: Item, question: str, answer_text: str) -> str:
    return f"{header(item)}常见问题：{question}\n答：{answer_text}"


def split_message(text: str, limit: int = WECHAT_TEXT_LIMIT) -> list[str]:
    """Split at line breaks so that each part stays under ``limit`` UTF-8 bytes."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line.encode("utf-8")) > limit:  # one enormous line: cut by characters
            cut = len(line)
            while len(line[:cut].encode("utf-8")) > limit:
                cut = cut * 3 // 4
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


# ------------------------------------------------------------------ dialogue texts


def clarify(options: list[Item]) -> str:
    lines = ["您说的可能是以下事项，请回复序号或事项名称："]
    lines += [f"{i}. {item.name}" for i, item in enumerate(options, 1)]
    return "\n".join(lines)


def invalid_choice(count: int) -> str:
    return f"请回复 1 到 {count} 之间的序号，或直接说出事项名称。"


NOT_FOUND = (
    "抱歉，没有找到与您描述相符的事项。您可以换个说法再问一次（例如“身份证补办要带什么”），"
    "或回复“人工”请工作人员为您解答。"
)
EMPTY = "您好，请问您想办理什么事项？可以直接说，例如“身份证丢了怎么补办”。"
TOO_LONG = "您的留言有些长，请用一两句话说明想办的事项和想了解的内容，我来帮您查。"
