"""Grouping citizens' free-text answers into the troubles they describe, with keywords.

Answers are short, colloquial, sometimes in traditional script or mistyped, so each is read
two ways: jieba words (minus :mod:`stop words <banshi.surveys.stopwords>`) and character
bigrams and trigrams, which still match when jieba cuts a typo oddly (排对 / 排队). Both are
TF-IDF weighted, joined, and reduced by a truncated SVD (latent semantic analysis), where
answers that use different words for the same trouble (排队 / 等号 / 叫号) come close.

Clustering is agglomerative with average linkage on cosine distance, cut at a distance
threshold, so the number of groups follows the answers instead of being guessed. Its cost
grows with the square of the answers, so at most ``sample`` of them are clustered and the
rest join the nearest group centroid; the sample is drawn evenly (a fixed seed), so a large
group stays large. Groups smaller than ``min_size`` are pooled as 零散意见.

Each group gets its keywords (jieba's TF-IDF keyword score, with its IDF table and our stop
words, over the words already cut), a label made of the first two, its size, and quotes: the answers nearest the
group's centroid that are not flagged for staff. Answers with nothing to act on ("没有",
"挺好的") are counted but never grouped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache

import jieba
import jieba.analyse
import numpy as np
from scipy.sparse import hstack
from sklearn.cluster import AgglomerativeClustering
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from banshi.surveys.stopwords import NO_OPINION, STOP_WORDS
from banshi.surveys.vocabulary import CONCEPTS, concept_tokens
from banshi.text import normalize_message

SCATTERED = "零散意见"
_NOT_WORD = re.compile(r"[^\w]+|[_\d*]+")


@dataclass(frozen=True)
class GroupingConfig:
    """How answers are grouped; the defaults were tuned on ``eval/surveys/free_text.yml``.

    threshold: cosine distance at which agglomerative clustering stops merging.
    components: SVD dimensions: about one per kind of trouble the vocabulary knows, plus
        room for two it does not (more dimensions split a trouble by its wording).
    char_weight: weight of the character n-gram view against the word view.
    sample: the most answers clustered directly; the rest join the nearest centroid.
    min_size: smaller groups are pooled as 零散意见 (at least this share of answers, or 3).
    quotes / keywords: how many of each per group.
    mention_sample: answers per group checked for the catalog items they mention.
    """

    threshold: float = 0.8
    components: int = len(CONCEPTS) + 2
    char_weight: float = 0.5
    sample: int = 3000
    min_share: float = 0.01
    min_size: int = 3
    quotes: int = 3
    keywords: int = 5
    mention_sample: int = 40
    seed: int = 7


@dataclass
class Group:
    label: str
    keywords: list[str]
    members: list[int]  # positions in the input
    quotes: list[str]
    items: list[tuple[str, int]] = field(default_factory=list)  # (task code, answers naming it)

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass
class Grouping:
    groups: list[Group]  # largest first; a 零散意见 pool, if any, last
    no_opinion: list[int]  # positions of answers with nothing to act on
    keywords: list[str]  # over every answer


def clean(text: str) -> str:
    """Simplified, half-width, lower case, masked digits and punctuation gone."""
    return _NOT_WORD.sub(" ", normalize_message(text).lower()).strip()


def words(text: str) -> list[str]:
    """jieba words of a cleaned answer, without stop words."""
    return [w for w in jieba.lcut(text) if w.strip() and w not in STOP_WORDS]


class _Words:
    """Each distinct answer cut once: survey answers repeat (“排队太久” a hundred times)."""

    def __init__(self) -> None:
        self._cut: dict[str, list[str]] = {}

    def __call__(self, cleaned: str) -> list[str]:
        found = self._cut.get(cleaned)
        if found is None:
            found = self._cut[cleaned] = words(cleaned)
        return found


def is_no_opinion(cleaned: str, cut: Callable[[str], list[str]] = words) -> bool:
    compact = cleaned.replace(" ", "")
    if not compact or compact in NO_OPINION:
        return True
    return not [w for w in cut(cleaned) if w not in NO_OPINION]


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table (the one ``jieba.analyse.extract_tags`` scores with) and its median."""
    extractor = jieba.analyse.TFIDF()
    return extractor.idf_freq, extractor.median_idf


