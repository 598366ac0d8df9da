"""What a text says to the search: words, character bigrams and pinyin bigrams, and what the
lexicon reads into it.

jieba words survive nothing but exact wording; character bigrams survive typos and unusual
segmentation; pinyin syllable pairs catch homophone typos (社宝卡 → 社保卡). The tokenizer is
jieba's dictionary plus the catalog's names and the lexicon's words. Loading jieba's own
dictionary costs about a second and 50 MB, so every index copies one loaded dictionary
instead of loading its own (``jieba.dt`` is process-global and Rasa uses it: never touched).
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

import jieba
import jieba.posseg
from pypinyin import lazy_pinyin

from banshi.lexicon import Lexicon

Features = dict[str, float]  # feature ("w:词", "b:字对", "p:pin_yin") -> weight

# Pinyin syllable pairs catch homophone typos (社宝卡 → 社保卡, 结昏证 → 结婚证) at a discount.
PINYIN_WEIGHT = 0.5
WORD_FREQ = 2000  # what a catalog or lexicon word weighs in the tokenizer: enough to stay whole
MIN_WORD, MAX_WORD = 2, 20

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")

_base_lock = threading.Lock()
_base: jieba.Tokenizer | None = None
_tagger: jieba.posseg.POSTokenizer | None = None
# Parts of speech (jieba's) of a thing a citizen may name: common nouns, not people, places
# or times.
NOUNS = frozenset({"n", "nz", "ng"})


def base_tokenizer() -> jieba.Tokenizer:
    """jieba's own dictionary, loaded once per process."""
    global _base
    with _base_lock:
        if _base is None:
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _base = tokenizer
        return _base


def base_tagger() -> jieba.posseg.POSTokenizer:
    """Parts of speech over :func:`base_tokenizer`'s dictionary (not jieba's global one, which
    would load the dictionary a second time), built once per process: by the index build, so
    no citizen's turn waits for it."""
    global _tagger
    base = base_tokenizer()
    with _base_lock:
        if _tagger is None:
            _tagger = jieba.posseg.POSTokenizer(base)
        return _tagger


def make_tokenizer(
    words: Iterable[str], lexicon: Lexicon, start: jieba.Tokenizer | None = None
) -> jieba.Tokenizer:
    """A private tokenizer: ``start``'s dictionary (jieba's own by default) plus ``words``.

    The total frequency is jieba's plus the lexicon's words, whatever the catalog holds, so
    adding an item's name never changes how a text without it is cut: a delta's new names
    leave every other item's words as they were.
    """
    base = base_tokenizer()
    origin = start or base
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = dict(origin.FREQ)
    tokenizer.initialized = True
    for word in words:
        if MIN_WORD <= len(word) <= MAX_WORD:
            tokenizer.add_word(word, freq=WORD_FREQ)
    lexicon_words = sum(1 for w in lexicon.words() if MIN_WORD <= len(w) <= MAX_WORD)
    tokenizer.total = base.total + WORD_FREQ * lexicon_words
    return tokenizer


def pinyin(text: str) -> list[str]:
    """The syllables of the Chinese characters in ``text`` (everything else dropped)."""
    return [s for s in lazy_pinyin(text) if s.strip() and s.isascii() and s.isalpha()]


class _Table:
    """One lexicon table (terms or actions) ready to be looked up: a question's substrings
    and runs of syllables are looked up in it, rather than each of its thousands of words
    being looked for in the question."""

    def __init__(self, table: Mapping[str, tuple[str, ...]]) -> None:
        self.table = table
        self.order = {word: i for i, word in enumerate(table)}
        self.words = frozenset(w for w in table if len(w) >= 2)
        self.longest = max((len(w) for w in self.words), default=0)
        # words of 3+ characters also match by sound: their syllables -> the words
        self.sounds: dict[tuple[str, ...], list[str]] = {}
        for word in self.words:
            if len(word) >= 3:
                self.sounds.setdefault(tuple(pinyin(word)), []).append(word)
        self.sound_lengths = sorted({len(k) for k in self.sounds if k})

    def hits(self, text: str, syllables: tuple[str, ...]) -> list[str]:
        """The table's words the text contains, by characters or by sound, in table order."""
        found = {
            text[i : i + n]
            for n in range(2, min(self.longest, len(text)) + 1)
            for i in range(len(text) - n + 1)
        }
        found &= self.words
        for n in self.sound_lengths:
            for i in range(len(syllables) - n + 1):
                found.update(self.sounds.get(syllables[i : i + n], ()))
        return sorted(found, key=self.order.__getitem__)


class Featurizer:
    """Features and lexicon expansion with one tokenizer (one catalog generation's words)."""

    def __init__(
        self, lexicon: Lexicon, tokenizer: jieba.Tokenizer, previous: Featurizer | None = None
    ) -> None:
        self.lexicon = lexicon
        self.tokenizer = tokenizer
        self.filler = frozenset(w for w in lexicon.stopwords if len(w) == 1)  # 办, 要, 的 …
        self._tables: tuple[_Table, _Table]
        if previous is not None and previous.lexicon is lexicon:
            self._tables = previous._tables  # the same lexicon: nothing to prepare again
        else:
            self._tables = (_Table(lexicon.terms), _Table(lexicon.actions))

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
                _bigrams("".join(segment), out)
                segment = []
        return out

    def features_of(self, words: Iterable[str]) -> set[str]:
        return {f for word in words if word for f in self.features(word)}

    def expand(self, text: str) -> tuple[list[str], list[str]]:
        """The formal terms and the formal actions the lexicon gives for colloquial words in
        ``text`` (二手房 → 存量房; 丢了 → 补领).

        Words of 3+ characters also match by pinyin, so a homophone typo (失叶金) still finds
        its term (失业金 → 失业保险金). One-character words never expand: too ambiguous. A word
        found only inside a longer one found too says nothing of its own (重新办一个 is not 新办).
        """
        syllables = tuple(pinyin(text))
        found: tuple[list[str], list[str]] = ([], [])
        for table, out in zip(self._tables, found, strict=True):
            hits = table.hits(text, syllables)
            for word in hits:
                if any(word != other and word in other and other in text for other in hits):
                    continue
                out.extend(f for f in table.table[word] if f not in text)
        return found

    def nouns(self, text: str) -> list[str]:
        """The common nouns of ``text`` (手机, 商家; not 昨天, 北京, 小王)."""
        return [p.word for p in base_tagger().lcut(text, HMM=False) if p.flag in NOUNS]

    def action_words(self, text: str) -> list[str]:
        """The colloquial action words the citizen typed (第一次办, 丢了, 不见了): the lexicon's
        action keys found in ``text`` by their characters."""
        return [w for w in self._tables[1].hits(text, ()) if w in text]

    def misheard(self, query: str, sounds: Mapping[str, Collection[str]]) -> list[str]:
        """Words that name items which the citizen typed by sound (护找 → 护照, 结昏证 → 结婚证).

        ``sounds`` maps the pinyin of item words to the words. Only runs of 2–4 characters
        made of whole jieba words that are no word themselves count: 事业 is a word and never
        becomes 失业, and 定律是 never gives 律师.
        """
        found: list[str] = []
        for run in _HAN_RUN.findall(query):
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
                    for word in sorted(sounds.get(" ".join(syllables[i : i + n]), ())):
                        if word != piece and word not in found:
                            found.append(word)
        return found


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
