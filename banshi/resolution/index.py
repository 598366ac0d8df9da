"""The search index over one generation of the catalog: one document per 事项.

Each 事项 (its implementations in every district grouped) becomes a small document (name,
aliases from SEARCH_KEYWORDS, situations, result, topic) indexed by jieba words, character
bigrams and pinyin bigrams. The postings are flat arrays, so a question is scored with a few
vector operations per feature instead of a Python loop over every item that mentions it: a
word like 办理 is in every document of a provincial catalog.

Building is the expensive part (segmenting and transcribing every text), so a new generation
reuses every document of the previous one whose items did not change, and a text shared by
several items (the same conditions in every district) is read once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import jieba
import numpy as np
import numpy.typing as npt

from banshi.catalog import HallSpot
from banshi.lexicon import Lexicon
from banshi.models import STATE_CANCELLED, Item
from banshi.resolution import places, subitems
from banshi.resolution.documents import GroupKey, ItemText
from banshi.resolution.features import (
    Features,
    Featurizer,
    base_tokenizer,
    make_tokenizer,
    pinyin,
)
from banshi.resolution.result import PlaceHint, PlaceOption, Resolution
from banshi.text import normalize_message

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
NAMING_WEIGHT = FIELD_WEIGHTS["result"]  # fields that name an item: result and stronger
K1 = 1.2
B = 0.5

_BRACKETS = re.compile(r"[（(]([^）)]*)[）)]")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Doc:
    """One 事项: its implementations (default one first) and its weighted features."""

    key: GroupKey
    name: str
    first_id: int  # the lowest item id: documents keep the catalog's order
    members: tuple[str, ...]  # task codes, default first
    states: tuple[str, ...]
    places: tuple[PlaceOption, ...]  # open implementations, when there are several
    signature: frozenset[tuple[str, str]]  # (task code, content hash) of every member
    fids: IntArray  # feature ids, ascending
    tfs: FloatArray  # weighted tf of each
    length: float
    words: tuple[str, ...]  # the name (without brackets) as jieba words
    # first characters of the name's corrective actions (补 of 补证, 换 of 换证): what says them
    corrective: frozenset[str]

    @property
    def task_code(self) -> str:
        return self.members[0]

    @property
    def state(self) -> str:
        return self.states[0]

    def tf(self, fid: int) -> float:
        at = int(np.searchsorted(self.fids, fid))
        return float(self.tfs[at]) if at < len(self.fids) and self.fids[at] == fid else 0.0

    def representative(
        self, hint: PlaceHint | None, halls: Mapping[str, HallSpot] | None
    ) -> PlaceOption | None:
        """The implementation the hint points at (None: the default one stands for it)."""
        return places.choose(self.places, hint, halls) if hint else None


class ItemIndex:
    """An immutable search index over one generation of the catalog.

    ``previous``: an index of an earlier generation with the same lexicon; its documents
    whose group is not in ``items`` (and not in ``dropped``) are kept as they are, and its
    tokenizer and vocabulary are extended, so a delta costs what it changed.
    """

    def __init__(
        self,
        items: Iterable[Item | ItemText],
        lexicon: Lexicon,
        previous: ItemIndex | None = None,
        dropped: Iterable[GroupKey] = (),
    ) -> None:
        texts = [t if isinstance(t, ItemText) else ItemText.of(t) for t in items]
        self.lexicon = lexicon
        base = previous.tokenizer if previous is not None else None
        name_words = {t.group: _name_words(t.name) for t in texts}
        self.words = set(lexicon.words()) | {"".join(w) for w in name_words.values()}
        if previous is not None:
            self.words |= previous.words
        # Names are cut with jieba's own dictionary (above), before they and the lexicon's
        # terms become words themselves: siblings are told apart by the words they do not
        # share (居民 身份证 | 补领).
        added = self.words - previous.words if previous is not None else self.words
        self.tokenizer: jieba.Tokenizer = make_tokenizer(added, lexicon, base)
        self.featurizer: Featurizer = Featurizer(
            lexicon, self.tokenizer, previous.featurizer if previous is not None else None
        )
        self.vocab: dict[str, int] = dict(previous.vocab) if previous is not None else {}
        self.feature_names: list[str] = list(previous.feature_names) if previous else []
        self._sound_cache: dict[str, tuple[str, ...]] = (
            previous._sound_cache if previous is not None else {}
        )

        grouped: dict[GroupKey, list[ItemText]] = {}
        for text in texts:
            grouped.setdefault(text.group, []).append(text)
        replaced = set(grouped) | set(dropped)
        memo: dict[str, Features] = {}
        docs = [d for d in previous.docs if d.key not in replaced] if previous else []
        for key, members in grouped.items():
            docs.append(self._doc(key, members, name_words[key], memo))
        docs.sort(key=lambda d: d.first_id)
        self.docs: list[Doc] = docs
        self.by_key = {d.key: i for i, d in enumerate(docs)}
        self.by_task = {code: i for i, d in enumerate(docs) for code in d.members}
        self._arrays()

    # ------------------------------------------------------------------ building

    def _doc(
        self,
        key: GroupKey,
        members: list[ItemText],
        words: tuple[str, ...],
        memo: dict[str, Features],
    ) -> Doc:
        # Each implementation's features (the strongest field a feature appears in, not how
        # often it repeats: ten aliases saying 个体户 do not make an item ten times more
        # 个体户), averaged over the implementations: the 事项 is what they agree on, and a
        # keyword one district added weighs an eighth in a 事项 eight districts implement.
        weights: dict[int, float] = {}
        for member in members:
            own: dict[int, float] = {}
            for field_name, values in _fields(member):
                weight = FIELD_WEIGHTS[field_name]
                for value in values:
                    features = memo.get(value)
                    if features is None:
                        features = memo[value] = self.featurizer.features(normalize_message(value))
                    for feature, tf in features.items():
                        fid = self._fid(feature)
                        own[fid] = max(own.get(fid, 0.0), weight * tf)
            for fid, strength in own.items():
                weights[fid] = weights.get(fid, 0.0) + strength
        if len(members) > 1:
            weights = {fid: strength / len(members) for fid, strength in weights.items()}
        fids = np.array(sorted(weights), dtype=np.int64)
        tfs = np.array([weights[f] for f in fids.tolist()], dtype=np.float64)
        states = [m.state for m in members]
        options = [
            PlaceOption(m.task_code, "", m.dept_name, m.center_name, m.use_level) for m in members
        ]
        order = places.default_order(options, states)
        members = [members[k] for k in order]
        states = [states[k] for k in order]
        open_members = [m for m in members if m.state != STATE_CANCELLED]
        offered: tuple[PlaceOption, ...] = ()
        if len(open_members) > 1:
            labels = places.labels(
                [m.dept_name for m in open_members],
                [m.center_name for m in open_members],
                [m.use_level for m in open_members],
            )
            offered = tuple(
                PlaceOption(m.task_code, label, m.dept_name, m.center_name, m.use_level)
                for m, label in zip(open_members, labels, strict=True)
            )
        return Doc(
            key=key,
            name=members[0].name,
            first_id=min(m.id for m in members),
            members=tuple(m.task_code for m in members),
            states=tuple(states),
            places=offered,
            signature=frozenset((m.task_code, m.content_hash) for m in members),
            fids=fids,
            tfs=tfs,
            length=float(sum(weights.values())),
            words=words,
            corrective=frozenset(w[0] for w in words if w in self.lexicon.corrective),
        )

    def _fid(self, feature: str) -> int:
        fid = self.vocab.get(feature)
        if fid is None:
            fid = self.vocab[feature] = len(self.feature_names)
            self.feature_names.append(feature)
        return fid

    def _arrays(self) -> None:
        """Postings as one array sorted by feature (documents in order within each), BM25's
        idf and length norms, and how many documents each feature names."""
        n_features = len(self.feature_names)
        n = max(len(self.docs), 1)
        sizes = [len(d.fids) for d in self.docs]
        if self.docs:
            fids = np.concatenate([d.fids for d in self.docs])
            tfs = np.concatenate([d.tfs for d in self.docs])
            docs = np.repeat(np.arange(len(self.docs), dtype=np.int64), sizes)
        else:
            fids = np.zeros(0, dtype=np.int64)
            tfs = np.zeros(0, dtype=np.float64)
            docs = np.zeros(0, dtype=np.int64)
        order = np.argsort(fids, kind="stable")
        self.post_docs: IntArray = docs[order]
        self.post_tfs: FloatArray = tfs[order]
        sorted_fids = fids[order]
        self.post_ptr: IntArray = np.searchsorted(sorted_fids, np.arange(n_features + 1))
        df = np.diff(self.post_ptr).astype(np.float64)
        self.idf: FloatArray = np.log(1 + (n - df + 0.5) / (df + 0.5))
        lengths = np.array([d.length for d in self.docs], dtype=np.float64)
        self.avg_length = float(lengths.sum() / n) if self.docs else 1.0
        self.norms: FloatArray = K1 * (1 - B + B * lengths / self.avg_length)
        # In how many 事项's names, aliases, situations or results a feature appears: what is
        # generic is judged by what items are called, not by their conditions and FAQs.
        self.naming: IntArray = np.bincount(
            sorted_fids[self.post_tfs >= NAMING_WEIGHT], minlength=n_features
        )
        self.states_cancelled = np.array([d.state == STATE_CANCELLED for d in self.docs])
        self.names = [d.name for d in self.docs]
        self.parent = subitems.parents(self.names, [d.state for d in self.docs])
        self.corrective_docs = {
            ch: np.array([ch in d.corrective for d in self.docs], dtype=bool)
            for ch in {ch for d in self.docs for ch in d.corrective}
        }
        self.has_corrective = np.array([bool(d.corrective) for d in self.docs], dtype=bool)
        self.sounds = self._sounds()
        self._named_for: dict[str, npt.NDArray[np.bool_]] = {}

    def _sounds(self) -> dict[str, set[str]]:
        """What items are called, by sound: a homophone typo (护找, 结昏证) finds its word."""
        named = {
            self.feature_names[f][2:]
            for f in np.flatnonzero(self.naming).tolist()
            if self.feature_names[f].startswith("w:")
        }
        sounds: dict[str, set[str]] = defaultdict(set)
        for word in named.union(*(doc.words for doc in self.docs)):
            if 2 <= len(word) <= 4:
                syllables = self._sound_cache.get(word)
                if syllables is None:
                    syllables = self._sound_cache[word] = tuple(pinyin(word))
                if len(syllables) == len(word):
                    sounds[" ".join(syllables)].add(word)
        return sounds

    # ------------------------------------------------------------------ reading

    def features(self, text: str) -> Features:
        return self.featurizer.features(text)

    def expand(self, text: str) -> tuple[list[str], list[str]]:
        return self.featurizer.expand(text)

    def misheard(self, query: str) -> list[str]:
        return self.featurizer.misheard(query, self.sounds)

    def named_for(self, word: str) -> npt.NDArray[np.bool_]:
        """Which 事项 have ``word`` in their name (asked per question for the action words
        typed, so kept per word)."""
        mask = self._named_for.get(word)
        if mask is None:
            mask = self._named_for[word] = np.array([word in n for n in self.names], dtype=bool)
        return mask

    def signature(self) -> dict[GroupKey, frozenset[tuple[str, str]]]:
        return {d.key: d.signature for d in self.docs}

    def search(
        self,
        text: str,
        limit: int = 10,
        hint: PlaceHint | None = None,
        halls: Mapping[str, HallSpot] | None = None,
    ) -> Resolution:
        """Rank the 事项 for ``text`` and decide (see :mod:`banshi.resolution.search`)."""
        from banshi.resolution.search import search

        return search(self, text, limit, hint, halls)


def _name_words(name: str) -> tuple[str, ...]:
    return tuple(base_tokenizer().lcut(_BRACKETS.sub("", name), HMM=False))


def _fields(item: ItemText) -> list[tuple[str, tuple[str, ...]]]:
    return [
        ("name", (item.name, *_BRACKETS.findall(item.name))),
        ("alias", item.aliases),
        ("situation", item.situations),
        ("result", (item.result,) if item.result else ()),
        ("question", item.questions),
        ("topic", (item.topic,) if item.topic else ()),
        ("condition", (item.condition,) if item.condition else ()),
    ]
