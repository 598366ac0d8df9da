"""The notice as chat text, and the wording shared by the chat and the printable page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from banshi.links import Links
from banshi.models import (
    STATE_ACTIVE,
    Notice,
)
from banshi.text import WECHAT_TEXT_LIMIT, fits, truncate

REMEDY = (
    "对办理结果不服的，可以自知道或者应当知道之日起六十日内依法申请行政复议，"
    "或者六个月内依法向人民法院提起行政诉讼。"
)  # 行政复议法（2023年修订）第二十条；行政诉讼法 第四十六条
NEED_LABELS = {
    "必要": "必要",
    "非必要": "非必要（有则提供）",
    "容缺后补": "容缺后补（可先受理，按约定时间补交）",
}


def date_text(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def days_text(days: int | None, unit: str) -> str:
    if days is None:
        return "办事指南未列出"
    if days == 0:
        return "即办（材料齐全、符合条件的当场办结）"
    return f"{days}个{unit or '工作日'}"


def copies_text(m: Mapping[str, Any]) -> str:
    """原件1份、复印件2份 — or the type alone when the counts are not published."""
    counts = []
    if m.get("original_num"):
        counts.append(f"原件{m['original_num']}份")
    if m.get("copies_num"):
        counts.append(f"复印件{m['copies_num']}份")
    return "、".join(counts) or m.get("type") or ""


def source_text(m: Mapping[str, Any]) -> str:
    parts = [p for p in (m.get("source_type"), m.get("source_explain")) if p]
    return "：".join(parts)


def need_text(m: Mapping[str, Any]) -> str:
    need = m.get("need") or "必要"
    return NEED_LABELS.get(need, need)


def trips_text(trips: int | None) -> str:
    if trips is None:
        return "办事指南未列出，请咨询窗口"
    if trips == 0:
        return "0次（全程网上办理）"
    return f"材料齐全的情况下最多{trips}次"


def fee_lines(fees: Mapping[str, Any], with_basis: bool = True) -> list[str]:
    """Exactly "不收费" when free; otherwise each standard with its basis."""
    if fees.get("free"):
        return ["不收费"]
    lines = []
    for c in fees.get("charges") or []:
        line = f"{c['name']}：{c['standard']}" if c.get("name") else str(c.get("standard", ""))
        if with_basis and c.get("basis"):
            line += f"（依据：{c['basis']}）"
        if with_basis and c.get("reduction"):
            line += f"（减免：{c['reduction']}）"
        lines.append(line)
    return lines or ["收费，具体标准请咨询窗口"]


def answers_text(snapshot: Mapping[str, Any]) -> list[str]:
    labels = {True: "是", False: "否", None: "不确定（相关材料已一并列出）"}
    return [f"{a['condition']}：{labels[a['answer']]}" for a in snapshot.get("answers", [])]


def state_warning(snapshot: Mapping[str, Any]) -> str:
    state = snapshot["item"].get("state")
    if state in (None, STATE_ACTIVE):
        return ""
    return "注意：该事项目前暂停办理，恢复办理以正式通知为准，请先电话咨询后再前往。"


def catalog_text(snapshot: Mapping[str, Any]) -> str:
    c = snapshot["catalog"]
    updated = f"（{c['update_date']}更新）" if c.get("update_date") else ""
    return f"依据办事指南第{c['item_version']}版{updated}，目录同步批次{c['sync_id']}"


def _material_chat_line(n: int, m: Mapping[str, Any], detailed: bool) -> str:
    details = [d for d in (copies_text(m), m.get("format")) if d]
    if m.get("need") and m.get("need") != "必要":
        details.append(m["need"])
    if detailed and m.get("source_explain"):
        details.append(m["source_explain"])
    when = f"如属“{m['condition']}”：" if m.get("condition") else ""
    return f"{n}. {when}{m['name']}" + (f"（{'，'.join(details)}）" if details else "")


def cut_notice(text: str, budget: int) -> str:
    return truncate(text, budget, "…（详见完整告知单）")


def notice_text(notice: Notice, links: Links) -> list[str]:
    """The chat version: two messages of at most 2,000 bytes, with the number and the link."""
    s = notice.snapshot
    item = s["item"]
    head = [f"【一次性告知单】编号：{notice.number}", f"事项：{item['name']}"]
    head.append(f"实施编码：{item['task_code']}")
    if item.get("situation"):
        head.append(f"办理情形：{item['situation']}")
    if item.get("handle_item_code"):
        head.append(f"业务办理项编码：{item['handle_item_code']}")
    head += [f"您的情况：{line}" for line in answers_text(s)]
    head.append(f"开具日期：{date_text(s['issued_on'])}")
    if state_warning(s):
        head.append(state_warning(s))
    materials = s["materials"]
    first = ""
    for detailed in (True, False):
        body = head + [f"一、申请材料（共{len(materials)}项）："]
        body += [_material_chat_line(n, m, detailed) for n, m in enumerate(materials, 1)]
        first = "\n".join(body)
        if fits(first):
            break
    if not fits(first):
        first = cut_notice(first, WECHAT_TEXT_LIMIT)

    limits = s["time_limits"]
    place = s["place"]
    phones = s["phones"]
    where = "；".join(
        p for p in (place.get("hall"), place.get("address"), place.get("window")) if p
    )
    url = links.notice(notice.number)
    for with_basis in (True, False):
        tail = [
            "三、办理时限：法定"
            + days_text(limits["legal_days"], limits["legal_unit"])
            + "，承诺"
            + days_text(limits["promise_days"], limits["promise_unit"]),
            f"四、到现场次数：{trips_text(s.get('trips'))}",
            "五、收费：" + "；".join(fee_lines(s["fees"], with_basis)),
            f"六、办理地点：{where or '请咨询窗口'}",
        ]
        if place.get("hours"):
            tail.append(f"办公时间：{place['hours']}")
        tail += [
            f"七、咨询电话：{phones.get('consult') or '12345'}；"
            f"投诉电话：{phones.get('complain') or '12345'}",
            f"八、{REMEDY}",
            catalog_text(s) + "，以窗口最新要求为准。",
            f"完整告知单（可打印）：{url}",
        ]
        fixed = "\n".join(tail)
        if fits(fixed):
            break
    # 受理条件 and 办理流程 fill the room left; the page always has them in full.
    extra = [
        "二、受理条件：" + "；".join(s["accept_condition"] or ["办事指南未列出"]),
        "办理流程：" + "；".join(s["process"] or ["办事指南未列出"]),
    ]
    lines: list[str] = []
    for text in extra:
        room = WECHAT_TEXT_LIMIT - len("\n".join([*lines, fixed]).encode("utf-8")) - 1
        if room >= 120:
            lines.append(cut_notice(text, room))
    second = "\n".join([*lines, fixed])
    if not fits(second):
        second = (
            cut_notice(second[: -len(url)], WECHAT_TEXT_LIMIT - len(url.encode()) - 1) + "\n" + url
        )
    return [first, second]


# ---------------------------------------------------------------------- the conversation

WHICH_ITEM = "请问您要开具哪个事项的一次性告知单？请说出事项名称，例如“二手房过户的告知单”。"
LEFT = "好的，本次告知单先不开了，需要时说“告知单”并告诉我事项名称即可。"
NOT_UNDERSTOOD = "抱歉，没有理解您的回答。"
NO_NOTICES = (
    "您还没有开具过一次性告知单。说“我要办二手房过户，给我个清单”这样的话，"
    "我会问您几个问题，然后开具一份告知单。"
)
NOT_FOUND_NUMBER = "没有找到编号为 {number} 的告知单，请核对编号后再试。"


def starting(item_name: str) -> str:
    return f"好的，为您开具【{item_name}】的一次性告知单。"


def notices_list_text(notices: Sequence[Notice], links: Links) -> str:
    """ "我的告知单": newest first, each with its number, date and link."""
    if not notices:
        return NO_NOTICES
    lines = [f"您共有{len(notices)}份一次性告知单（回复编号可查看全文）："]
    for n, notice in enumerate(notices[:10], 1):
        item = notice.snapshot.get("item", {})
        situation = f"（{item['situation']}）" if item.get("situation") else ""
        lines.append(
            f"{n}. {notice.number} {item.get('name', '')}{situation}，"
            f"{date_text(notice.issued_on.isoformat())}开具\n   {links.notice(notice.number)}"
        )
    if len(notices) > 10:
        lines.append(f"另有{len(notices) - 10}份较早的告知单，可回复编号查看。")
    text = "\n".join(lines)
    return text if fits(text) else cut_notice(text, WECHAT_TEXT_LIMIT)
