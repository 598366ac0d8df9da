"""Custom Rasa graph components for Chinese.

``BanshiJiebaTokenizer`` fixes two traps of Rasa's ``JiebaTokenizer`` (see NOTES.md):

* jieba's HMM glues characters across entity boundaries ("9点办", "日想"), and Rasa silently
  drops every annotation that does not line up with the tokens; with ``HMM=False`` and the
  catalog's user dictionary the item words tokenise whole.
* editing the dictionary does not invalidate Rasa's training cache, so the component's
  fingerprint includes a hash of the dictionary directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from banshi.userdict import dictionary_hash, read_dictionary_words


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


class _InferenceOnly(GraphComponent):
    """A component with no training and no state: it only rewrites messages at inference."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _InferenceOnly:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


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
        from banshi.guide import parse_choice

        return parse_choice(text, 10**6) is not None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NoticeNumberIntentOverride(_IntentOverride):
    """A message that is only a notice number ("BS2026000123") is ``list_notices``: the
    citizen wants that notice back. DIET has never seen such numbers and guesses anything."""

    intent_name = "list_notices"

    def matches(self, text: str) -> bool:
        from banshi.notices import is_notice_number

        return is_notice_number(text)


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
        from banshi.settings import load_settings

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
        familiar |= set(cached_lexicon(load_settings().lexicon_path).stopwords)
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


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentEnsemble(GraphComponent, IntentClassifier):
    """A linear support-vector classifier over TF-IDF word and character n-grams, averaged with
    DIET's intent ranking.

    On two or three thousand short Chinese questions a linear model over n-grams is as good
    a classifier as DIET and makes different mistakes (it keys on the exact characters, DIET
    on learned similarities), so the average of the two is better than either. DIET keeps
    the entities. The linear model's decision values become probabilities by a softmax whose
    temperature is fitted at training (the one that makes 3-fold out-of-fold decisions on the
    training data most likely), unless ``temperature`` sets it; ``weight`` is the linear
    model's share of the combined confidence, which the FallbackClassifier after it reads as
    usual.
    """

    FILENAME = "linear_intent.joblib"
    DEFAULT_TEMPERATURE = 0.1  # when an intent has too few examples to fit one

    @dataclass
    class Model:
        """What the component trains and saves: two TF-IDF vectorizers, the SVM and the softmax
        temperature of its decision values. Nested, so that Rasa's cache key (which includes
        the component's source) changes when this code does."""

        words: Any
        chars: Any
        svc: Any
        temperature: float = 1.0

        @staticmethod
        def tokens_of(tokens: list[str]) -> list[str]:
            """The word vectorizer's analyzer: the message's jieba tokens as they are."""
            return tokens

        @staticmethod
        def words_of(message: Message) -> list[str]:
            return [t.text for t in message.get(TOKENS_NAMES[TEXT]) or []]

        def features(self, messages: list[Message]) -> Any:
            return scipy.sparse.hstack(
                [
                    self.words.transform([self.words_of(m) for m in messages]),
                    self.chars.transform([m.get(TEXT) or "" for m in messages]),
                ]
            ).tocsr()

        def log_probabilities(self, decisions: Any, temperature: float | None = None) -> Any:
            """Log-softmax over decision values, row by row (a two-class LinearSVC gives one
            column, for its second class)."""
            from scipy.special import log_softmax

            decisions = np.asarray(decisions)
            if decisions.ndim == 1:
                decisions = np.column_stack([-decisions, decisions])
            return log_softmax(decisions / (temperature or self.temperature), axis=1)

        def fit_temperature(self, features: Any, labels: list[str]) -> None:
            """Temperature scaling: the temperature under which 3-fold out-of-fold decision
            values on the training data are most likely (kept when an intent is too small to
            fold)."""
            from scipy.optimize import minimize_scalar
            from sklearn.base import clone
            from sklearn.model_selection import StratifiedKFold, cross_val_predict

            _, index = np.unique(labels, return_inverse=True)
            if np.bincount(index).min() < 3:
                return
            folds = StratifiedKFold(3, shuffle=True, random_state=0)
            decisions = cross_val_predict(
                clone(self.svc), features, labels, cv=folds, method="decision_function"
            )
            rows = np.arange(len(index))

            def negative_log_likelihood(log_temperature: float) -> float:
                log_p = self.log_probabilities(decisions, float(np.exp(log_temperature)))
                return float(-log_p[rows, index].mean())

            best = minimize_scalar(
                negative_log_likelihood, bounds=(np.log(0.01), np.log(2.0)), method="bounded"
            )
            self.temperature = float(np.exp(best.x))

        def probabilities(self, messages: list[Message]) -> list[dict[str, float]]:
            """The softmax over the SVM's decision values, one dict per message."""
            log_p = self.log_probabilities(self.svc.decision_function(self.features(messages)))
            classes = self.svc.classes_
            return [dict(zip(classes, map(float, row), strict=True)) for row in np.exp(log_p)]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 1.0, "weight": 0.5, "temperature": None, "max_char_ngram": 3}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 0.0 <= float(config.get("weight", 0.5)) <= 1.0:
            raise ValueError("LinearIntentEnsemble: weight must be between 0 and 1")
        if config.get("temperature") is not None and float(config["temperature"]) <= 0.0:
            raise ValueError("LinearIntentEnsemble: temperature must be positive")

    @classmethod
    def required_components(cls) -> list[type]:
        return [JiebaTokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]  # in the cache key: the saved model is a scikit-learn pickle

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: LinearIntentEnsemble.Model | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentEnsemble:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        import joblib
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            return self._resource  # nothing to tell apart: DIET's ranking stands alone
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(1, int(self._config["max_char_ngram"])),
            sublinear_tf=True,
        )
        model = self.Model(
            words=TfidfVectorizer(analyzer=self.Model.tokens_of, sublinear_tf=True).fit(
                [self.Model.words_of(e) for e in examples]
            ),
            chars=chars.fit([e.get(TEXT) for e in examples]),
            svc=LinearSVC(C=float(self._config["C"])),
            temperature=float(self._config["temperature"] or self.DEFAULT_TEMPERATURE),
        )
        features, labels = model.features(examples), [e.get(INTENT) for e in examples]
        if self._config["temperature"] is None:
            model.fit_temperature(features, labels)
        model.svc.fit(features, labels)
        self._model = model
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(model, directory / self.FILENAME)
        return self._resource

    @property
    def temperature(self) -> float | None:
        return None if self._model is None else self._model.temperature

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentEnsemble:
        import joblib

        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / cls.FILENAME)
        except (ValueError, FileNotFoundError):
            model = None
        return cls(config, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        todo = [m for m in messages if m.get(TEXT) and m.get(INTENT_RANKING_KEY)]
        if self._model is None or not todo:
            return messages
        weight = float(self._config["weight"])
        for message, linear in zip(todo, self._model.probabilities(todo), strict=True):
            diet = {
                r[INTENT_NAME_KEY]: float(r[PREDICTED_CONFIDENCE_KEY])
                for r in message.get(INTENT_RANKING_KEY)
            }
            combined = {
                name: (1 - weight) * diet.get(name, 0.0) + weight * linear.get(name, 0.0)
                for name in diet.keys() | linear.keys()
            }
            ranking = [
                {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
                for name, confidence in sorted(combined.items(), key=lambda kv: -kv[1])
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
