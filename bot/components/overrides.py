"""Deterministic intent rules after the classifiers, for message shapes DIET cannot be
trusted with: a pick from a list (``ChoiceIntentOverride``) and a notice number typed alone
(``NoticeNumberIntentOverride``)."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.base import _InferenceOnly


class _IntentOverride(_InferenceOnly):
    """Sets ``intent_name`` (confidence 1) on messages that ``matches`` — a deterministic rule
    after DIET, for message shapes DIET cannot be trusted with."""

    intent_name = ""

    def matches(self, text: str) -> bool:
        raise NotImplementedError

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and self.matches(text):
                intent = {INTENT_NAME_KEY: self.intent_name, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ChoiceIntentOverride(_IntentOverride):
    """A message that is only a pick from a list ("2", "第二个", "选三", "最后一个") is
    ``choose_option``, decided by the same parser the guide uses rather than by DIET, which
    confuses a bare "一" or "三" with ``affirm``."""

    intent_name = "choose_option"

    def matches(self, text: str) -> bool:
        from banshi.choices import parse_choice

        return parse_choice(text, 10**6) is not None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NoticeNumberIntentOverride(_IntentOverride):
    """A message that is only a notice number ("BS2026000123") is ``list_notices``: the
    citizen wants that notice back. DIET has never seen such numbers and guesses anything."""

    intent_name = "list_notices"

    def matches(self, text: str) -> bool:
        from banshi.notices import is_notice_number

        return is_notice_number(text)
