"""The printable page of a 一次性告知单: one self-contained HTML document.

A4 when printed (``@page``), one column on a phone, no external assets (no fonts, scripts or
images to fetch), so it opens the same in WeChat's browser, a hall printer or offline. It
reads only the notice's snapshot, like the chat text in :mod:`banshi.notices`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from sqlalchemy.orm import Session

from banshi.links import Links, PageKind
from banshi.models import Notice
from banshi.notices.issuing import get_notice, normalize_number
from banshi.notices.texts import (
    REMEDY,
    answers_text,
    catalog_text,
    copies_text,
    date_text,
    days_text,
    fee_lines,
    need_text,
    source_text,
    state_warning,
    trips_text,
)

_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f2f2f2;color:#111;font:15px/1.6 "PingFang SC","Hiragino Sans GB",
"Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif}
main{max-width:210mm;margin:0 auto;background:#fff;padding:14mm 14mm 10mm}
header{border-bottom:2px solid #b71c1c;padding-bottom:6px;margin-bottom:10px}
h1{margin:0;font-size:24px;letter-spacing:4px;text-align:center;color:#b71c1c}
.meta{display:flex;flex-wrap:wrap;justify-content:space-between;gap:4px 16px;font-size:13px;
margin-top:6px}
.number{font-weight:bold;font-family:"Courier New",monospace;font-size:15px}
h2{font-size:16px;margin:14px 0 6px;padding-left:6px;border-left:4px solid #b71c1c}
table{width:100%;border-collapse:collapse;font-size:13px}
th,td{border:1px solid #999;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f4e9e9;font-weight:bold;white-space:nowrap}
table.info th{width:8.5em}
ul.steps{margin:0;padding-left:0;list-style:none}
li{margin:2px 0}
.warning{border:2px solid #b71c1c;color:#b71c1c;padding:6px 8px;font-weight:bold;margin:8px 0}
.cond{color:#b71c1c;font-size:12px;display:block}
.note{font-size:12px;color:#444}
footer{margin-top:14px;padding-top:6px;border-top:1px solid #999;font-size:12px;color:#444}
@media (max-width:640px){
 main{padding:12px}
 table.materials thead{display:none}
 table.materials tr{display:block;border:1px solid #999;margin-bottom:8px}
 table.materials td{display:block;border:none;padding:2px 8px}
 table.materials td[data-label]::before{content:attr(data-label) "：";font-weight:bold}
}
@page{size:A4;margin:12mm}
@media print{
 body{background:#fff;font-size:12px}
 main{max-width:none;padding:0}
 h2{break-after:avoid}
 tr{break-inside:avoid}
 a{color:inherit;text-decoration:none}
}
"""


def _e(value: Any) -> str:
    return escape(str(value if value is not None else ""))


def _list(items: Iterable[str]) -> str:
    """Steps as published: they carry their own numbering (1.… 2.…)."""
    body = "".join(f"<li>{_e(i)}</li>" for i in items)
    return f'<ul class="steps">{body}</ul>' if body else "<p>办事指南未列出，请咨询窗口。</p>"


def _info_rows(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows if v)
    return f'<table class="info">{cells}</table>'


def _material_row(n: int, m: Mapping[str, Any]) -> str:
    notes = "；".join(
        p.rstrip("。；;")
        for p in (
            m.get("fill_explain") or "",
            f"纸张规格：{m['page_format']}" if m.get("page_format") else "",
        )
        if p
    )
    condition = (
        f'<span class="cond">如属“{_e(m["condition"])}”，需提供</span>'
        if m.get("condition")
        else ""
    )
    cells = [
        ("序号", str(n), False),
        ("材料名称", "", True),
        ("原件/复印件及份数", copies_text(m), False),
        ("纸质/电子", m.get("format") or "", False),
        ("来源及获取方式", source_text(m), False),
        ("是否必需", need_text(m), False),
        ("备注", notes, False),
    ]
    out = []
    for label, value, is_name in cells:
        content = f"{condition}{_e(m['name'])}" if is_name else _e(value)
        out.append(f'<td data-label="{label}">{content}</td>')
    return "<tr>" + "".join(out) + "</tr>"


