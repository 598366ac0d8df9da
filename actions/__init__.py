"""Rasa custom actions: thin adapters over the domain layer (``banshi``).

``said`` maps the NLU's intents to the domain's words once; ``slots`` keeps what the
conversation remembers; ``guide`` answers questions; ``task`` runs every multi-turn task.
The domain services come from :mod:`actions.services`, installed by the composition root.
"""

from actions import guide, task

__all__ = ["guide", "task"]
