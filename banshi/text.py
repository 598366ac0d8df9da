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


# --------------------------------------------------------------------- chat messages

# WeChat's text messages take about 2,048 UTF-8 bytes (NOTES.md); every part we send stays
# under this, whichever path sends it (passive reply, 客服消息, notices, change notices).
WECHAT_TEXT_LIMIT = 2000

_STEP = re.compile(r"(?:^|(?<=[；;。\n]))\s*(?=(?:\d{1,2}|[一二三四五六七八九十]{1,2})[.、．)）])")


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def fits(text: str, limit: int = WECHAT_TEXT_LIMIT) -> bool:
    return utf8_len(text) <= limit


def truncate(text: str, budget: int, mark: str = "…") -> str:
    """``text`` cut to ``budget`` UTF-8 bytes, ending with ``mark`` when it was cut."""
    if utf8_len(text) <= budget:
        return text
    room = budget - utf8_len(mark)
    while room > 0 and utf8_len(text) > room:
        text = text[: max(0, len(text) - max(1, (utf8_len(text) - room) // 3))]
    return text + mark if room > 0 else ""


def split_message(text: str, limit: int = WECHAT_TEXT_LIMIT) -> list[str]:
    """Split at line breaks so that each part stays under ``limit`` UTF-8 bytes."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while utf8_len(line) > limit:  # one enormous line: cut by characters
            cut = len(line)
            while utf8_len(line[:cut]) > limit:
                cut = cut * 3 // 4
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if utf8_len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def split_steps(text: str) -> list[str]:
    """Split '1.xxx；2.xxx' style catalog text into its numbered parts (kept as written)."""
    parts = [p.strip(" ；;\n") for p in _STEP.split(text) if p.strip(" ；;\n")]
    return parts or ([text.strip()] if text.strip() else [])
