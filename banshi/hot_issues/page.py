"""The public page of a resolved hot issue (政府端菜): one self-contained HTML document.

No external assets (it opens the same in WeChat's browser and offline), one column on a
phone. It reads only the frozen :class:`HotIssuePage`, never the live issue, so what was
published stays as published. Every value is escaped: quotes are citizens' own words.

:func:`open_page` is the opener ``bot/pages.py`` serves at ``/hot-issues/{number}?t={token}``:
the link in the message to the citizens who raised the issue is a capability, like a notice's.
"""

from __future__ import annotations

from html import escape

from sqlalchemy.orm import Session

from banshi.hot_issues import texts
from banshi.hot_issues.models import HotIssuePage
from banshi.hot_issues.publishing import get_page
from banshi.links import Links, PageKind

_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f2f2f2;color:#111;font:15px/1.7 "PingFang SC","Hiragino Sans GB",
"Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif}
main{max-width:760px;margin:0 auto;background:#fff;padding:20px 18px}
h1{margin:0 0 6px;font-size:21px;color:#b71c1c}
.meta{font-size:13px;color:#555}
h2{font-size:16px;margin:18px 0 6px;padding-left:6px;border-left:4px solid #b71c1c}
.action{white-space:pre-wrap}
blockquote{margin:6px 0;padding:6px 10px;background:#f7f3f3;border-left:3px solid #d9a7a7}
footer{margin-top:18px;padding-top:8px;border-top:1px solid #ccc;font-size:12px;color:#555}
"""


def render_page(page: HotIssuePage) -> str:
    """The page as a complete HTML document (UTF-8)."""
    title = texts.PAGE_TITLE.format(title=page.title)
    meta = [texts.PAGE_RAISED.format(raised=page.raised)]
    if page.department:
        meta.append(texts.PAGE_DEPARTMENT.format(department=page.department))
    published = page.published_at
    meta.append(
        texts.PAGE_PUBLISHED.format(date=f"{published.year}年{published.month}月{published.day}日")
    )
    quotes = "".join(f"<blockquote>{escape(q)}</blockquote>" for q in page.quotes)
    voices = f"<h2>{escape(texts.PAGE_VOICES)}</h2>{quotes}" if quotes else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{escape(page.title)}</h1>"
        f'<p class="meta">{"<br>".join(escape(m) for m in meta)}</p>'
        f"<h2>{escape(texts.PAGE_ACTION)}</h2>"
        f'<p class="action">{escape(page.action)}</p>'
        f"{voices}"
        f"<footer>{escape(page.number)}　{escape(texts.PAGE_FOOTER)}</footer>"
        "</main></body></html>\n"
    )


def open_page(session: Session, links: Links, number: str, token: str) -> str | None:
    """The published page behind a link, or None (the same 404 for an unknown number, a
    missing token, or a token for another page)."""
    number = number.strip().upper()[:20]
    if not links.opens(PageKind.HOT_ISSUE, number, token):
        return None
    page = get_page(session, number)
    return render_page(page) if page is not None else None


def page_url(links: Links, number: str) -> str:
    """The link sent to citizens (and shown to staff): ``/hot-issues/{number}?t={token}``."""
    return links.url(PageKind.HOT_ISSUE, number)
