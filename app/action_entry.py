"""The action server's entry: ``rasa run actions --actions app.action_entry``.

Builds the domain services the actions call (from the environment) and the resolver's index
before the server takes its first request — a citizen's first question must not wait for
them — and imports the actions so that rasa_sdk registers them.
"""

from __future__ import annotations

import actions  # noqa: F401  (registers action_guide and action_task)
from actions import services
from actions.services import Services
from app.services import SERVER_RECHECK_SECONDS, build_services
from app.settings import load_settings
from banshi.privacy.logfilter import install_log_masking


def _ready() -> Services:
    built = build_services(load_settings(), recheck_seconds=SERVER_RECHECK_SECONDS)
    built.guide.resolver.warm(built.guide.engine)
    return built


install_log_masking()
services.install(_ready())
