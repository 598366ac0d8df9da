"""子项 named by a bracket note: 普通护照签发（变更）, 普通护照签发（港澳台居民）.

A provincial catalog splits many 事项 into sub-items whose names are the main item's name and
a note. A citizen asking about the 事项 (护照办理收费吗) says nothing of the note, and a list
of fifteen near-identical names is no answer: the main item stands for its sub-items unless
the question speaks to a note (港澳台居民办护照, 护照丢了补领 …), which then decides.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from banshi.models import STATE_CANCELLED
from banshi.resolution.siblings import Said

_TRAILING_NOTE = re.compile(r"^(.+?)[（(]([^（）()]+)[）)]$")
SPOKEN_SHARE = 0.5
SHARED = 3  # main items whose names start alike are one family (居民身份证…)  # a note is spoken when the question says this share of its own characters


def parents(names: Sequence[str], states: Sequence[str]) -> list[int]:
    """For each item, the main item its name adds a note to (-1: none in the catalog)."""
    by_name: dict[str, int] = {}
    for k, (name, state) in enumerate(zip(names, states, strict=True)):
        if state != STATE_CANCELLED:
            by_name.setdefault(name, k)
    out = []
    for name in names:
        match = _TRAILING_NOTE.match(name)
        out.append(by_name.get(match.group(1).strip(), -1) if match else -1)
    return out


def spoken(name: str, parent_name: str, said: Said, filler: Collection[str]) -> bool:
    """Whether the question speaks to the note that sets ``name`` apart from its parent."""
    match = _TRAILING_NOTE.match(name)
    if not match:
        return True
    note = match.group(2)
    chars_said, actions = said
    own = {ch for ch in note if ch not in parent_name and ch not in filler}
    if not own:
        return False  # the note repeats the name: 首次申领（首次办理）
    if any(action in note and own & set(action) for action in actions):
        return True  # 丢了 reads as 补领, and the note is （补领）
    heard = sum(1 for ch in own if ch in chars_said)
    return heard >= max(1, SPOKEN_SHARE * len(own))


def _named_elsewhere(name: str, parent_name: str, mains: Sequence[str]) -> bool:
    """Whether another main item of the family is named for what the note says: the
    question 身份证丢了补办 is about 居民身份证补领, not 居民身份证换领（补领）."""
    match = _TRAILING_NOTE.match(name)
    if not match:
        return False
    note = match.group(2)
    family = parent_name[:SHARED]
    return any(m != parent_name and note in m and m.startswith(family) for m in mains)


def fold(
    order: Sequence[int],
    parent: Sequence[int],
    names: Sequence[str],
    said: Said,
    filler: Collection[str],
    limit: int,
) -> tuple[list[int], dict[int, int]]:
    """The first ``limit`` of ``order`` with every sub-item whose note was not spoken
    replaced by its main item (first place kept, no repeats); also which sub-item each main
    item stands in for."""
    out: list[int] = []
    seen: set[int] = set()
    stands_for: dict[int, int] = {}
    mains = [names[i] for i in order[: 3 * limit] if parent[i] < 0]
    for i in order:
        k = parent[i]
        if k >= 0 and not spoken(names[i], names[k], said, filler):
            stands_for.setdefault(k, i)
            i = k
        elif k >= 0 and _named_elsewhere(names[i], names[k], mains):
            continue
        if i not in seen:
            seen.add(i)
            out.append(i)
            if len(out) == limit:
                break
    return out, stands_for
