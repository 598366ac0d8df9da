"""What a material's HANDLE_CASE means for the chosen 办理情形: needed, not needed, or ask.

A situation is named in a condition by its full name, its name without the bracket note, or
its core (the name minus the prefix/suffix shared by the item's situations; a one-character
core only with a neighbour: 二孩); "X除外" excludes X; a condition with nothing but situation
words follows from the situation and is not asked. Errs on asking, never on omitting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from banshi.models import (
    Item,
    Material,
)


class Need(str, Enum):
    """What a material's HANDLE_CASE means for the chosen situation."""

    APPLIES = "applies"  # the material is needed; nothing to ask
    NOT_NEEDED = "not_needed"  # it only concerns other situations
    ASK = "ask"  # only the citizen knows: ask


_BRACKETED = re.compile(r"（[^（）]*）|\([^()]*\)")
_EDGE = "（）()「」“”\"' "
_SEPARATOR = re.compile(r"或者|或|、|，|,|；|;")
_EXCLUSION = re.compile(r"[（(]([^（）()]*?)除外[）)]|[，,；;]([^，,；;（）()]*?)除外")
_NEGATION = "非不未无除"
_FILLER = re.compile(r"办理|申请|申领|或者|或|及|和|与|的|[、，,；;（）()“”\s]")
_COMBINED = "同时"  # 两项补贴同时申领: a situation that is the others together


@dataclass(frozen=True)
class _Alternative:
    """One alternative of a condition ("A或B", "A、B" hold when either holds)."""

    linked: frozenset[int] | None  # the situations it can hold in; None: any situation
    settled: bool  # it holds in every linked situation without asking


def _affixes(names: Sequence[str]) -> tuple[str, str]:
    """The prefix and suffix shared by all names (empty for fewer than two names)."""
    if len(names) < 2:
        return "", ""
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    suffix = names[0]
    for name in names[1:]:
        while not name.endswith(suffix):
            suffix = suffix[1:]
    shortest = min(len(n) for n in names)
    if len(prefix) + len(suffix) > shortest:  # the affixes overlap inside the shortest name
        suffix = suffix[len(prefix) + len(suffix) - shortest :]
    return prefix, suffix


@lru_cache(maxsize=512)
def situation_keys(situations: tuple[str, ...]) -> dict[str, frozenset[int]]:
    """Words that name situations, each with the situations it names.

    A situation is named by its name, its name without a bracketed note (换发（信息有误…）
    → 换发) and its distinctive core: the name minus the prefix and suffix all the item's
    situations share (有效期满 in 有效期满换领 / 证件损坏换领). A one-character core
    (一孩 / 二孩 / 三孩) only counts together with the neighbouring shared character.
    """
    keys: dict[str, set[int]] = {}
    bases = tuple(_BRACKETED.sub("", n) or n for n in situations)
    for group in (situations, bases):
        prefix, suffix = _affixes(group)
        for i, name in enumerate(group):
            keys.setdefault(name, set()).add(i)
            if len(group) < 2:
                continue
            core = name[len(prefix) : len(name) - len(suffix)].strip(_EDGE)
            if len(core) >= 2:
                keys.setdefault(core, set()).add(i)
            elif len(core) == 1:
                if prefix:
                    keys.setdefault(prefix[-1] + core, set()).add(i)
                if suffix:
                    keys.setdefault(core + suffix[0], set()).add(i)
    return {k: frozenset(v) for k, v in keys.items()}


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    linked: frozenset[int]


def named_spans(text: str, keys: Mapping[str, frozenset[int]]) -> list[_Span]:
    """Non-overlapping mentions of situations in ``text``, longest words first.

    A mention right after a negation (非本市户籍…) does not link: it means the opposite.
    """
    taken = [False] * len(text)
    found: list[_Span] = []
    for key in sorted(keys, key=len, reverse=True):
        start = text.find(key)
        while start != -1:
            end = start + len(key)
            negated = start > 0 and text[start - 1] in _NEGATION
            if not negated and not any(taken[start:end]):
                found.append(_Span(start, end, keys[key]))
                taken[start:end] = [True] * (end - start)
            start = text.find(key, start + 1)
    return sorted(found, key=lambda s: s.start)


def _strip_shared(text: str, names: Sequence[str]) -> str:
    """Remove from ``text`` every word (2+ characters) that all ``names`` contain."""
    while True:
        best = ""
        for i in range(len(text)):
            for j in range(len(text), i + max(1, len(best)), -1):
                if j - i >= 2 and all(text[i:j] in n for n in names):
                    best = text[i:j]
                    break
        if not best:
            return text
        text = text.replace(best, "", 1)


def _alternatives(text: str, keys: Mapping[str, frozenset[int]]) -> list[str]:
    """``text`` split at 或 / 、 / ， — but never inside a situation's name."""
    spans = {s.start: s for s in named_spans(text, keys)}
    parts: list[str] = []
    start = i = 0
    while i < len(text):
        if i in spans:
            i = spans[i].end
            continue
        separator = _SEPARATOR.match(text, i)
        if separator:
            parts.append(text[start:i])
            start = i = separator.end()
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _complete(parts: Sequence[str], n: int, keys: Mapping[str, frozenset[int]]) -> str:
    """Undo the ellipsis of "正本或副本遗失" (= 正本遗失 or 副本遗失) and "补领结婚证或离婚证":
    borrow the neighbour's tail or head when that makes a situation's name appear."""
    part = parts[n]
    if n + 1 < len(parts):
        after = parts[n + 1]
        for k in range(1, len(after)):
            candidate = part + after[k:]
            if any(s.start < len(part) < s.end for s in named_spans(candidate, keys)):
                return candidate
    if n > 0:
        before = parts[n - 1]
        for k in range(len(before) - 1, 0, -1):
            candidate = before[:k] + part
            if any(s.start < k < s.end for s in named_spans(candidate, keys)):
                return candidate
    return part


