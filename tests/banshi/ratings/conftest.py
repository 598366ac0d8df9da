"""Fixtures shared by the ticket, handoff and rating tests (see support.py)."""

from tests.banshi.tickets.support import cipher, db  # noqa: F401
