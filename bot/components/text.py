"""``BanshiTextNormalizer``: one normal form of the citizen's text before anything reads it."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.base import _InferenceOnly


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BanshiTextNormalizer(_InferenceOnly):
    """Normalises an incoming message before anything reads it, whatever the channel:
    traditional → simplified (OpenCC), full-width → half-width, emoji and stray whitespace.

    Only at inference: the training data is written in simplified Chinese already, and
    rewriting it would shift the offsets of its entity annotations.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        from banshi.text import normalize_message

        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text and not text.startswith("/"):
                message.set(TEXT, normalize_message(text))
        return messages