@lru_cache(maxsize=4096)
def _analyse(situations: tuple[str, ...], case: str) -> tuple[_Alternative, ...]:
    """How a condition relates to the situations; see :func:`decide`."""
    keys = situation_keys(situations)
    everyone = frozenset(range(len(situations)))
    excluded: set[int] = set()
    for match in _EXCLUSION.finditer(case):
        for span in named_spans(match.group(1) or match.group(2) or "", keys):
            excluded |= span.linked
    parts = _alternatives(_EXCLUSION.sub("", case), keys)

    alternatives = []
    for n, part in enumerate(parts):
        found = named_spans(part, keys)
        if not found:
            part = _complete(parts, n, keys)
            found = named_spans(part, keys)
        rest = part
        for span in reversed(found):
            rest = rest[: span.start] + rest[span.end :]
        linked: frozenset[int] | None
        if found:
            linked = frozenset().union(*(s.linked for s in found)) - excluded
        elif excluded:
            linked = everyone - excluded
        elif _FILLER.sub("", rest):
            linked = None
        else:
            continue  # a fragment such as "办理" carries no meaning of its own
        if linked is not None:
            combined = {
                j
                for j, name in enumerate(situations)
                if _COMBINED in name and j not in excluded and linked - {j}
            }
            linked = linked | combined
            rest = _strip_shared(rest, [situations[j] for j in linked] or list(situations))
        settled = linked is not None and not _FILLER.sub("", rest)
        alternatives.append(_Alternative(linked, settled))
    return tuple(alternatives) or (_Alternative(None, False),)


def decide(situations: Sequence[str], case: str, situation: str | None) -> Need:
    """Whether a material with HANDLE_CASE ``case`` is needed in ``situation``.

    Returns a :class:`Need`. The rule:

    - empty → always needed; a situation's name → needed in that situation only;
    - otherwise a condition. Its alternatives ("A或B", "A、B") are read separately. A
      situation named in an alternative (see :func:`situation_keys`) links it to that situation; an
      "（X除外）" clause unlinks X, and with no situation named links all the others. An
      alternative with nothing left but situation words and fillers (办理、申请、的) follows
      from the situation (办理二孩、三孩生育登记的; 延续注册或变更注册的); one with more
      words is asked, but only in its linked situations (逾期首次注册…); one naming no
      situation is asked in all. "正本或副本遗失" is read as 正本遗失 or 副本遗失, and a
      situation that is the others together (两项补贴同时申领) goes with any of them.

    With ``situation`` None (the item has none, or it does not matter), a decision that
    differs between situations is :attr:`Need.ASK`.
    """
    if not case:
        return Need.APPLIES
    names = tuple(situations)
    if situation is None:
        if not names:
            return Need.ASK
        decisions = {decide(names, case, name) for name in names}
        return decisions.pop() if len(decisions) == 1 else Need.ASK
    if situation not in names:
        raise ValueError(f"「{situation}」不是本事项的办理情形")
    if case in names:
        return Need.APPLIES if case == situation else Need.NOT_NEEDED
    chosen = names.index(situation)
    alternatives = _analyse(names, case)
    if any(a.settled and a.linked is not None and chosen in a.linked for a in alternatives):
        return Need.APPLIES
    if any(a.linked is None or chosen in a.linked for a in alternatives):
        return Need.ASK
    return Need.NOT_NEEDED


def situation_names(item: Item) -> tuple[str, ...]:
    return tuple(s.name for s in item.situations)


def material_cases(item: Item) -> list[str]:
    """The item's HANDLE_CASE values, each once, in the order of its materials."""
    return list(dict.fromkeys(m.handle_case for m in item.materials if m.handle_case))


def situation_matters(item: Item) -> bool:
    """Whether the choice of situation changes the list of materials or the questions."""
    names = situation_names(item)
    if len(names) < 2:
        return False
    return any(len({decide(names, c, n) for n in names}) > 1 for c in material_cases(item))


def select_materials(
    names: tuple[str, ...],
    cases: Sequence[str],
    situation: str | None,
    conditions: Mapping[str, bool | None],
) -> list[tuple[int, str | None]]:
    """Indexes of the materials on the notice, each with the condition it still depends on
    (the citizen was not sure, or was not asked) or None."""
    listed: list[tuple[int, str | None]] = []
    for i, case in enumerate(cases):
        decision = decide(names, case, situation)
        if decision is Need.APPLIES:
            listed.append((i, None))
        elif decision is Need.ASK:
            answer = conditions.get(case)
            if answer is None:
                listed.append((i, case))
            elif answer:
                listed.append((i, None))
    return listed


def materials_for(
    item: Item, situation: str | None, conditions: Mapping[str, bool | None]
) -> list[tuple[Material, str | None]]:
    """The item's materials for this case: (material, condition it still depends on or None)."""
    names = situation_names(item)
    if situation is None and len(names) == 1:
        situation = names[0]
    cases = [m.handle_case for m in item.materials]
    return [
        (item.materials[i], c) for i, c in select_materials(names, cases, situation, conditions)
    ]
