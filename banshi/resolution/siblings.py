"""Siblings: items named alike (居民身份证首次申领 / 换领 / 补领 / 挂失申报) that differ only in
the rest of their names.

When the citizen's words (or the actions the lexicon reads into them: 丢了 → 补领) point at
one sibling's distinguishing part, that sibling goes first. When nothing does, the sibling
named for the procedure itself answers: the general one beside its special cases
(城乡居民基本医疗保险参保登记 beside 新生儿…), or the one (社会保障卡申领, 个体工商户设立登记) left
when every other is named for a corrective action (挂失, 补领换领, 变更, 注销): people who lost,
changed or closed something, or who ask for a special case, say so. Otherwise the assistant
asks — also when the plain-looking sibling is qualified as the first time (居民身份证首次申领
beside 换领 and 补领: most adults asking about "办身份证" already had one). Scores alone do not
decide between siblings (one sibling with more aliases than the others would always win),
except by a wide margin when the words barely tell them apart (``_fits_best``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection

from banshi.resolution.applicants import applicants_in
from banshi.resolution.result import Candidate

MIN_SCORE = 4.0  # below this nothing fits: say so rather than guess
SIBLING_SHARED = 3  # names sharing a substring this long are siblings ...
SIBLING_RATIO = 0.5  # ... when both score at least this share of the best
SIBLING_MIN = 1.0  # evidence below this says nothing (1.0: one character only one sibling has)
SIBLING_MARGIN = 0.5  # a sibling this far behind the most-evidenced one is out of the running
SIBLING_READ = 0.5  # a character the lexicon read into the citizen's words counts half ...
SIBLING_DONE = 0.25  # ... and one in a clause about what they already did (已经挂失了) a quarter
# Among siblings the words barely tell apart, one that the whole question fits this much
# better than the others the words may mean answers (购房提取 for 按揭买房后提公积金): the same
# ratio that makes a runner-up a rival; when the words say nothing at all of their
# differences, a wider gap. A sibling named for the first time (首次申领) only by a wider one
# still (most people asking about 办身份证 already had one), and never siblings told apart by
# who applies (个体工商户 / 公司: :mod:`.applicants`).
SIBLING_FIT = 0.75
SILENT_FIT = 0.65
# A name qualified as the first time is not "the procedure itself": 首次申领 beside 换领 / 补领.
FIRST_TIME = ("首次", "初次", "新办", "首办")
# ... unless the others fit under this share of it (出生医学证明首次签发 for 出院时能先不办出生证吗:
# a newborn has none yet).
FIRST_FIT = 0.6
# A clause saying something is already done: 已经挂失了, 之前登记过, 早就办了.
_DONE = re.compile(r"已|早就|之前|以前|过了|完了|之后|以后")  # 已 covers 已经 and 早已
# What comes before 之后 / 以后 is done (挂失以后再补一张): a clause of its own.
_AFTER = re.compile(r"(?<=之后|以后)")
_CLAUSES = re.compile(r"[，,。.！!？?；;、\s]+")

Said = tuple[dict[str, float], list[str]]  # how strongly each character was said; actions read


def said(query: str, actions: list[str], filler: Collection[str]) -> Said:
    """How strongly the citizen said each character, for telling siblings apart.

    Their own characters count 1, those in a clause about something already done
    (社保卡已经挂失了，补卡去哪) count ``SIBLING_DONE``: what they did is not what they ask
    for. One-character filler (办, 要, 的 …) does not count.
    """
    chars: dict[str, float] = {}
    clauses = [part for clause in _CLAUSES.split(query) for part in _after(clause)]
    for clause in clauses:
        weight = SIBLING_DONE if _DONE.search(clause) else 1.0
        for ch in clause:
            if "\u4e00" <= ch <= "\u9fff" and ch not in filler:
                chars[ch] = max(chars.get(ch, 0.0), weight)
    return chars, actions


def _after(clause: str) -> list[str]:
    """``clause`` cut after each 之后 / 以后: 挂失以后 | 再补一张."""
    return [part for part in _AFTER.split(clause) if part]


def _tell_siblings(
    candidates: list[Candidate],
    names: list[tuple[str, ...]],
    matches: list[float],
    said: Said,
    corrective: Collection[str] = (),
    default: bool = True,
) -> tuple[list[int], set[str], set[str]] | None:
    """Order the best candidate's siblings by what the query says about their differences.

    Siblings are the candidates matching at least ``SIBLING_RATIO`` of the best's match (before
    the discount for an unsaid corrective action, so 挂失 stays a sibling of 首次申领 when
    neither is asked about) whose names share a run of whole words of ``SIBLING_SHARED``+
    characters with the best's (居民身份证, not the 证换领 that 残疾人证换领补办 and 居民身份证换领
    happen to share). Each sibling's distinguishing part is its name without the part all
    siblings share; a character the citizen said (or the lexicon read into their words) counts
    1 / (the number of siblings whose parts have it), so 补 (only 补领) outweighs 领 (申领, 换领,
    补领).

    ``default`` False: the question is about a topic (医保的事情), so no sibling answers for
    the procedure itself.

    Returns None when the best has no siblings; otherwise the new order of all candidates,
    every sibling's code, and the codes of the leaders: the one sibling the query points at,
    or all that it cannot tell apart (the assistant asks among those).
    """
    if len(candidates) < 2 or candidates[0].score < MIN_SCORE:
        return None
    shared: dict[int, str] = {}
    for k in range(min(6, len(candidates))):
        if k and matches[k] < SIBLING_RATIO * matches[0]:
            continue
        common = _common(names[0], names[k]) if k else "".join(names[0])
        if len(common) >= SIBLING_SHARED:
            shared[k] = common
    if len(shared) < 2:
        return None
    core = min(shared.values(), key=len)  # what all of them share with the best
    # the whole name, bracket notes included: （经营性道路客货运输驾驶员） tells 货车 apart
    texts = {k: re.sub(r"[（）()]", "", candidates[k].name).replace(core, "", 1) for k in shared}
    parts = {k: set(text) - set(core) for k, text in texts.items()}
    holders: dict[str, int] = defaultdict(int)
    for chars in parts.values():
        for ch in chars:
            holders[ch] += 1
    chars_said, actions = said
    evidence, own = {}, {}
    for k, chars in parts.items():
        hit = {ch: chars_said[ch] for ch in chars if ch in chars_said}
        own[k] = sum(weight / holders[ch] for ch, weight in hit.items())
        # an action counts only where its whole word is in the name (申请 says nothing of 申领)
        for action in (a for a in actions if a in texts[k]):
            for ch in set(action) & chars:
                hit[ch] = max(hit.get(ch, 0.0), SIBLING_READ)
        evidence[k] = sum(weight / holders[ch] for ch, weight in hit.items())
    top = max(evidence.values())
    plain = _plain(texts, corrective) if default else None
    if top == 0.0 and plain is not None:
        leaders = [plain]  # nothing said of a loss, a change or a closing: the procedure itself
    elif top < SIBLING_MIN:
        # little said about what sets them apart: the one the whole question fits far better,
        # or all of them
        fit = _fits_best(shared, evidence, own, matches, texts, actions) if default else None
        leaders = [fit] if fit is not None else sorted(shared)
    else:
        leaders = sorted(
            (k for k in shared if evidence[k] > top - SIBLING_MARGIN),
            key=lambda k: (-evidence[k], k),
        )
        if any(own[k] >= SIBLING_MIN for k in leaders):
            # what the citizen said outweighs what the lexicon read in: 证件掉了想再补个新的
            # is about 补领, though 掉了 reads as 挂失 too
            leaders = [k for k in leaders if own[k] > 0.0]
    slots = sorted(shared)
    order = list(range(len(candidates)))
    for slot, k in zip(slots, [*leaders, *(k for k in slots if k not in leaders)], strict=True):
        order[slot] = k
    return (
        order,
        {candidates[k].task_code for k in shared},
        {candidates[k].task_code for k in leaders},
    )


def _fits_best(
    shared: dict[int, str],
    evidence: dict[int, float],
    own: dict[int, float],
    matches: list[float],
    texts: dict[int, str],
    actions: list[str],
) -> int | None:
    """The sibling the question fits far better than the others it might mean (those with
    about the most evidence, all of them when there is none), or None. Not when the lexicon
    alone read several of those into the words: a lost card means 挂失 as much as 补领,
    however the two guides happen to be worded."""
    top = max(evidence[k] for k in shared)
    pool = [k for k in shared if evidence[k] > top - SIBLING_MARGIN]
    read = [k for k in pool if any(action in texts[k] for action in actions)]
    if len(read) > 1 and not any(own[k] for k in pool):
        return None
    best = max(pool, key=lambda k: matches[k])
    if any(matches[k] > matches[best] for k in shared):
        return None  # a sibling the words do not point at fits better: ask
    if applicants_in([texts[best]]) and applicants_in(texts[k] for k in pool if k != best):
        return None  # 个体工商户 or 公司: who the citizen is decides (:mod:`.applicants`)
    ratio = SIBLING_FIT if top > 0.0 else SILENT_FIT
    if any(w in texts[best] for w in FIRST_TIME):
        ratio = min(ratio, FIRST_FIT)  # most people asking about 办身份证 already had one
    if all(matches[k] < ratio * matches[best] for k in pool if k != best):
        return best
    return None


def _plain(texts: dict[int, str], corrective: Collection[str]) -> int | None:
    """The one sibling named for the procedure itself: the one named by what all share
    (城乡居民基本医疗保险参保登记 beside 新生儿城乡居民基本医疗保险参保登记), or the one left when every
    other sibling is named for a corrective action (its distinguishing part holds one); None
    otherwise."""
    general = [k for k, text in texts.items() if not text.strip()]
    if len(general) == 1:
        return general[0]
    fixing = {k for k, text in texts.items() if any(word in text for word in corrective)}
    plain = [
        k
        for k, text in texts.items()
        if k not in fixing and not any(word in text for word in FIRST_TIME)
    ]
    if len(plain) == 1 and len(fixing) == len(texts) - 1:
        return plain[0]
    return None


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    """The longest run of whole words two names share, as text."""
    best = ""
    for i in range(len(a)):
        for j in range(len(b)):
            n = 0
            while i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
                n += 1
            run = "".join(a[i : i + n])
            if len(run) > len(best):
                best = run
    return best
