"""WeChat's own rules for ``menu/create``, as the stand-in enforces them.

From the official page 创建自定义菜单 (createCustomMenu,
https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu.html) and the
global return codes (https://developers.weixin.qq.com/doc/oplatform/en/Return_codes/Return_code_descriptions_new):

* 1 to 3 top buttons, each with at most 5 sub-buttons (``button`` / ``sub_button``);
* ``name``: at most 16 bytes for a top button, 60 for a sub-button — this is what the API
  refuses (40018 / 40025). The "4 汉字 / 8 汉字" of the same page is a display limit:
  longer names are accepted and shown cut, ending in "..." (:func:`shown_name`);
* ``key`` at most 128 bytes (click and the other event types); ``url`` at most 1024 bytes
  (view, miniprogram); ``media_id``, ``article_id``, ``appid`` + ``pagepath`` for their types;
* ``type`` and ``sub_button`` exclude each other; sub-buttons have no sub-buttons.

The channel keeps its own, stricter checks (bot/wechat/menu.py); these are WeChat's.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

MAX_TOP, MAX_SUB = 3, 5
TOP_NAME_BYTES, SUB_NAME_BYTES = 16, 60
KEY_BYTES, URL_BYTES = 128, 1024
# Display limits in 汉字; the stand-in counts a half-width character as half of one.
TOP_SHOWN_HANZI, SUB_SHOWN_HANZI = 4, 8

# Each button type and the fields it needs.
TYPES: dict[str, tuple[str, ...]] = {
    "click": ("key",),
    "view": ("url",),
    "scancode_push": ("key",),
    "scancode_waitmsg": ("key",),
    "pic_sysphoto": ("key",),
    "pic_photo_or_album": ("key",),
    "pic_weixin": ("key",),
    "location_select": ("key",),
    "media_id": ("media_id",),
    "view_limited": ("media_id",),
    "article_id": ("article_id",),
    "article_view_limited": ("article_id",),
    "miniprogram": ("url", "appid", "pagepath"),
}


class MenuErrcode(IntEnum):
    """WeChat's errcodes for a refused menu (errmsg as WeChat words it)."""

    INVALID_MEDIA_ID = 40007  # invalid media_id
    BUTTON_SIZE = 40016  # invalid button size
    BUTTON_TYPE = 40017  # invalid button type
    BUTTON_NAME_SIZE = 40018  # invalid button name size
    BUTTON_KEY_SIZE = 40019  # invalid button key size
    BUTTON_URL_SIZE = 40020  # invalid button url size
    SUB_MENU_LEVEL = 40022  # invalid sub_menu level
    SUB_BUTTON_SIZE = 40023  # invalid sub button size
    SUB_BUTTON_TYPE = 40024  # invalid sub button type
    SUB_BUTTON_NAME_SIZE = 40025  # invalid sub button name size
    SUB_BUTTON_KEY_SIZE = 40026  # invalid sub button key size
    SUB_BUTTON_URL_SIZE = 40027  # invalid sub button url size
    DATA_FORMAT = 47001  # data format error


@dataclass(frozen=True)
class Problem:
    errcode: MenuErrcode
    where: str  # "button 2", "button 2.3"
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"


@dataclass
class Verdict:
    """What WeChat says of a menu: the first problem's errcode, every problem for the reader."""

    problems: list[Problem] = field(default_factory=list)

    @property
    def errcode(self) -> int:
        return int(self.problems[0].errcode) if self.problems else 0

    @property
    def detail(self) -> str:
        return "; ".join(str(p) for p in self.problems)


def _size(value: Any) -> int:
    return len(str(value if value is not None else "").encode("utf-8"))


