"""The jieba user dictionary, regenerated from the catalog after every sync.

Item names, their aliases and the lexicon's words are added so that jieba keeps them whole
(Rasa drops entity annotations that do not line up with tokens). ``JiebaTokenizer`` takes a
*directory* of dictionaries that must exist at training and at load time.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.lexicon import Lexicon
from banshi.models import STATE_CANCELLED, Item, ItemAlias

FILE_NAME = "banshi_userdict.txt"
_NAME_PARTS = re.compile(r"[（）()【】\[\]、，,；;：:\s]+")
WORD_FREQ = 2000


def dictionary_words(session: Session, lexicon: Lexicon) -> set[str]:
    """Names of live items (and their parts around brackets), the lexicon's formal terms, and
    those aliases and colloquial words that are not just another word plus a short affix.

    "办护照", "申请低保" or "身份证丢了" as single tokens would glue a verb onto the item and
    misalign the NLU's [护照](item) annotations, which Rasa then silently drops.
    """
    core: set[str] = set()
    for table in (lexicon.terms, lexicon.actions):
        for formal in table.values():
            core.update(formal)
    for (name,) in session.execute(select(Item.name).where(Item.state != STATE_CANCELLED)):
        core.add(name)
        core.update(_NAME_PARTS.split(name))
    extra: set[str] = set(lexicon.terms) | set(lexicon.actions)
    for (alias,) in session.execute(
        select(ItemAlias.alias).join(Item).where(Item.state != STATE_CANCELLED)
    ):
        extra.add(alias)
    vocabulary = core | extra
    words = {_clean(w) for w in core} | {_clean(w) for w in extra if not _glued(w, vocabulary)}
    return {w for w in words if 2 <= len(w) <= 40 and " " not in w}


def _clean(word: str) -> str:
    return word.strip()


def _glued(word: str, vocabulary: set[str]) -> bool:
    """True when ``word`` is another vocabulary word with at most two characters glued on."""
    for cut in range(1, 3):
        if len(word) - cut >= 2 and (word[cut:] in vocabulary or word[:-cut] in vocabulary):
            return True
    return False


def write_user_dict(session: Session, lexicon: Lexicon, directory: Path) -> Path:
    """Write the dictionary atomically (a training or a loading process never sees half)."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"{word} {WORD_FREQ} n" for word in sorted(dictionary_words(session, lexicon))]
    target = directory / FILE_NAME
    tmp = directory / f".{FILE_NAME}.{os.getpid()}.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def dictionary_files(directory: Path) -> list[Path]:
    """The files jieba loads from a dictionary directory (Rasa's ``JiebaTokenizer`` reads
    every file in it): all but dot files, such as a half-written ``.banshi_userdict…tmp``."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*") if p.is_file() and not p.name.startswith("."))


def dictionary_hash(directory: Path) -> str:
    """A fingerprint of the dictionaries' names and contents: training (the model's stamp)
    and the Rasa components (their cache keys) tell from it that the model is stale."""
    digest = hashlib.sha256()
    for path in dictionary_files(directory):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read_dictionary_words(directory: Path) -> set[str]:
    """The words of every dictionary file in ``directory`` (jieba's ``word [freq] [tag]``)."""
    words: set[str] = set()
    for path in dictionary_files(directory):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.split():
                words.add(line.split()[0])
    return words
