"""The reply page of a ticket: what the citizen filed, its progress and every reply.

A template message (outside the 48-hour window for 客服消息) can only carry a link, so the
reply itself lives here, at ``/tickets/{number}?t={token}`` (:class:`banshi.links.Links`,
:attr:`~banshi.links.PageKind.TICKET`). The number is serial and easy to guess, so the page
opens only with its capability token; a wrong token reads like an unknown number. Served by
``bot.pages`` (``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``). One
self-contained document: no scripts, fonts or images to fetch, readable in WeChat.
"""

from __future__ import annotations

from html import escape

from sqlalchemy.orm import Session

from banshi.links import Links, PageKind
from banshi.tickets import texts
from banshi.tickets.lifecycle import find_ticket
from banshi.tickets.numbering import normalize_number
from banshi.tickets.status import progress_of
from banshi.tickets.views import TicketView, ticket_view

_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f2f2f2;color:#111;font:15px/1.6 "PingFang SC","Hiragino Sans GB",
"Microsoft YaHei","Noto Sans CJK SC",sans-serif}
main{max-width:720px;margin:0 auto;background:#fff;padding:16px}
h1{font-size:20px;margin:0 0 4px;color:#b71c1c}
.meta{font-size:13px;color:#444}
h2{font-size:16px;margin:16px 0 6px;padding-left:6px;border-left:4px solid #b71c1c}
.reply{border:1px solid #ccc;border-radius:4px;padding:8px;margin:8px 0}
.reply .by{font-size:12px;color:#555}
.pre{white-space:pre-wrap}
footer{margin-top:16px;font-size:12px;color:#555}
"""


def page_url(public_url: str, secret: bytes, number: str) -> str:
    """The link a template message (or 客服消息) carries: ``/tickets/{number}?t={token}``.

    The same as ``Links(public_url, secret).url(PageKind.TICKET, number)``, which new code
    should call; kept for the callers written before :class:`~banshi.links.Links`."""
    return Links(public_url, secret).url(PageKind.TICKET, number)


def open_page(session: Session, links: Links, number: str, token: str) -> str | None:
    """The page behind a link, or None (answer 404) for an unknown number or a token that
    does not open it: :data:`bot.pages.OPENERS` serves it for :attr:`PageKind.TICKET`."""
    wanted = normalize_number(number)[:40]
    if not links.opens(PageKind.TICKET, wanted, token):
        return None
    ticket = find_ticket(session, wanted)
    if ticket is None:
        return None
    return render_reply_page(ticket_view(session, ticket, with_history=False), progress_of(ticket))


def _e(value: object) -> str:
    return escape(str(value if value is not None else ""))


def render_reply_page(view: TicketView, status: str) -> str:
    """The page as HTML; ``status`` is the citizen's wording of the progress."""
    replies = (
        "".join(
            '<div class="reply">'
            f'<div class="by">{_e(texts.date_text(r.at.date()))} {_e(r.dept_name)}</div>'
            f'<div class="pre">{_e(r.text)}</div></div>'
            for r in view.replies
        )
        or "<p>暂无答复，工作人员正在办理，请耐心等待。</p>"
    )
    due = ""
    if view.state.awaits_answer:
        due = f"答复期限：{_e(texts.date_text(view.due_on))}前" if view.due_on else "答复期限：待定"
    concerned = f"<p>涉及：{_e(view.concerned)}</p>" if view.concerned else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>工单 {_e(view.number)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(view.kind.label)}工单 {_e(view.number)}</h1>",
        f'<p class="meta">提交时间：{_e(texts.date_text(view.created_at.date()))}'
        f"　进度：{_e(status)}　{due}</p>",
        "<h2>您反映的内容</h2>",
        concerned,
        f'<p class="pre">{_e(view.content)}</p>',
        f"<p>照片：{len(view.photos)}张</p>" if view.photos else "",
        f"<h2>答复（{len(view.replies)}条）</h2>",
        replies,
        "<footer><p>如对答复有疑问，可在公众号回复工单编号查看进度，或拨打 12345 "
        "政务服务便民热线。为保护您的信息，请勿转发本页链接。</p></footer>",
        "</main></body></html>",
    ]
    return "\n".join(p for p in parts if p)


def reply_page(session: Session, secret: bytes, number: str, token: str) -> str | None:
    """:func:`open_page` given only the key (the public address plays no part in opening)."""
    return open_page(session, Links("", secret), number, token)
