"""One 事项, several places: telling implementations apart and choosing one.

A province's export holds the same 事项 (one 基本编码) once per district or department that
implements it: 1,665 names among 10,000 items in the bench. The citizen asks about the 事项;
which implementation applies depends on where they go. Each implementation is labelled by the
part of its department's name the others do not share (国家税务总局示范市桥西区税务局 →
桥西区), and is chosen by what the citizen said (桥西区怎么办), their earlier choice, the hall
whose QR code they scanned or where they are — or else by one short question.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from banshi.catalog import HallSpot
from banshi.choices import parse_choice
from banshi.halls import distance_km
from banshi.models import STATE_ACTIVE, STATE_CANCELLED
from banshi.resolution.result import PlaceHint, PlaceOption

# 行使层级 of an implementation whose department name says nothing more than the others'
LEVEL_LABELS = {
    "1": "国家级",
    "2": "省本级",
    "3": "市本级",
    "4": "县（区）本级",
    "5": "乡镇（街道）",
}
_REGION_END = "省市州盟区县旗镇乡"
_STATE_RANK = {STATE_ACTIVE: 0, STATE_CANCELLED: 2}


def default_order(options: Sequence[PlaceOption], states: Sequence[str]) -> list[int]:
    """Implementations in the order they are offered: open ones first, then the highest
    level (a city-level office serves every district), then by code."""
    return sorted(
        range(len(options)),
        key=lambda k: (
            _STATE_RANK.get(states[k], 1),
            int(options[k].level) if options[k].level.isdigit() else 9,
            options[k].task_code,
        ),
    )


def labels(
    dept_names: Sequence[str], center_names: Sequence[str], levels: Sequence[str]
) -> list[str]:
    """What tells each implementation apart: the department names without what all share."""
    for names in (dept_names, center_names):
        if len(set(names)) == len(names):
            return _distinct_parts(names, levels)
    return _distinct_parts(
        [f"{d}{c}" for d, c in zip(dept_names, center_names, strict=True)], levels
    )


def _distinct_parts(names: Sequence[str], levels: Sequence[str]) -> list[str]:
    if len(names) < 2:
        return list(names)
    prefix = os.path.commonprefix(list(names))
    suffix = os.path.commonprefix([n[::-1] for n in names])[::-1]
    # never cut inside a region's name: 示范市桥西区 / 示范市桥东区 share 示范市桥, not 桥
    while prefix and prefix[-1] not in _REGION_END:
        prefix = prefix[:-1]
    # 桥西区税务局 / 桥东区税务局 share 区税务局: the 区 belongs to the label
    while suffix and suffix[0] in _REGION_END:
        suffix = suffix[1:]
    out = []
    for name, level in zip(names, levels, strict=True):
        core = (
            name[len(prefix) : len(name) - len(suffix)]
            if len(name) > len(prefix) + len(suffix)
            else ""
        )
        out.append(core or LEVEL_LABELS.get(level, name))
    return out


def said_in(options: Sequence[PlaceOption], text: str) -> PlaceOption | None:
    """The implementation whose label the text names (桥西区, or 桥西 for short), if one."""
    found = [o for o in options if _names(o.label, text)]
    return found[0] if len(found) == 1 else None


def _names(label: str, text: str) -> bool:
    if len(label) < 2 or label in LEVEL_LABELS.values():
        return False
    if label in text:
        return True
    short = label[:-1] if label[-1] in _REGION_END else ""
    return len(short) >= 2 and short in text


def place_from_text(options: Sequence[PlaceOption], text: str) -> PlaceOption | None:
    """The citizen's answer to "您在哪个区办理？": a number from the list or a place's name."""
    choice = parse_choice(text, len(options))
    if choice is not None:
        return options[choice - 1] if choice > 0 else None
    return said_in(options, text)


def choose(
    options: Sequence[PlaceOption],
    hint: PlaceHint | None,
    halls: Mapping[str, HallSpot] | None = None,
) -> PlaceOption | None:
    """The implementation the hint points at, strongest evidence first (None: not known)."""
    if hint is None or len(options) < 2:
        return None
    if hint.region:
        named = [o for o in options if o.label == hint.region] or [
            o for o in options if _names(o.label, hint.region)
        ]
        if len(named) == 1:
            return named[0]
    if hint.hall_code and halls and hint.hall_code in halls:
        hall = halls[hint.hall_code]
        there = [o for o in options if o.task_code in hall.task_codes or o.center_name == hall.name]
        if len(there) == 1:
            return there[0]
    if hint.location and halls:
        return _nearest(options, hint.location, halls)
    return None


def _nearest(
    options: Sequence[PlaceOption],
    location: tuple[float, float],
    halls: Mapping[str, HallSpot],
) -> PlaceOption | None:
    """The implementation handled in the hall nearest to ``location`` (None: no hall of
    theirs has coordinates)."""
    best: tuple[float, PlaceOption] | None = None
    for hall in halls.values():
        if hall.lat is None or hall.lng is None:
            continue
        km = distance_km(location[0], location[1], hall.lat, hall.lng)
        for option in options:
            there = option.task_code in hall.task_codes or option.center_name == hall.name
            if there and (best is None or km < best[0]):
                best = (km, option)
    return best[1] if best is not None else None