def _check_leaf(button: dict[str, Any], where: str, top: bool, verdict: Verdict) -> None:
    kind = button.get("type")
    if kind not in TYPES:
        code = MenuErrcode.BUTTON_TYPE if top else MenuErrcode.SUB_BUTTON_TYPE
        verdict.problems.append(Problem(code, where, f"unknown type {kind!r}"))
        return
    key_code = MenuErrcode.BUTTON_KEY_SIZE if top else MenuErrcode.SUB_BUTTON_KEY_SIZE
    url_code = MenuErrcode.BUTTON_URL_SIZE if top else MenuErrcode.SUB_BUTTON_URL_SIZE
    # WeChat does not document the errcode for a missing field; a missing key or url has
    # size 0, so its size errcode is the closest.
    missing_code = {"key": key_code, "url": url_code, "media_id": MenuErrcode.INVALID_MEDIA_ID}
    for needed in TYPES[kind]:
        if not button.get(needed):
            code = missing_code.get(needed, MenuErrcode.DATA_FORMAT)
            verdict.problems.append(Problem(code, where, f"a {kind} button needs {needed}"))
    if _size(button.get("key")) > KEY_BYTES:
        verdict.problems.append(Problem(key_code, where, f"key over {KEY_BYTES} bytes"))
    if _size(button.get("url")) > URL_BYTES:
        verdict.problems.append(Problem(url_code, where, f"url over {URL_BYTES} bytes"))


def _check_name(button: dict[str, Any], where: str, top: bool, verdict: Verdict) -> None:
    limit = TOP_NAME_BYTES if top else SUB_NAME_BYTES
    size = _size(button.get("name"))
    if not 1 <= size <= limit:
        code = MenuErrcode.BUTTON_NAME_SIZE if top else MenuErrcode.SUB_BUTTON_NAME_SIZE
        verdict.problems.append(
            Problem(code, where, f"name of {size} bytes (1 to {limit} bytes in UTF-8)")
        )


def check_menu(body: Any) -> Verdict:
    """Judge a ``menu/create`` body by WeChat's rules."""
    verdict = Verdict()
    buttons = body.get("button") if isinstance(body, dict) else None
    if not isinstance(buttons, list) or not all(isinstance(b, dict) for b in buttons):
        verdict.problems.append(Problem(MenuErrcode.DATA_FORMAT, "menu", "no button array"))
        return verdict
    if not 1 <= len(buttons) <= MAX_TOP:
        verdict.problems.append(
            Problem(MenuErrcode.BUTTON_SIZE, "menu", f"{len(buttons)} top buttons (1 to 3)")
        )
    for i, top in enumerate(buttons, 1):
        where = f"button {i}"
        _check_name(top, where, True, verdict)
        subs = top.get("sub_button") or []
        if not isinstance(subs, list) or not all(isinstance(s, dict) for s in subs):
            verdict.problems.append(Problem(MenuErrcode.DATA_FORMAT, where, "bad sub_button"))
            continue
        if not subs:
            _check_leaf(top, where, True, verdict)
            continue
        if top.get("type"):
            verdict.problems.append(
                Problem(MenuErrcode.BUTTON_TYPE, where, "a button with sub-buttons has no type")
            )
        if len(subs) > MAX_SUB:
            verdict.problems.append(
                Problem(MenuErrcode.SUB_BUTTON_SIZE, where, f"{len(subs)} sub-buttons (at most 5)")
            )
        for j, sub in enumerate(subs, 1):
            where = f"button {i}.{j}"
            _check_name(sub, where, False, verdict)
            if sub.get("sub_button"):
                verdict.problems.append(
                    Problem(MenuErrcode.SUB_MENU_LEVEL, where, "sub-buttons have no sub-buttons")
                )
            _check_leaf(sub, where, False, verdict)
    return verdict


def _hanzi_width(char: str) -> float:
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.5


def shown_name(name: str, top: bool) -> str:
    """The name as the WeChat client shows it: cut after 4 (top) or 8 (sub) 汉字, "..." added."""
    limit = TOP_SHOWN_HANZI if top else SUB_SHOWN_HANZI
    if sum(_hanzi_width(c) for c in name) <= limit:
        return name
    shown, width = "", 0.0
    for char in name:
        if width + _hanzi_width(char) > limit:
            break
        shown += char
        width += _hanzi_width(char)
    return shown + "..."


def shown_menu(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with every name as the client would show it (for the conversation page)."""

    def show(button: dict[str, Any], top: bool) -> dict[str, Any]:
        out = {**button, "name": shown_name(str(button.get("name") or ""), top)}
        if button.get("sub_button"):
            out["sub_button"] = [show(b, False) for b in button["sub_button"]]
        return out

    return {"button": [show(b, True) for b in body.get("button") or []]}
