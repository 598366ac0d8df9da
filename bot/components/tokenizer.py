"""``BanshiJiebaTokenizer``: Rasa's ``JiebaTokenizer`` with two of its traps fixed (NOTES.md).

* jieba's HMM glues characters across entity boundaries ("9点办", "日想"), and Rasa silently
  drops every annotation that does not line up with the tokens; with ``HMM=False`` and the
  catalog's user dictionary the item words tokenise whole.
* editing the dictionary does not invalidate Rasa's training cache, so the component's
  fingerprint includes a hash of the dictionary directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from banshi.userdict import dictionary_hash


def _require_directory(dictionary_path: str | None) -> None:
    if dictionary_path is None:
        return
    path = Path(dictionary_path)
    if not path.is_dir():
        raise FileNotFoundError(
            f"jieba dictionary directory '{path.resolve()}' does not exist. "
            "'dictionary_path' must name a directory; run 'banshi catalog sync' or "
            "'banshi train', which write var/jieba/banshi_userdict.txt from the catalog."
        )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class BanshiJiebaTokenizer(JiebaTokenizer):
    """``JiebaTokenizer`` without HMM, without whitespace tokens, retrained on a new dictionary."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> BanshiJiebaTokenizer:
        _require_directory(config.get("dictionary_path"))
        tokenizer = super().create(config, model_storage, resource, execution_context)
        assert isinstance(tokenizer, BanshiJiebaTokenizer)
        return tokenizer

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        dictionary_path = config.get("dictionary_path")
        if dictionary_path is None:
            return None
        path = Path(dictionary_path)
        return dictionary_hash(path) if path.is_dir() else "missing"

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        import jieba

        text = message.get(attribute)
        tokens = [
            Token(word, start)
            for word, start, _end in jieba.tokenize(text, HMM=False)
            if word.strip()
        ]
        return self._apply_token_pattern(tokens)
