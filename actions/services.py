"""What the actions call: the domain services, installed by whoever runs the action server.

rasa_sdk builds every action without arguments, so the actions cannot receive their services
in a constructor. The composition root installs them here before the server starts
(``rasa run actions --actions app.action_entry``); tests install their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from banshi.conversation import Conversation
from banshi.guide import Guide


@dataclass(frozen=True)
class Services:
    guide: Guide
    conversation: Conversation


_lock = threading.Lock()
_factory: Callable[[], Services] | None = None
_services: Services | None = None


def install(services: Services | Callable[[], Services]) -> None:
    """Use ``services`` (or build them with the callable on first use: opening the database
    and the search index waits until the first message, not the server's start)."""
    global _factory, _services
    with _lock:
        if isinstance(services, Services):
            _factory, _services = None, services
        else:
            _factory, _services = services, None


def get() -> Services:
    global _services
    with _lock:
        if _services is None:
            if _factory is None:
                raise RuntimeError(
                    "no services installed: start the action server with "
                    "'--actions app.action_entry' (banshi run does)"
                )
            _services = _factory()
        return _services