def keywords_of(cut_answers: Sequence[Sequence[str]], top: int) -> list[str]:
    """jieba's TF-IDF keyword score (term count × jieba's IDF, words of two or more characters,
    our stop words out) over answers already cut, so nothing is cut twice."""
    counts = Counter(w for answer in cut_answers for w in answer if len(w) >= 2)
    idf, median = _idf()
    scored = sorted(counts, key=lambda w: (-counts[w] * idf.get(w, median), w))
    return [w for w in scored if w not in NO_OPINION][:top]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _vectors(
    cleaned: Sequence[str], cut: Sequence[list[str]], config: GroupingConfig
) -> np.ndarray:
    word_view = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=1)
    char_view = TfidfVectorizer(
        analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=2, preprocessor=_squash
    )
    features = [tokens + concept_tokens(text) for text, tokens in zip(cleaned, cut, strict=True)]
    matrices = [word_view.fit_transform(features)]
    with suppress(ValueError):  # too few answers share any n-gram: words alone
        matrices.append(char_view.fit_transform(cleaned) * config.char_weight)
    joined = normalize(hstack(matrices).tocsr())
    # at least six answers a dimension, or the SVD keeps each answer's own wording
    dims = min(config.components, joined.shape[0] // 6, joined.shape[1] - 1)
    if dims < 2:
        return np.asarray(joined.todense())
    reduced = TruncatedSVD(n_components=dims, random_state=config.seed).fit_transform(joined)
    return normalize(reduced)


def _squash(text: str) -> str:
    return text.replace(" ", "")


def _cluster(vectors: np.ndarray, config: GroupingConfig) -> np.ndarray:
    n = vectors.shape[0]
    if n < 2:
        return np.zeros(n, dtype=int)
    rng = np.random.default_rng(config.seed)
    sample = np.sort(rng.choice(n, config.sample, replace=False)) if n > config.sample else None
    fit_on = vectors if sample is None else vectors[sample]
    model = AgglomerativeClustering(
        n_clusters=None,
        distance_threshold=config.threshold,
        affinity="cosine",
        linkage="average",
    )
    labels = model.fit_predict(fit_on)
    if sample is None:
        return labels
    centroids = normalize(
        np.vstack([fit_on[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    )
    assigned = np.asarray(vectors @ centroids.T).argmax(axis=1)
    assigned[sample] = labels
    return assigned


def group_answers(
    texts: Sequence[str],
    config: GroupingConfig | None = None,
    flagged: Sequence[bool] | None = None,
    resolve: Callable[[str], str | None] | None = None,
) -> Grouping:
    """Group ``texts`` (masked answers); ``flagged`` ones are grouped but never quoted.

    ``resolve`` finds the catalog item an answer names (the guide's resolver), or None.
    """
    config = config or GroupingConfig()
    flags = list(flagged) if flagged is not None else [False] * len(texts)
    cleaned = [clean(t) for t in texts]
    cut = _Words()
    silent = [i for i, c in enumerate(cleaned) if is_no_opinion(c, cut)]
    keep = sorted(set(range(len(cleaned))) - set(silent))
    kept_cut = [cut(cleaned[i]) for i in keep]
    overall = keywords_of(kept_cut, config.keywords * 2)
    if not keep:
        return Grouping([], silent, overall)
    vectors = _vectors([cleaned[i] for i in keep], kept_cut, config)
    labels = _cluster(vectors, config)
    floor = max(config.min_size, int(len(keep) * config.min_share))
    groups: list[Group] = []
    scattered: list[int] = []
    for label, _count in Counter(labels.tolist()).most_common():
        rows = np.flatnonzero(labels == label)
        members = [keep[r] for r in rows]
        if len(members) < floor:
            scattered.extend(members)
            continue
        centroid = normalize(vectors[rows].mean(axis=0, keepdims=True))[0]
        order = rows[np.argsort(-(vectors[rows] @ centroid), kind="stable")]
        group_words = keywords_of([kept_cut[r] for r in rows], config.keywords)
        quotes = _quotes([keep[r] for r in order], texts, flags, config.quotes)
        items = _mentions([texts[keep[r]] for r in order[: config.mention_sample]], resolve)
        groups.append(Group(_label(group_words), group_words, members, quotes, items))
    if scattered:
        group_words = keywords_of([cut(cleaned[i]) for i in scattered], config.keywords)
        quotes = _quotes(scattered, texts, flags, config.quotes)
        groups.append(Group(SCATTERED, group_words, sorted(scattered), quotes))
    return Grouping(groups, silent, overall)


def _label(keywords: Sequence[str]) -> str:
    return "、".join(keywords[:2]) if keywords else SCATTERED


def _quotes(
    order: Sequence[int], texts: Sequence[str], flags: Sequence[bool], count: int
) -> list[str]:
    quotes: list[str] = []
    for i in order:
        text = texts[i].strip()
        if not flags[i] and text not in quotes:
            quotes.append(text)
        if len(quotes) == count:
            break
    return quotes


def _mentions(
    texts: Sequence[str], resolve: Callable[[str], str | None] | None
) -> list[tuple[str, int]]:
    """Catalog items named by at least two of the answers checked, most named first."""
    if resolve is None:
        return []
    counts = Counter(code for code in (resolve(t) for t in texts) if code)
    return [(code, n) for code, n in counts.most_common() if n >= 2]
