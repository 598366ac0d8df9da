"""Banshi (办事助手): the domain layer.

Plain Python over SQLAlchemy: catalog, item resolution, notices, bookings, tickets and
ratings. Nothing here imports Rasa or WeChat; those are thin adapters in ``actions/`` and
``bot/``.
"""

__version__ = "0.1.0"
