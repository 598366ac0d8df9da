"""Custom actions served by ``rasa run actions``: thin adapters over the domain layer."""

from actions import actions, notice_actions

__all__ = ["actions", "notice_actions"]
