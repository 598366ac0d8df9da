"""``NoveltyFeaturizer``: tells DIET, per token, whether a word is the catalog's, a familiar
one or a novel one, so out-of-scope questions in familiar frames stand out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from banshi.userdict import read_dictionary_words
from bot.components.tokenizer import BanshiJiebaTokenizer


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class NoveltyFeaturizer(SparseFeaturizer, GraphComponent):
    """Marks each token as a service word, a familiar word, or a novel one.

    Out-of-scope messages are made of words the assistant has never been taught (黑洞, 腹肌,
    王者荣耀) in frames it knows well ("X是什么", "你会X吗", "怎么X"), so word features alone
    send them to whichever intent owns the frame. This featurizer tells DIET, per token:

    * service: a word of the catalog's jieba dictionary (item names, aliases, the lexicon);
    * familiar: a word used in at least ``min_examples`` in-scope training examples, or a stop
      word;
    * novel: anything else — a word seen once in training counts as novel too, so the model
      learns during training what novel words look like at inference, and so does a word only
      out-of-scope examples use (做饭, 黑洞): being taught that 黑洞是什么 is out of scope does not
      make 黑洞 a word of the assistant's.

    The vocabulary is fixed at training; the dictionary is part of the fingerprint, so a new
    catalog retrains (as for the tokenizer).
    """

    FILENAME = "novelty_vocabulary.json"
    SERVICE, FAMILIAR, NOVEL = range(3)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            "dictionary_path": None,
            # the curated lexicon (its stopwords are familiar words); relative to the project
            "lexicon_path": "banshi/data/lexicon.yml",
            "min_examples": 2,
            "out_of_scope_intent": "out_of_scope",
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("min_examples", 2)) < 1:
            raise ValueError("NoveltyFeaturizer: min_examples must be at least 1")

    @classmethod
    def required_components(cls) -> list[type]:
        return [JiebaTokenizer]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return BanshiJiebaTokenizer.fingerprint_addon(config)

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        service: frozenset[str] = frozenset(),
        familiar: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self.service = service
        self.familiar = familiar

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NoveltyFeaturizer:
        return cls(config, model_storage, resource, execution_context)

    def train(self, training_data: TrainingData) -> Resource:
        from banshi.lexicon import cached_lexicon

        dictionary_path = self._config.get("dictionary_path")
        service = read_dictionary_words(Path(dictionary_path)) if dictionary_path else set()
        counts: dict[str, int] = {}
        outside = self._config.get("out_of_scope_intent")
        for example in training_data.training_examples:
            if outside and example.get(INTENT) == outside:
                continue
            for word in {t.text for t in example.get(TOKENS_NAMES[TEXT]) or []}:
                counts[word] = counts.get(word, 0) + 1
        minimum = int(self._config["min_examples"])
        familiar = {w for w, n in counts.items() if n >= minimum}
        familiar |= set(cached_lexicon(Path(self._config["lexicon_path"])).stopwords)
        self.service, self.familiar = frozenset(service), frozenset(familiar)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.FILENAME).write_text(
                json.dumps(
                    {"service": sorted(self.service), "familiar": sorted(self.familiar)},
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> NoveltyFeaturizer:
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / cls.FILENAME).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource, execution_context)
        return cls(
            config,
            model_storage,
            resource,
            execution_context,
            frozenset(data["service"]),
            frozenset(data["familiar"]),
        )

    def kind(self, word: str) -> int:
        if word in self.service:
            return self.SERVICE
        if word in self.familiar or word.isdigit() or not any(ch.isalnum() for ch in word):
            return self.FAMILIAR
        return self.NOVEL

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        if not tokens:
            return
        rows = list(range(len(tokens)))
        cols = [self.kind(t.text) for t in tokens]
        sequence = scipy.sparse.coo_matrix(
            (np.ones(len(rows)), (np.array(rows), np.array(cols))), shape=(len(tokens), 3)
        )
        sentence = scipy.sparse.coo_matrix(np.bincount(cols, minlength=3).reshape(1, 3))
        self.add_features_to_message(sequence, sentence, TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._featurize(message)
        return messages
