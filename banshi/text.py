"""Text normalisation shared by the catalog sync and the citizen's messages.

One place decides what "clean" text is: HTML stripped, full-width ASCII made half-width,
whitespace collapsed. Chinese punctuation (，。：（）) is kept: it is correct Chinese typography.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

_TAG_BREAK = re.compile(r"<\s*(br|/p|p|/div|div|/li|li)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,200}>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u3000\ufeff]+")
_NEWLINES = re.compile(r"\s*\n\s*")

# Full-width ASCII (U+FF01..U+FF5E) -> half-width, except the punctuation Chinese text uses.
_KEEP_FULLWIDTH = set("，。：；！？（）")
_FULLWIDTH_MAP = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP_FULLWIDTH}
_FULLWIDTH_MAP[0x3000] = 0x20


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and symbols to half-width; Chinese punctuation stays."""
    return text.translate(_FULLWIDTH_MAP)


def strip_html(text: str) -> str:
    """Drop tags (block tags become line breaks) and decode entities such as ``&nbsp;``."""
    if "<" not in text and "&" not in text:
        return text
    text = _TAG_BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    return html.unescape(text)


def clean_text(value: object) -> str:
    """A catalog field as clean text: no HTML, half-width ASCII, tidy whitespace."""
    if value is None:
        return ""
    text = strip_html(str(value))
    text = to_halfwidth(text)
    text = _SPACES.sub(" ", text)
    text = _NEWLINES.sub("\n", text)
    return text.strip()


def clean_line(value: object) -> str:
    """Like :func:`clean_text` but on one line (names, codes, phones)."""
    return " ".join(clean_text(value).split())


# --------------------------------------------------------------------- citizen messages

MAX_MESSAGE_CHARS = 300

_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\ufe0f\u200d]+"
)
# WeChat renders its own emoji as bracketed codes such as [微笑] or /:B-)
_WECHAT_EMOJI = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]|/:[^\s\u4e00-\u9fff]{1,6}")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _tw2sp() -> Any:
    from opencc import OpenCC

    return OpenCC("tw2sp")


def mainland_wording(text: str, normalized: str | None = None) -> str:
    """``text`` in simplified characters with Taiwan wording turned into mainland wording
    (計程車 → 出租车, 網路 → 网络, 影印 → 复印), or ``""`` when that changes nothing beyond
    :func:`normalize_message` (pass its result as ``normalized`` when you have it). Only a
    hint: OpenCC's phrase table also turns 檔案 into 文件, which is wrong for 人事档案, so the
    resolver adds these words and never replaces.
    """
    plain = normalize_message(text) if normalized is None else normalized
    worded = " ".join(_tw2sp().convert(to_halfwidth(text or "")).split())
    return worded if worded != plain else ""


def normalize_message(text: str) -> str:
    """A citizen's message as the NLU and the resolver see it.

    Traditional → simplified (OpenCC), full-width → half-width, emoji removed, whitespace
    collapsed. Length is checked by the caller (:data:`MAX_MESSAGE_CHARS`).
    """
    text = _EMOJI.sub(" ", _WECHAT_EMOJI.sub(" ", text or ""))
    text = to_halfwidth(text)
    text = _t2s().convert(text)
    return " ".join(text.split())
