"""The 公众号 menu: defined in ``menu.yml``, checked against WeChat's limits, pushed by
``banshi wechat menu``; its CLICK keys map to the intents they send to the assistant."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MENU_PATH = Path(__file__).resolve().parent / "menu.yml"

MAX_TOP, MAX_SUB = 3, 5
TOP_NAME_CHARS, SUB_NAME_CHARS = 4, 8  # WeChat: 16 and 60 bytes, 4 and 8 汉字
TOP_NAME_BYTES, SUB_NAME_BYTES = 16, 60
KEY_BYTES, URL_BYTES = 128, 1024
# The button types and the fields each needs (WeChat's 自定义菜单 documentation).
TYPES: dict[str, tuple[str, ...]] = {
    "click": ("key",),
    "view": ("url",),
    "location_select": ("key",),
    "scancode_push": ("key",),
    "scancode_waitmsg": ("key",),
    "pic_sysphoto": ("key",),
    "pic_photo_or_album": ("key",),
    "pic_weixin": ("key",),
    "miniprogram": ("url", "appid", "pagepath"),
}
OURS = ("intent",)  # fields of menu.yml that are not sent to WeChat


class MenuError(ValueError):
    """menu.yml breaks one of WeChat's rules; the message lists every problem."""


@dataclass(frozen=True)
class Menu:
    buttons: list[dict[str, Any]]

    @property
    def intents(self) -> dict[str, str]:
        """CLICK key → intent."""
        return {b["key"]: b["intent"] for b in self.leaves() if b.get("intent") and b.get("key")}

    def leaves(self) -> list[dict[str, Any]]:
        leaves: list[dict[str, Any]] = []
        for top in self.buttons:
            leaves.extend(top.get("sub_button") or [top])
        return leaves

    def payload(self) -> dict[str, Any]:
        """The body of ``menu/create``."""

        def strip(button: dict[str, Any]) -> dict[str, Any]:
            out = {k: v for k, v in button.items() if k not in OURS and k != "sub_button"}
            if button.get("sub_button"):
                out["sub_button"] = [strip(b) for b in button["sub_button"]]
            return out

        return {"button": [strip(b) for b in self.buttons]}


def _check_button(button: dict[str, Any], where: str, top: bool, problems: list[str]) -> None:
    name = str(button.get("name") or "")
    chars, size = (TOP_NAME_CHARS, TOP_NAME_BYTES) if top else (SUB_NAME_CHARS, SUB_NAME_BYTES)
    if not name:
        problems.append(f"{where}: no name")
    elif len(name) > chars or len(name.encode("utf-8")) > size:
        problems.append(f"{where} '{name}': a name of at most {chars} characters ({size} bytes)")
    if top and button.get("sub_button"):
        if button.get("type"):
            problems.append(f"{where} '{name}': a button with sub-buttons has no type")
        return
    kind = button.get("type")
    if kind not in TYPES:
        problems.append(f"{where} '{name}': type must be one of {', '.join(TYPES)}")
        return
    for needed in TYPES[kind]:
        if not button.get(needed):
            problems.append(f"{where} '{name}': a {kind} button needs '{needed}'")
    if len(str(button.get("key") or "").encode("utf-8")) > KEY_BYTES:
        problems.append(f"{where} '{name}': key longer than {KEY_BYTES} bytes")
    if len(str(button.get("url") or "").encode("utf-8")) > URL_BYTES:
        problems.append(f"{where} '{name}': url longer than {URL_BYTES} bytes")
    if button.get("intent") and kind != "click":
        problems.append(f"{where} '{name}': only click buttons send an intent")


def validate(menu: Menu, intents: set[str] | None = None) -> list[str]:
    """Every problem with ``menu`` (empty when WeChat will accept it)."""
    problems: list[str] = []
    if not 1 <= len(menu.buttons) <= MAX_TOP:
        problems.append(f"1 to {MAX_TOP} top buttons, found {len(menu.buttons)}")
    for i, top in enumerate(menu.buttons, 1):
        _check_button(top, f"button {i}", True, problems)
        subs = top.get("sub_button") or []
        if len(subs) > MAX_SUB:
            problems.append(f"button {i}: at most {MAX_SUB} sub-buttons, found {len(subs)}")
        for j, sub in enumerate(subs, 1):
            _check_button(sub, f"button {i}.{j}", False, problems)
    keys = [b["key"] for b in menu.leaves() if b.get("key")]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"key {key} is used by more than one button")
    if intents is not None:
        for key, intent in sorted(menu.intents.items()):
            if intent not in intents:
                problems.append(f"key {key}: intent '{intent}' is not in the domain")
    return problems


def load_menu(path: Path = MENU_PATH, intents: set[str] | None = None) -> Menu:
    """Read and check ``menu.yml``; :class:`MenuError` lists every problem."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    menu = Menu(list(data.get("button") or []))
    problems = validate(menu, intents)
    if problems:
        raise MenuError(f"{path}: " + "; ".join(problems))
    return menu


def domain_intents(domain_path: Path) -> set[str]:
    data = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    names: set[str] = set()
    for entry in data.get("intents") or []:
        names.add(next(iter(entry)) if isinstance(entry, dict) else str(entry))
    return names
