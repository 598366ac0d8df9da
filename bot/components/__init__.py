"""Custom Rasa graph components for Chinese, one module per component or family.

config.yml names them by this package (``bot.components.BanshiJiebaTokenizer`` …): Rasa's
registry imports ``bot.components`` and looks each class up by name, so importing every
module here is what runs their ``@DefaultV1Recipe.register`` decorators.

* ``text``: ``BanshiTextNormalizer``, traditional → simplified, full-width, emoji (at
  inference only);
* ``tokenizer``: ``BanshiJiebaTokenizer``, jieba without HMM or whitespace tokens, with the
  dictionary in its fingerprint;
* ``novelty``: ``NoveltyFeaturizer``, per token a catalog word, a familiar word or a novel one;
* ``ensemble``: ``LinearIntentEnsemble``, a linear n-gram classifier averaged with DIET;
* ``overrides``: ``ChoiceIntentOverride`` ("2", "第二个" → ``choose_option``) and
  ``NoticeNumberIntentOverride`` (a notice number alone → ``list_notices``), on the shared
  inference-only base of ``base``.
"""

from bot.components.ensemble import LinearIntentEnsemble
from bot.components.novelty import NoveltyFeaturizer
from bot.components.overrides import ChoiceIntentOverride, NoticeNumberIntentOverride
from bot.components.text import BanshiTextNormalizer
from bot.components.tokenizer import BanshiJiebaTokenizer

__all__ = [
    "BanshiJiebaTokenizer",
    "BanshiTextNormalizer",
    "ChoiceIntentOverride",
    "LinearIntentEnsemble",
    "NoticeNumberIntentOverride",
    "NoveltyFeaturizer",
]
