"""Colloquial words the staff add from the console, kept in the database over the curated
lexicon (``banshi/data/lexicon.yml``).

A hall clerk who sees citizens ask for "老年卡" adds it for the item 老年人优待证办理; the
resolver picks it up without a restart and without retraining. :func:`overlay_entries` has the
shape of the lexicon's term map (colloquial word → formal terms) and :func:`overlay_generation`
changes with every edit, so the resolver can rebuild its index when it changes and merge the
overlay with :func:`with_overlay`. Removed words are kept (``removed_at``) for the record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, String, select, update
from sqlalchemy.orm import Session

from banshi.lexicon import Lexicon
from banshi.models import Base, Item
from banshi.text import to_halfwidth

MIN_WORD_CHARS = 2  # the resolver never expands one-character words: too ambiguous
MAX_WORD_CHARS = 20
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9·]+$")


class LexiconOverlayEntry(Base):
    """One colloquial word → formal term added by a staff member (for an item, usually)."""

    __tablename__ = "lexicon_overlay_entry"

    id = Column(Integer, primary_key=True)
    word = Column(String(40), nullable=False, index=True)
    term = Column(String(200), nullable=False)
    task_code = Column(String(31), index=True)  # the item it was added for, if any
    added_by = Column(String(40), nullable=False)
    added_at = Column(DateTime, nullable=False)
    removed_by = Column(String(40))
    removed_at = Column(DateTime)


class LexiconOverlayState(Base):
    """One row: the generation, bumped in the same transaction as every edit."""

    __tablename__ = "lexicon_overlay_state"

    id = Column(Integer, primary_key=True, autoincrement=False)
    generation = Column(Integer, nullable=False)


class OverlayError(ValueError):
    """A word that cannot be added; the message says why, in Chinese."""


def normalize_word(word: str) -> str:
    """The word as stored: half-width, no spaces. Raises :class:`OverlayError` when unfit."""
    value = "".join(to_halfwidth(word).split()).lower()
    if not MIN_WORD_CHARS <= len(value) <= MAX_WORD_CHARS:
        raise OverlayError(f"口语词须为 {MIN_WORD_CHARS} 到 {MAX_WORD_CHARS} 个字。")
    if not _WORD.match(value):
        raise OverlayError("口语词只能包含汉字、字母和数字，不含标点。")
    return value


def item_term(item: Item) -> str:
    """The formal term for an item: its name without bracketed notes."""
    return _BRACKETS.sub("", item.name).strip() or item.name


def _bump(session: Session) -> None:
    result = session.execute(
        update(LexiconOverlayState)
        .where(LexiconOverlayState.id == 1)
        .values(generation=LexiconOverlayState.generation + 1)
    )
    if not result.rowcount:
        session.add(LexiconOverlayState(id=1, generation=1))
    session.flush()


def add_word(
    session: Session,
    word: str,
    term: str,
    *,
    actor: str,
    task_code: str | None = None,
    now: datetime | None = None,
) -> LexiconOverlayEntry:
    """Add ``word`` as a colloquial form of ``term``. Adding it again changes nothing."""
    value = normalize_word(word)
    formal = " ".join(term.split())
    if not formal or len(formal) > 200:
        raise OverlayError("请填写口语词对应的规范说法（不超过 200 字）。")
    if value == formal.lower():
        raise OverlayError("口语词与规范说法相同，无需添加。")
    existing = session.execute(
        select(LexiconOverlayEntry).where(
            LexiconOverlayEntry.word == value,
            LexiconOverlayEntry.term == formal,
            LexiconOverlayEntry.removed_at.is_(None),
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    entry = LexiconOverlayEntry(
        word=value,
        term=formal,
        task_code=task_code,
        added_by=actor[:40],
        added_at=(now or datetime.now()).replace(microsecond=0),
    )
    session.add(entry)
    _bump(session)
    return entry


def add_word_for_item(
    session: Session, word: str, task_code: str, *, actor: str, now: datetime | None = None
) -> LexiconOverlayEntry:
    """Add ``word`` for the item with this 实施编码; the term is the item's name."""
    item = session.execute(
        select(Item).where(Item.task_code == task_code.strip())
    ).scalar_one_or_none()
    if item is None:
        raise OverlayError(f"没有实施编码为“{task_code}”的事项。")
    return add_word(session, word, item_term(item), actor=actor, task_code=item.task_code, now=now)


def remove_word(
    session: Session, entry_id: int, *, actor: str, now: datetime | None = None
) -> LexiconOverlayEntry:
    """Stop using an entry (kept, marked removed). Raises :class:`OverlayError` if unknown."""
    entry = session.get(LexiconOverlayEntry, entry_id)
    if entry is None:
        raise OverlayError("没有这条口语词。")
    if entry.removed_at is None:
        entry.removed_at = (now or datetime.now()).replace(microsecond=0)
        entry.removed_by = actor[:40]
        _bump(session)
    return entry


def list_entries(
    session: Session, *, task_code: str | None = None, include_removed: bool = False
) -> list[LexiconOverlayEntry]:
    """Entries, newest first; only those for one item when ``task_code`` is given."""
    query = select(LexiconOverlayEntry).order_by(LexiconOverlayEntry.id.desc())
    if task_code is not None:
        query = query.where(LexiconOverlayEntry.task_code == task_code)
    if not include_removed:
        query = query.where(LexiconOverlayEntry.removed_at.is_(None))
    return list(session.execute(query).scalars())


def overlay_entries(session: Session) -> dict[str, list[str]]:
    """Colloquial word → formal terms, like :attr:`banshi.lexicon.Lexicon.terms`."""
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(LexiconOverlayEntry.word, LexiconOverlayEntry.term)
        .where(LexiconOverlayEntry.removed_at.is_(None))
        .order_by(LexiconOverlayEntry.id)
    )
    for word, term in rows:
        terms = out.setdefault(word, [])
        if term not in terms:
            terms.append(term)
    return out


def overlay_generation(session: Session) -> int:
    """A number that changes whenever a word is added or removed (0: never edited)."""
    value = session.execute(
        select(LexiconOverlayState.generation).where(LexiconOverlayState.id == 1)
    ).scalar_one_or_none()
    return int(value or 0)


def with_overlay(lexicon: Lexicon, entries: Mapping[str, Sequence[str]]) -> Lexicon:
    """The curated lexicon with the overlay's words added to its terms."""
    terms = dict(lexicon.terms)
    for word, formal in entries.items():
        merged = list(terms.get(word, ()))
        merged.extend(f for f in formal if f not in merged)
        terms[word] = tuple(merged)
    return replace(lexicon, terms=terms)
