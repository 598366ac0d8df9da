"""The shared base of the components that only rewrite messages at inference (the text
normaliser and the intent overrides): nothing to train, nothing to store."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData


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
