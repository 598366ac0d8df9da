"""The team's curated lexicon: colloquial words → the formal terms catalogs use.

It maps words to *terms* (二手房 → 存量房), never to one region's item codes, so it helps on
any region's catalog. The jieba user dictionary is built from it plus the synced items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Lexicon:
    # colloquial word -> formal terms it may stand for
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    actions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    # formal actions that presuppose an event (补领: a loss; 变更: a change; 注销: closing)
    corrective: frozenset[str] = frozenset()

    def words(self) -> set[str]:
        """Every word of the lexicon, formal and colloquial, for the tokenizer."""
        out: set[str] = set()
        for table in (self.terms, self.actions):
            for word, formal in table.items():
                out.add(word)
                out.update(formal)
        return out


def _invert(section: object, path: Path, name: str) -> dict[str, tuple[str, ...]]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ValueError(f"{path}: '{name}' should map a formal term to a list of words")
    inverted: dict[str, list[str]] = {}
    for formal, variants in section.items():
        formal = str(formal).strip()
        if not isinstance(variants, list):
            raise ValueError(f"{path}: '{name}.{formal}' should be a list of words")
        for word in variants:
            word = str(word).strip()
            if word and word != formal:
                inverted.setdefault(word, []).append(formal)
    return {word: tuple(forms) for word, forms in inverted.items()}


def load_lexicon(path: Path) -> Lexicon:
    """Read the lexicon YAML; a missing file gives an empty lexicon."""
    if not path.exists():
        return Lexicon()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Lexicon(
        terms=_invert(data.get("terms"), path, "terms"),
        actions=_invert(data.get("actions"), path, "actions"),
        stopwords=_word_set(data.get("stopwords")),
        corrective=_word_set(data.get("corrective_actions")),
    )


def _word_set(section: list[object] | None) -> frozenset[str]:
    """A YAML list of words (None when the section is missing) as a set of stripped words."""
    return frozenset(str(w).strip() for w in section or [] if str(w).strip())


@lru_cache(maxsize=4)
def cached_lexicon(path: Path) -> Lexicon:
    return load_lexicon(path)
