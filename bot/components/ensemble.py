"""``LinearIntentEnsemble``: a linear n-gram classifier averaged with DIET's intent ranking.

Trained models pickle ``LinearIntentEnsemble.Model`` (and its ``tokens_of`` analyzer) by
module path; a model trained when the class lived in ``bot/components.py`` names
``bot.components.LinearIntentEnsemble``, which the package still exports, so it loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


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
