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
    """Names (and their parts around brackets), aliases and lexicon words of live items."""
    words: set[str] = set(lexicon.words())
    for (name,) in session.execute(select(Item.name).where(Item.state != STATE_CANCELLED)):
        words.add(name)
        words.update(_NAME_PARTS.split(name))
    for (alias,) in session.execute(
        select(ItemAlias.alias).join(Item).where(Item.state != STATE_CANCELLED)
    ):
        words.add(alias)
    return {w.strip() for w in words if 2 <= len(w.strip()) <= 40 and " " not in w.strip()}


def write_user_dict(session: Session, lexicon: Lexicon, directory: Path) -> Path:
    """Write the dictionary atomically (a training or a loading process never sees half)."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"{word} {WORD_FREQ} n" for word in sorted(dictionary_words(session, lexicon))]
    target = directory / FILE_NAME
    tmp = directory / f".{FILE_NAME}.{os.getpid()}.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def dictionary_hash(directory: Path) -> str:
    """A fingerprint of the dictionaries, so training can tell when the model is stale."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.txt")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
