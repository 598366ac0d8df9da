"""Item resolution: which catalog item does the citizen mean?

A search problem, not an intent per item (Rasa #277, #10593). Each item becomes a small
document (name, aliases from SEARCH_KEYWORDS, situations, result, topic) indexed by jieba
words and character bigrams (bigrams survive typos and unusual segmentation). The query is
normalised, expanded with the curated lexicon (二手房 → 存量房, 丢了 → 补领) and scored with
BM25 over weighted fields. Siblings (居民身份证首次申领 / 换领 / 补领 / 挂失申报) are then ordered by
what the citizen said about the words that set their names apart, not by score, and asked about
when nothing did. The index is rebuilt whenever the catalog changes, so an item added by a sync
is found at once, without retraining anything.
"""

from __future__ import annotations

import math
import re
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import jieba
from pypinyin import lazy_pinyin
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from banshi.lexicon import Lexicon
from banshi.models import STATE_CANCELLED, Item, SyncRun
from banshi.text import mainland_wording, normalize_message

Features = dict[str, float]  # feature ("w:词", "b:字对", "p:pin_yin") -> weight

# Field weights: the item's own name says most; aliases are what citizens call it.
FIELD_WEIGHTS = {
    "name": 3.0,
    "alias": 2.2,
    "situation": 1.2,
    "result": 0.8,
    "question": 0.4,
    "topic": 0.4,
    "condition": 0.3,
}
# Pinyin syllable pairs catch homophone typos (社宝卡 → 社保卡, 结昏证 → 结婚证) at a discount.
PINYIN_WEIGHT = 0.5
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
K1 = 1.2
B = 0.5

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")
_BRACKETS = re.compile(r"[（(]([^）)]*)[）)]")


@dataclass(frozen=True)
class Candidate:
    task_code: str
    name: str
    state: str
    score: float


@dataclass
class Resolution:
    """The ranked candidates and what the assistant should do with them."""

    candidates: list[Candidate]
    decision: str  # "one" / "ask" / "none"
    query: str = ""
    rivals: list[Candidate] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def top(self, n: int) -> list[str]:
        return [c.task_code for c in self.candidates[:n]]

    @property
    def options(self) -> list[Candidate]:
        """The candidates to offer in a numbered list when the decision is "ask"."""
        if self.decision != "ask":
            return []
        return [self.candidates[0], *self.rivals]


# Decision thresholds (see eval/resolution_eval.py for how they were chosen).
MIN_SCORE = 4.0  # below this nothing fits: say so rather than guess
MIN_EVIDENCE = 5.0  # ... and the best must match this much of specific (not generic) words
GENERIC_SHARE = 0.1  # a feature naming more than this share of items is generic
NAMING_WEIGHT = FIELD_WEIGHTS["result"]  # fields that name an item: result and stronger
RIVAL_RATIO = 0.75  # a runner-up scoring this close to the best ...
RIVAL_DISTINCT = 0.25  # ... that misses at most this share of what the best matched is a rival
# Siblings: items named alike (居民身份证首次申领 / 换领 / 补领 / 挂失申报) differ only in the rest
# of their names. When the citizen's words (or the actions the lexicon reads into them: 丢了 →
# 补领) point at one sibling's distinguishing part, that sibling goes first.
SIBLING_SHARED = 3  # names sharing a substring this long are siblings ...
SIBLING_RATIO = 0.5  # ... when both score at least this share of the best
SIBLING_MIN = 1.0  # evidence below this says nothing (1.0: one character only one sibling has)
SIBLING_MARGIN = 0.5  # a sibling this far behind the most-evidenced one is out of the running
SIBLING_READ = 0.5  # a character the lexicon read into the citizen's words counts half ...
SIBLING_DONE = 0.25  # ... and one in a clause about what they already did (已经挂失了) a quarter
# A clause saying something is already done: 已经挂失了, 之前登记过, 早就办了.
_DONE = re.compile(r"已|早就|之前|以前|过了|完了")  # 已 covers 已经 and 早已
# A question about which items to do: 要办哪些手续, 能申请啥补助, 要办什么证件.
# Not 要带什么证件 or 需要啥证明: those ask what to bring for one item.
_WHICH = re.compile(
    r"(办|申请|申领|领)(点|些)?(啥|什么|哪些|哪几[个样项])(证|证件|手续|补助|补贴|业务|事项)"
)
WHICH_RATIO = 0.5
_CLAUSES = re.compile(r"[，,。.！!？?；;、\s]+")