def render_html(notice: Notice, links: Links) -> str:
    """The whole notice as a printable, phone-readable HTML page."""
    s = notice.snapshot
    item = s["item"]
    limits = s["time_limits"]
    place = s["place"]
    phones = s["phones"]
    url = links.notice(notice.number)
    warning = state_warning(s)
    materials = s["materials"]
    material_rows = "".join(_material_row(n, m) for n, m in enumerate(materials, 1))
    fee_items = fee_lines(s["fees"])
    online = f"可网上办理：{s['online_url']}" if s.get("online_url") else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<meta name="robots" content="noindex, nofollow">',
        f"<title>一次性告知单 {_e(notice.number)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<header><h1>一次性告知单</h1>",
        f'<div class="meta"><span>编号：<span class="number">{_e(notice.number)}</span></span>'
        f"<span>开具日期：{_e(date_text(s['issued_on']))}</span></div></header>",
        f'<p class="warning">{_e(warning)}</p>' if warning else "",
        "<p>根据《中华人民共和国行政许可法》第三十二条和一次性告知制度，现将您办理本事项所需的"
        "全部材料和要求一次性告知如下。</p>",
        _info_rows(
            [
                ("事项名称", item["name"]),
                ("实施编码", item["task_code"]),
                ("办理情形", item.get("situation") or ""),
                ("业务办理项编码", item.get("handle_item_code") or ""),
                ("实施主体", item.get("dept_name") or ""),
                ("事项类型", item.get("task_type") or ""),
                ("您的情况", "；".join(answers_text(s))),
                ("办理结果", item.get("result_name") or ""),
            ]
        ),
        "<h2>一、受理条件</h2>",
        _list(s["accept_condition"]),
        f"<h2>二、申请材料（共{len(materials)}项）</h2>",
        '<table class="materials"><thead><tr><th>序号</th><th>材料名称</th>'
        "<th>原件/复印件及份数</th><th>纸质/电子</th><th>来源及获取方式</th>"
        f"<th>是否必需</th><th>备注</th></tr></thead><tbody>{material_rows}</tbody></table>"
        if materials
        else "<p>办事指南未列出申请材料，请咨询窗口。</p>",
        '<p class="note">“容缺后补”的材料缺少时可先受理，请按窗口约定的时间补交。</p>',
        "<h2>三、办理流程</h2>",
        _list(s["process"]),
        "<h2>四、办理时限</h2>",
        _info_rows(
            [
                ("法定办结时限", days_text(limits["legal_days"], limits["legal_unit"])),
                ("承诺办结时限", days_text(limits["promise_days"], limits["promise_unit"])),
            ]
        ),
        '<p class="note">工作日不含法定节假日和周末，自受理之日起计算。</p>',
        "<h2>五、到办事现场次数</h2>",
        f"<p>{_e(trips_text(s.get('trips')))}。{_e(online)}</p>",
        "<h2>六、收费标准</h2>",
        _list(fee_items) if not s["fees"].get("free") else "<p>不收费</p>",
        "<h2>七、办理地点和时间</h2>",
        _info_rows(
            [
                ("办理地点", place.get("hall") or ""),
                ("地址", place.get("address") or ""),
                ("窗口", place.get("window") or ""),
                ("办公时间", place.get("hours") or ""),
                ("预约", place.get("appointment") or ""),
            ]
        ),
        "<h2>八、咨询和投诉</h2>",
        _info_rows(
            [
                ("咨询电话", phones.get("consult") or "12345"),
                ("监督投诉电话", phones.get("complain") or "12345"),
            ]
        ),
        "<h2>九、救济途径</h2>",
        f"<p>{_e(REMEDY)}</p>",
        "<footer>",
        f"<p>{_e(catalog_text(s))}。办事指南如有调整，以窗口最新要求为准；"
        "调整涉及您的材料、收费或时限时，我们会通过公众号告知您。</p>",
        f"<p>本告知单网址：{_e(url)}</p>",
        "</footer></main></body></html>",
    ]
    return "\n".join(p for p in parts if p)


def open_page(session: Session, links: Links, number: str, token: str) -> str | None:
    """The notice page behind a link, or None (the same 404 for an unknown number, a missing
    token, or a token for another notice)."""
    number = normalize_number(number)[:40]
    if not links.opens(PageKind.NOTICE, number, token):
        return None
    notice = get_notice(session, number)
    return render_html(notice, links) if notice is not None else None
