"""Scoring a question against the index and deciding what to do with the result.

The query is normalised, expanded with the curated lexicon (二手房 → 存量房, 丢了 → 补领) and
scored with BM25 over weighted fields. Siblings are then ordered by what the citizen said
(:mod:`banshi.resolution.siblings`), rivals the words cannot tell apart are asked about, and
a match resting only on generic words is no match.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from banshi.catalog import HallSpot
from banshi.lexicon import Lexicon
from banshi.resolution import places, subitems
from banshi.resolution.applicants import applicants_in, says_who, without_applicant
from banshi.resolution.index import K1, NAMING_WEIGHT, Doc, FloatArray, IntArray, ItemIndex
from banshi.resolution.result import Candidate, Decision, PlaceHint, PlaceOption, Resolution
from banshi.resolution.siblings import FIRST_TIME, MIN_SCORE, _tell_siblings, said
from banshi.text import mainland_wording, normalize_message

TERM_WEIGHT = 0.3  # formal terms for colloquial nouns (二手房 → 存量房)
WORDING_WEIGHT = 0.8  # mainland wording of Taiwan words (計程車 → 出租车)
ACTION_WEIGHT = 0.6  # formal actions for colloquial verbs (丢了 → 补领): what tells items apart
# Actions read into the citizen's words add at most this share of what their own words matched:
# they tell items apart, they do not find one (刚出世的孩子上户口 reads as 首次申领, which must
# not make 社会保障卡申领 the answer).
ACTION_SHARE = 0.5
# An item named for a corrective action (补证换证, 遗失补领, 变更, 注销) that the citizen does not
# mention scores this much of its match: asking for a replacement or a change, people say so
# (出生医学证明在哪领 is about 首次签发 before 补发换发).
UNSAID_CORRECTIVE = 0.8

# ... and when it is the best all the same though named for a replacement (of something lost,
# broken or expired: people say so; a change or a closing they often describe instead, 股东转股权),
# a runner-up named for no corrective action scoring this share of it is asked about beside it.
UNSAID_RIVAL = 0.4
REPLACEMENTS = ("补领", "补发", "补证", "补办", "换领", "换发", "换证", "挂失")

# A runner-up named like the best but for another applicant (:mod:`.applicants`), scoring
# this share of it, is asked about when the citizen does not say who they are.
APPLICANT_RATIO = 0.4

OFFERED_RATIO = 0.5  # an item scoring this share of the best fits the question too

# Decision thresholds (see eval/resolution_eval.py for how they were chosen).
MIN_EVIDENCE = 5.0  # ... and the best must match this much of specific (not generic) words
GENERIC_SHARE = 0.1  # a feature naming more than this share of items is generic ...
# ... and more than this many: in a county's catalog of 40 items, the 公积金 that names five of
# them is what the citizen asks about, not a word like 申请 or 登记
GENERIC_FLOOR = 6
RIVAL_RATIO = 0.75  # a runner-up scoring this close to the best ...
RIVAL_DISTINCT = 0.25  # ... that misses at most this share of what the best matched is a rival
# A question about which items to do: 要办哪些手续, 能申请啥补助, 要办什么证件.
# Not 要带什么证件 or 需要啥证明: those ask what to bring for one item.
# Also without the noun when 些 / 点 says several (失业了，该办些啥), and in dialect (啥子).
_WHICH = re.compile(
    r"(办|申请|申领|领)(点|些)?(啥子|啥|什么|哪些|哪几[个样项])(证|证件|手续|补助|补贴|业务|事项)"
    r"|(办|申请|申领)(点|些)(啥子|啥|什么)(?=$|[，,。.？?！!；;\s]|呢|啊|哦|嘛)"
)
WHICH_RATIO = 0.33
# A topic rather than a procedure: 医保的事情, 个体户的事, 户口方面的问题. Its siblings are asked
# about; none answers as "the procedure itself".
_TOPIC = re.compile(r"(的|方面的?|相关的?|有关的?)(事|事情|问题|业务|手续)")
_UNTOUCHED = np.iinfo(np.int64).max

Matched = dict[int, float]  # feature id -> what it weighed in the query (qweight × idf)


def search(
    index: ItemIndex,
    text: str,
    limit: int = 10,
    hint: PlaceHint | None = None,
    halls: Mapping[str, HallSpot] | None = None,
) -> Resolution:
    featurizer = index.featurizer
    query = normalize_message(text)
    q = featurizer.features(query)
    terms, actions = featurizer.expand(query)
    worded = mainland_wording(text, query)  # 開計程車 → 开出租车, alongside 开计程车
    read = featurizer.features_of(actions)
    expansion: dict[str, float] = {}
    for features, weight in (
        (featurizer.features_of(terms), TERM_WEIGHT),
        (read, ACTION_WEIGHT),
        (featurizer.features_of([worded]), WORDING_WEIGHT),
        (featurizer.features_of(index.misheard(query)), WORDING_WEIGHT),
    ):
        for feature in features:
            expansion[feature] = max(expansion.get(feature, 0.0), weight)
    read_in = read - q.keys()  # what only the actions read into the words bring
    # The citizen's own action words (第一次办, 丢了) tell items apart like the actions read
    # from them; matched in an item not named for them (an alias 第一次办身份证), they do not
    # find the item: 居住证第一次办要钱吗 is about 居住证, not the ID card.
    typed = [w for w in featurizer.action_words(query) if _event(index.lexicon, w)]
    typed_own = featurizer.features_of(typed) & q.keys()
    for feature, weight in expansion.items():
        if feature not in q:  # a lexicon term adds what the citizen's words lack, at a discount
            q[feature] += weight

    n = len(index.docs)
    scores = np.zeros(n)
    acted = np.zeros(n)  # of which from actions read into the words
    loose = np.zeros(n)  # of which from the action words typed
    first = np.full(n, _UNTOUCHED, dtype=np.int64)  # the feature that first matched each
    weights: list[tuple[int, float]] = []
    for k, (feature, qtf) in enumerate(q.items()):
        fid = index.vocab.get(feature)
        if fid is None or index.post_ptr[fid] == index.post_ptr[fid + 1]:
            continue
        start, end = index.post_ptr[fid], index.post_ptr[fid + 1]
        docs, tf = index.post_docs[start:end], index.post_tfs[start:end]
        idf = float(index.idf[fid])
        qweight = min(qtf, 2.0)
        gain = qweight * idf * tf * (K1 + 1) / (tf + index.norms[docs])
        scores[docs] += gain
        if feature in read_in:
            acted[docs] += gain
        elif feature in typed_own:
            loose[docs] += gain
        fresh = docs[first[docs] == _UNTOUCHED]
        first[fresh] = k
        weights.append((fid, qweight * idf))
    touched = np.flatnonzero(first != _UNTOUCHED)
    scores, matches = _share_actions(index, query, scores, acted, loose, typed, touched)
    heard_said = said(query, actions, featurizer.filler)
    # siblings are judged on their matches before the corrective discount, with the action
    # words typed in full: 身份证芯片坏了 fits the 换领 whose alias says 身份证坏了
    heard = set(heard_said[0]).union(*actions)
    if index.has_corrective.any():
        spoken_for = np.zeros(n, dtype=bool)
        for ch in heard & index.corrective_docs.keys():
            spoken_for |= index.corrective_docs[ch]
        scores[index.has_corrective & ~spoken_for] *= UNSAID_CORRECTIVE

    order = touched[np.lexsort((touched, first[touched], -scores[touched]))]
    keep = ~index.states_cancelled[order] | (scores[order] >= MIN_SCORE * 2)
    ranked, stands_for = subitems.fold(
        order[keep].tolist(), index.parent, index.names, heard_said, featurizer.filler, limit
    )
    for main, sub in stands_for.items():  # the main item answers for what its 子项 matched
        scores[main] = max(scores[main], scores[sub])
        matches[main] = max(matches[main], matches[sub])
    docs_of = [index.docs[i] for i in ranked]
    chosen = [_place(doc, query, hint, halls) for doc in docs_of]
    candidates = [
        Candidate(
            choice.task_code if choice else doc.task_code,
            doc.name,
            doc.state,
            round(float(scores[i]), 3),
        )
        for i, doc, choice in zip(ranked, docs_of, chosen, strict=True)
    ]
    matched = [_matched(index.docs[i], weights) for i in ranked]
    asked_for = _asked_for(query, actions, index.lexicon.corrective)
    promoted = _corrective_first(candidates, matched, asked_for)
    if promoted:
        _to_front(promoted, ranked, candidates, matched, chosen)
    rivals = _unlike(_rivals(candidates, matched), candidates, asked_for, index.lexicon.corrective)
    told = _tell_siblings(
        candidates,
        [d.words for d in docs_of],
        [float(matches[i]) for i in ranked],
        heard_said,
        index.lexicon.corrective,
        default=not _TOPIC.search(query),
    )
    if told is not None:
        order_of, siblings, leaders = told
        ranked = [ranked[k] for k in order_of]
        candidates = [candidates[k] for k in order_of]
        matched = [matched[k] for k in order_of]
        chosen = [chosen[k] for k in order_of]
        rivals = [r for r in rivals if r.task_code not in siblings]
        rivals += [c for c in candidates[1:] if c.task_code in leaders]
        # A sibling promoted from far behind does not pass an item that fits the citizen's
        # words better: the family may be the wrong one, so the assistant asks.
        passed = next(
            (
                k
                for k, c in enumerate(candidates)
                if c.task_code not in siblings
                and c.score > candidates[0].score
                and _unlike([c], candidates, asked_for)
            ),
            None,
        )
        if passed is not None:
            _to_front(passed, ranked, candidates, matched, chosen)
            rivals = [c for c in candidates[1:] if c.task_code in leaders]
    unsure = _unsaid_replacement(candidates, asked_for, heard, index.lexicon.corrective)
    if not says_who(query) and len(applicants_in(terms)) != 1:
        # nor read from their words (小店 → 个体工商户): 营业执照注销 may be either
        unsure += _applicants(candidates)
    rivals += [c for c in unsure if c not in rivals]
    if _WHICH.search(query) and candidates and candidates[0].score >= MIN_SCORE:
        # "要办哪些手续" asks which items: offer the ones that fit, do not pick one
        rivals = [c for c in candidates[1:4] if c.score >= WHICH_RATIO * candidates[0].score]
    decision = _decide(candidates, rivals)
    if decision is not Decision.NONE and (
        _evidence(index, matched[0], index.docs[ranked[0]]) < MIN_EVIDENCE
        or not _named(index, matched[0], index.docs[ranked[0]])
    ):
        decision = Decision.NONE  # only generic words matched (申请, 登记, 办理 …)
    not_offered = decision is not Decision.NONE and _not_offered(
        index, query, candidates, index.docs[ranked[0]]
    )
    if not_offered:
        decision = Decision.NONE
    result = Resolution(candidates, decision, query, rivals, not_offered=not_offered)
    if decision is Decision.ONE and index.docs[ranked[0]].places:
        result.places = list(index.docs[ranked[0]].places)
        result.place_known = chosen[0] is not None
    return result


def _share_actions(
    index: ItemIndex,
    query: str,
    scores: FloatArray,
    acted: FloatArray,
    loose: FloatArray,
    typed: list[str],
    touched: IntArray,
) -> tuple[FloatArray, FloatArray]:
    """Scores with what actions matched capped at ``ACTION_SHARE`` of the rest: the actions
    read into the words, and the action words typed where the item is not named for them
    (the typed ones still find an item when nothing else the citizen said does: 第一次办要带啥,
    unless the citizen named a thing no item is called by: 手机丢了 is not a licence's 遗失补领);
    and the matches with only the read actions capped."""
    rest = scores - acted
    capped = rest + np.minimum(acted, ACTION_SHARE * rest)
    if not typed or not loose.any():
        return capped, capped.copy()
    named = np.zeros(len(scores), dtype=bool)
    for word in typed:
        named |= index.named_for(word)
    loose = np.where(named, 0.0, loose)
    rest = scores - acted - loose
    strict = rest + np.minimum(acted + loose, ACTION_SHARE * rest)
    if (touched.size and strict[touched].max() >= MIN_SCORE) or _unknown_thing(index, query, typed):
        return strict, capped
    return capped, capped.copy()


def _unknown_thing(index: ItemIndex, query: str, typed: list[str]) -> bool:
    """Whether the citizen named a thing no item is called by (手机, 商家): a common noun of its
    own, not a procedure's name left out, nor a time, a place or a person (昨天丢了咋办)."""
    stop = index.lexicon.stopwords
    for word in index.featurizer.nouns(query):
        if len(word) < 2 or word in stop or any(t in word for t in typed):
            continue
        fid = index.vocab.get("w:" + word)
        if fid is None or index.naming[fid] == 0:
            return True
    return False


def _event(lexicon: Lexicon, word: str) -> bool:
    """Whether an action word speaks of an event that tells siblings apart (丢了: 补领 or 挂失;
    第一次办: 首次申领) rather than of what the procedure is for (过户, 买房)."""
    return any(
        formal in lexicon.corrective or any(w in formal for w in FIRST_TIME)
        for formal in lexicon.actions.get(word, ())
    )


def _to_front(k: int, *rows: list[Any]) -> None:
    """Move entry ``k`` of each parallel list to the front."""
    for row in rows:
        row.insert(0, row.pop(k))


def _place(
    doc: Doc, query: str, hint: PlaceHint | None, halls: Mapping[str, HallSpot] | None
) -> PlaceOption | None:
    """The implementation the question names (桥西区怎么办) or the hint points at."""
    if not doc.places:
        return None
    return places.said_in(doc.places, query) or doc.representative(hint, halls)


def _matched(doc: Doc, weights: list[tuple[int, float]]) -> Matched:
    if not weights:
        return {}
    fids = np.array([f for f, _ in weights], dtype=np.int64)
    present = np.isin(fids, doc.fids)
    return {fid: w for (fid, w), hit in zip(weights, present.tolist(), strict=True) if hit}


def _evidence(index: ItemIndex, matched: Matched, doc: Doc) -> float:
    """How much of a match rests on specific words rather than generic ones, and on what
    the item is called rather than what its conditions and FAQs happen to mention: 家里 in
    a 低保 condition does not make 家里下水道堵了 a 低保 question."""
    limit = generic_limit(index)
    return sum(
        w * min(1.0, doc.tf(f) / NAMING_WEIGHT)
        for f, w in matched.items()
        if index.naming[f] <= limit
    )


def generic_limit(index: ItemIndex) -> float:
    """How many items a feature may name and still be specific."""
    return max(GENERIC_FLOOR, GENERIC_SHARE * len(index.docs))


def _named(index: ItemIndex, matched: Matched, doc: Doc) -> bool:
    """Whether a specific word of the question is in what the item is called (its name,
    aliases, situations or result), not only in its conditions or FAQs: 宅基地 in the
    conditions of 人民调解 (房屋宅基地纠纷) does not make 宅基地盖房子的审批 a 调解 question."""
    limit = generic_limit(index)
    return any(doc.tf(f) >= NAMING_WEIGHT and index.naming[f] <= limit for f in matched)


def _rivals(candidates: list[Candidate], matched: list[Matched]) -> list[Candidate]:
    """Runner-ups the query cannot tell from the best one.

    A runner-up is a rival when it scores close to the best *and* the query words that the best
    matched are (nearly) all matched by it too: nothing the citizen said tells them apart, so
    the assistant must ask rather than guess (身份证 → 首次申领 / 换领 / 补领 / 挂失).
    """
    if len(candidates) < 2 or candidates[0].score < MIN_SCORE:
        return []
    best, mass = candidates[0].score, sum(matched[0].values()) or 1.0
    rivals = []
    for candidate, features in zip(candidates[1:6], matched[1:6], strict=False):
        distinct = sum(w for f, w in matched[0].items() if f not in features) / mass
        if candidate.score >= RIVAL_RATIO * best and distinct <= RIVAL_DISTINCT:
            rivals.append(candidate)
    return rivals


def _asked_for(query: str, actions: list[str], corrective: Collection[str]) -> set[str]:
    """The corrective actions the citizen typed or the lexicon read into their words."""
    return {w for w in corrective if w in query or w in actions}


def _corrective_first(
    candidates: list[Candidate], matched: list[Matched], asked_for: set[str]
) -> int:
    """The runner-up to put first, or 0: a rival of the best that is named for the corrective
    action asked for while the best is named for none (a company that moved and must 变更 its
    registered address wants 公司变更登记, however much 设立登记's guide talks of 住所)."""
    if not asked_for or not candidates or any(w in candidates[0].name for w in asked_for):
        return 0
    for candidate in _rivals(candidates, matched):
        if any(w in candidate.name for w in asked_for):
            return candidates.index(candidate)
    return 0


def _unlike(
    rivals: list[Candidate],
    candidates: list[Candidate],
    asked_for: set[str],
    corrective: Collection[str] = (),
) -> list[Candidate]:
    """Rivals without the corrective action the citizen asked for and the best is named for:
    补领离婚证 is about 补领婚姻登记证, not 离婚登记, however close their scores."""
    if not rivals:
        return rivals
    best = candidates[0].name
    rivals = [r for r in rivals if all(w in r.name for w in asked_for if w in best)]
    if any(w in best for w in corrective):
        return rivals
    # nor, beside a best named for no corrective action, a rival named for one nobody asked
    # for: 结婚证当天能拿到吗 is about 结婚登记, not 补领婚姻登记证
    return [r for r in rivals if not any(w in r.name and w not in asked_for for w in corrective)]


def _applicants(candidates: list[Candidate]) -> list[Candidate]:
    """Runner-ups named like the best but for another applicant (公司注销登记 beside
    个体工商户注销登记), scoring at least ``APPLICANT_RATIO`` of it: for a citizen who did not
    say which they are, however much better one guide's wording fits."""
    if not candidates:
        return []
    best = candidates[0]
    plain = without_applicant(best.name)
    if plain == best.name:
        return []
    return [
        c
        for c in candidates[1:4]
        if c.score >= APPLICANT_RATIO * best.score
        and c.name != best.name
        and without_applicant(c.name) == plain
    ]


def _unsaid_replacement(
    candidates: list[Candidate], asked_for: set[str], heard: set[str], corrective: Collection[str]
) -> list[Candidate]:
    """When the best is named for a replacement nobody spoke of (婚姻登记要带啥 finds
    补领婚姻登记证 by its name), the runner-ups named for no corrective action, scoring at
    least ``UNSAID_RIVAL`` of it: they are asked about beside it."""
    if not candidates:
        return []
    held = [w for w in REPLACEMENTS if w in candidates[0].name]
    # spoken of: the word asked for, or its first character said (补, 换)
    if not held or any(w in asked_for or w[0] in heard for w in held):
        return []
    return [
        c
        for c in candidates[1:4]
        if c.score >= UNSAID_RIVAL * candidates[0].score
        and not any(w in c.name for w in corrective)
    ]


def _not_offered(index: ItemIndex, query: str, candidates: list[Candidate], doc: Doc) -> bool:
    """Whether the citizen typed a corrective action that no item found is for: a 延续 of a
    licence when the catalog holds only its 新办. The best item must not be named for any
    corrective action (its own 补领 or 换证 answers, whatever word the citizen used), nor speak
    of the typed one where it is named (aliases, situations: a passport's 补发 is
    普通护照签发's own business), and no item found may be named for it."""
    corrective = index.lexicon.corrective
    typed = [w for w in corrective if w in query]
    if not typed or any(w in candidates[0].name for w in corrective):
        return False
    # an item named for it among those that fit (职业技能等级证书查询与补发 far behind
    # 教师资格认定 does not make 教师资格证补发 one)
    fitting = [c for c in candidates if c.score >= OFFERED_RATIO * candidates[0].score]
    # ... by the typed word or the formal one it stands for (补办: 居民身份证补领)
    meant = {*typed, *(f for w in typed for f in index.lexicon.actions.get(w, ()))}
    if any(w in c.name for c in fitting for w in meant):
        return False
    for word in typed:
        fid = index.vocab.get("b:" + word) if len(word) == 2 else index.vocab.get("w:" + word)
        if fid is not None and doc.tf(fid) >= NAMING_WEIGHT:
            return False
    return True


def _decide(candidates: list[Candidate], rivals: list[Candidate]) -> Decision:
    if not candidates or candidates[0].score < MIN_SCORE:
        return Decision.NONE
    return Decision.ASK if rivals else Decision.ONE


def with_place(result: Resolution, option: PlaceOption) -> Resolution:
    """``result`` answered for the implementation ``option`` (the citizen said where)."""
    if not result.candidates:
        return result
    best = replace(result.candidates[0], task_code=option.task_code)
    return replace(result, candidates=[best, *result.candidates[1:]], place_known=True)