@dataclass
class _Doc:
    task_code: str
    name: str
    state: str
    features: dict[str, float] = field(default_factory=dict)  # feature -> weighted tf
    length: float = 0.0
    words: tuple[str, ...] = ()  # the name (without brackets) as jieba words
    # first characters of the name's corrective actions (补 of 补证, 换 of 换证): what says them
    corrective: frozenset[str] = frozenset()


class ItemIndex:
    """An immutable search index over one generation of the catalog."""

    def __init__(self, items: Iterable[Item], lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._filler = {w for w in lexicon.stopwords if len(w) == 1}  # 办, 要, 的 …
        self._pinyin_cache: dict[str, str] = {}
        self.tokenizer = jieba.Tokenizer()  # private: jieba.dt is process-global (Rasa uses it)
        self.docs: list[_Doc] = []
        words: set[str] = set(lexicon.words())
        raw_fields: list[tuple[Item, dict[str, list[str]]]] = []
        for item in items:
            name = item.name
            fields = {
                "name": [name, *(_BRACKETS.findall(name))],
                "alias": [a.alias for a in item.aliases],
                "situation": [s.name for s in item.situations],
                "result": [item.result_name] if item.result_name else [],
                "question": [q.question for q in item.questions],
                "topic": [item.topic] if item.topic else [],
                "condition": [item.accept_condition] if item.accept_condition else [],
            }
            raw_fields.append((item, fields))
        # Names are cut with jieba's own dictionary, before they (and the lexicon's formal
        # terms) become words themselves: siblings are told apart by the words they do not
        # share (居民 身份证 | 补领).
        name_words = [
            tuple(self.tokenizer.lcut(_BRACKETS.sub("", item.name), HMM=False))
            for item, _ in raw_fields
        ]
        self._add_words(words | {"".join(w) for w in name_words})
        for (item, fields), words_of_name in zip(raw_fields, name_words, strict=True):
            doc = _Doc(
                item.task_code,
                item.name,
                item.state,
                words=words_of_name,
                corrective=frozenset(w[0] for w in words_of_name if w in lexicon.corrective),
            )
            for field_name, texts in fields.items():
                weight = FIELD_WEIGHTS[field_name]
                for text in texts:
                    for feature, tf in self.features(normalize_message(text)).items():
                        # the strongest field a feature appears in, not how often it repeats:
                        # ten aliases saying 个体户 do not make an item ten times more 个体户
                        doc.features[feature] = max(doc.features.get(feature, 0.0), weight * tf)
            doc.length = sum(doc.features.values())
            self.docs.append(doc)
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        # In how many items' names, aliases, situations or results a feature appears: what is
        # generic is judged by what items are called, not by their conditions and FAQs.
        self.naming: dict[str, int] = defaultdict(int)
        for i, doc in enumerate(self.docs):
            for feature, tf in doc.features.items():
                self.postings[feature].append((i, tf))
                if tf >= NAMING_WEIGHT:
                    self.naming[feature] += 1
        n = max(len(self.docs), 1)
        self.idf = {
            f: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for f, p in self.postings.items()
        }
        self.avg_length = sum(d.length for d in self.docs) / n if self.docs else 1.0
        # What items are called, by sound: a homophone typo (护找, 结昏证) finds its word.
        self.sounds: dict[str, set[str]] = defaultdict(set)
        named = {f[2:] for f in self.naming if f.startswith("w:")}
        for word in named.union(*(doc.words for doc in self.docs)):
            if 2 <= len(word) <= 4:
                syllables = _pinyin(word)
                if len(syllables) == len(word):
                    self.sounds[" ".join(syllables)].add(word)

    def _add_words(self, words: Iterable[str]) -> None:
        for word in words:
            if 2 <= len(word) <= 20:
                self.tokenizer.add_word(word, freq=2000)

    def features(self, text: str) -> Features:
        """jieba words (2+ characters), then character and pinyin bigrams within the runs of
        words between stop words: '我想办身份证' gives 身份证's bigrams, not a spurious 办身."""
        out: Features = defaultdict(float)
        stop = self.lexicon.stopwords
        for run in _CJK_RUN.findall(text.lower()):
            segment: list[str] = []
            for word in [*self.tokenizer.lcut(run, HMM=False), ""]:
                if word and word not in stop and not all(ch in stop for ch in word):
                    segment.append(word)
                    if len(word) >= 2:
                        out["w:" + word] += 1
                    continue
                self._bigrams("".join(segment), out)
                segment = []
        return out

    @staticmethod
    def _bigrams(chunk: str, out: Features) -> None:
        if len(chunk) < 2:
            return
        syllables = lazy_pinyin(chunk) if chunk[0] >= "\u4e00" else []
        if len(syllables) != len(chunk):
            syllables = []
        for i in range(len(chunk) - 1):
            out["b:" + chunk[i : i + 2]] += 1
            if syllables:
                out[f"p:{syllables[i]}_{syllables[i + 1]}"] += PINYIN_WEIGHT

    def expand(self, text: str) -> tuple[list[str], list[str]]:
        """The formal terms and the formal actions the lexicon gives for colloquial words in
        ``text`` (二手房 → 存量房; 丢了 → 补领).

        Words of 3+ characters also match by pinyin, so a homophone typo (失叶金) still finds
        its term (失业金 → 失业保险金). One-character words never expand: too ambiguous. A word
        found only inside a longer one found too says nothing of its own (重新办一个 is not 新办).
        """
        spoken = " " + " ".join(_pinyin(text)) + " "
        found: tuple[list[str], list[str]] = ([], [])
        for table, out in zip((self.lexicon.terms, self.lexicon.actions), found, strict=True):
            hits = [
                word
                for word in table
                if len(word) >= 2
                and (word in text or (len(word) >= 3 and self._spoken(word) in spoken))
            ]
            for word in hits:
                if any(word != other and word in other and other in text for other in hits):
                    continue
                out.extend(f for f in table[word] if f not in text)
        return found

    def misheard(self, query: str) -> list[str]:
        """Words that name items which the citizen typed by sound (护找 → 护照, 结昏证 → 结婚证).

        Only runs of 2–4 characters made of whole jieba words that are no word themselves
        count: 事业 is a word and never becomes 失业, and 定律是 never gives 律师.
        """
        found: list[str] = []
        for run in re.findall(r"[\u4e00-\u9fff]{2,}", query):
            syllables = lazy_pinyin(run)
            if len(syllables) != len(run):
                continue
            bounds, at = {0}, 0
            for word in self.tokenizer.lcut(run, HMM=False):
                at += len(word)
                bounds.add(at)
            for n in (2, 3, 4):
                for i in range(len(run) - n + 1):
                    piece = run[i : i + n]
                    if i not in bounds or i + n not in bounds or self.tokenizer.FREQ.get(piece):
                        continue
                    for word in self.sounds.get(" ".join(syllables[i : i + n]), ()):
                        if word != piece and word not in found:
                            found.append(word)
        return found

    def _features_of(self, words: Iterable[str]) -> set[str]:
        return {f for word in words if word for f in self.features(word)}

    def _spoken(self, word: str) -> str:
        cached = self._pinyin_cache.get(word)
        if cached is None:
            cached = self._pinyin_cache[word] = " " + " ".join(_pinyin(word)) + " "
        return cached

    def search(self, text: str, limit: int = 10) -> Resolution:
        query = normalize_message(text)
        q: Features = self.features(query)
        terms, actions = self.expand(query)
        worded = mainland_wording(text, query)  # 開計程車 → 开出租车, alongside 开计程车
        read = self._features_of(actions)
        expansion: dict[str, float] = {}
        for features, weight in (
            (self._features_of(terms), TERM_WEIGHT),
            (read, ACTION_WEIGHT),
            (self._features_of([worded]), WORDING_WEIGHT),
            (self._features_of(self.misheard(query)), WORDING_WEIGHT),
        ):
            for feature in features:
                expansion[feature] = max(expansion.get(feature, 0.0), weight)
        read_in = read - q.keys()  # what only the actions read into the words bring
        for feature, weight in expansion.items():
            if feature not in q:  # a lexicon term adds what the citizen's words lack, at a discount
                q[feature] += weight
        scores: dict[int, float] = defaultdict(float)
        acted: dict[int, float] = defaultdict(float)  # of which from actions read into the words
        matched: dict[int, dict[str, float]] = defaultdict(dict)
        for feature, qtf in q.items():
            postings = self.postings.get(feature)
            if not postings:
                continue
            idf = self.idf[feature]
            qweight = min(qtf, 2.0)
            for i, tf in postings:
                norm = K1 * (1 - B + B * self.docs[i].length / self.avg_length)
                gain = qweight * idf * tf * (K1 + 1) / (tf + norm)
                scores[i] += gain
                if feature in read_in:
                    acted[i] += gain
                matched[i][feature] = qweight * idf
        for i, gain in acted.items():
            rest = scores[i] - gain
            scores[i] = rest + min(gain, ACTION_SHARE * rest)
        said = self._said(query, actions)
        matches = dict(scores)  # before the corrective discount: siblings are judged on these
        heard = set(said[0]).union(*actions)
        for i in scores:
            if self.docs[i].corrective and heard.isdisjoint(self.docs[i].corrective):
                scores[i] *= UNSAID_CORRECTIVE
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        ranked = [
            (i, s) for i, s in ranked if self.docs[i].state != STATE_CANCELLED or s >= MIN_SCORE * 2
        ][:limit]
        candidates = [
            Candidate(self.docs[i].task_code, self.docs[i].name, self.docs[i].state, round(s, 3))
            for i, s in ranked
        ]
        rivals = _rivals(candidates, [matched[i] for i, _ in ranked])
        told = _tell_siblings(
            candidates,
            [self.docs[i].words for i, _ in ranked],
            [matches[i] for i, _ in ranked],
            said,
        )
        if told is not None:
            order, siblings, leaders = told
            ranked = [ranked[k] for k in order]
            candidates = [candidates[k] for k in order]
            rivals = [r for r in rivals if r.task_code not in siblings]
            rivals += [c for c in candidates[1:] if c.task_code in leaders]
            # A sibling promoted from far behind does not pass an item that fits the citizen's
            # words better: the family may be the wrong one, so the assistant asks.
            passed = next(
                (
                    k
                    for k, c in enumerate(candidates)
                    if c.task_code not in siblings and c.score > candidates[0].score
                ),
                None,
            )
            if passed is not None:
                ranked.insert(0, ranked.pop(passed))
                candidates.insert(0, candidates.pop(passed))
                rivals = [c for c in candidates[1:] if c.task_code in leaders]
        if _WHICH.search(query) and candidates and candidates[0].score >= MIN_SCORE:
            # "要办哪些手续" asks which items: offer the ones that fit, do not pick one
            rivals = [c for c in candidates[1:4] if c.score >= WHICH_RATIO * candidates[0].score]
        decision = _decide(candidates, rivals)
        if (
            decision != "none"
            and self._evidence(matched[ranked[0][0]], self.docs[ranked[0][0]]) < MIN_EVIDENCE
        ):
            decision = "none"  # only generic words matched (申请, 登记, 办理 …)
        return Resolution(candidates, decision, query, rivals)

    def _said(self, query: str, actions: list[str]) -> tuple[dict[str, float], list[str]]:
        """How strongly the citizen said each character, for telling siblings apart.

        Their own characters count 1, those in a clause about something already done
        (社保卡已经挂失了，补卡去哪) count ``SIBLING_DONE``: what they did is not what they ask
        for. One-character filler (办, 要, 的 …) does not count.
        """
        said: dict[str, float] = {}
        for clause in _CLAUSES.split(query):
            weight = SIBLING_DONE if _DONE.search(clause) else 1.0
            for ch in clause:
                if "\u4e00" <= ch <= "\u9fff" and ch not in self._filler:
                    said[ch] = max(said.get(ch, 0.0), weight)
        return said, actions

    def _evidence(self, matched: dict[str, float], doc: _Doc) -> float:
        """How much of a match rests on specific words rather than generic ones, and on what
        the item is called rather than what its conditions and FAQs happen to mention: 家里 in
        a 低保 condition does not make 家里下水道堵了 a 低保 question."""
        limit = max(3, GENERIC_SHARE * len(self.docs))
        return sum(
            w * min(1.0, doc.features[f] / NAMING_WEIGHT)
            for f, w in matched.items()
            if self.naming.get(f, 0) <= limit
        )


def _rivals(candidates: list[Candidate], matched: list[dict[str, float]]) -> list[Candidate]:
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


def _tell_siblings(
    candidates: list[Candidate],
    names: list[tuple[str, ...]],
    matches: list[float],
    said: tuple[dict[str, float], list[str]],
) -> tuple[list[int], set[str], set[str]] | None:
    """Order the best candidate's siblings by what the query says about their differences.

    Siblings are the candidates matching at least ``SIBLING_RATIO`` of the best's match (before
    the discount for an unsaid corrective action, so 挂失 stays a sibling of 首次申领 when
    neither is asked about) whose names share a run of whole words of ``SIBLING_SHARED``+
    characters with the best's (居民身份证, not the 证换领 that 残疾人证换领补办 and 居民身份证换领
    happen to share). Each sibling's distinguishing part is its name without the part all
    siblings share; a character the citizen said (or the lexicon read into their words) counts
    1 / (the number of siblings whose parts have it), so 补 (only 补领) outweighs 领 (申领, 换领,
    补领). Scores do not decide between siblings: one sibling with more aliases than the others
    would always win.

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
    evidence = {}
    for k, chars in parts.items():
        hit = {ch: chars_said[ch] for ch in chars if ch in chars_said}
        # an action counts only where its whole word is in the name (申请 says nothing of 申领)
        for action in (a for a in actions if a in texts[k]):
            for ch in set(action) & chars:
                hit[ch] = max(hit.get(ch, 0.0), SIBLING_READ)
        evidence[k] = sum(weight / holders[ch] for ch, weight in hit.items())
    top = max(evidence.values())
    if top < SIBLING_MIN:
        leaders = sorted(shared)  # nothing said about what sets them apart
    else:
        leaders = sorted(
            (k for k in shared if evidence[k] > top - SIBLING_MARGIN),
            key=lambda k: (-evidence[k], k),
        )
    slots = sorted(shared)
    order = list(range(len(candidates)))
    for slot, k in zip(slots, [*leaders, *(k for k in slots if k not in leaders)], strict=True):
        order[slot] = k
    return (
        order,
        {candidates[k].task_code for k in shared},
        {candidates[k].task_code for k in leaders},
    )


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


def _pinyin(text: str) -> list[str]:
    return [s for s in lazy_pinyin(text) if s.strip() and s.isascii() and s.isalpha()]


def _decide(candidates: list[Candidate], rivals: list[Candidate]) -> str:
    if not candidates or candidates[0].score < MIN_SCORE:
        return "none"
    return "ask" if rivals else "one"


class Resolver:
    """Keeps an :class:`ItemIndex` for the current catalog generation, rebuilt after syncs."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._index: ItemIndex | None = None
        self._generation: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def index(self, session: Session) -> ItemIndex:
        generation = _generation(session)
        with self._lock:
            if self._index is None or generation != self._generation:
                items = session.execute(
                    select(Item).options(
                        selectinload(Item.aliases),
                        selectinload(Item.situations),
                        selectinload(Item.questions),
                    )
                ).scalars()
                self._index = ItemIndex(items, self.lexicon)
                self._generation = generation
            return self._index

    def resolve(self, session: Session, text: str, entity: str | None = None) -> Resolution:
        """Search the whole message; the NLU's ``item`` span is only a fallback.

        The span is part of the message already, and weighting it again drowns the words that
        tell items apart (身份证 vs 丢了/补办); alone it helps when the message is noisy.
        """
        index = self.index(session)
        result = index.search(text)
        if result.decision == "none" and entity:
            by_entity = index.search(entity)
            if by_entity.decision != "none":
                return by_entity
        return result


def _generation(session: Session) -> tuple[int, int]:
    """Changes whenever a sync changes the catalog: (last changing sync, item count)."""
    last = session.execute(
        select(func.max(SyncRun.id)).where(SyncRun.status == "ok", SyncRun.kind == "items")
    ).scalar()
    count = session.execute(select(func.count()).select_from(Item)).scalar_one()
    return int(last or 0), int(count)
