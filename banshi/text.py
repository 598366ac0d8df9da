"""Text normalisation shared by the catalog sync and the citizen's messages.

One place decides what "clean" text is: HTML stripped, full-width ASCII made half-width,
whitespace collapsed. Chinese punctuation (，。：（）) is kept: it is correct Chinese typography.
"""

from __future__ import annotations

import html
import re

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
