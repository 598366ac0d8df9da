"""What can go wrong with a ticket; each message is Chinese, for the staff member who asked."""

from __future__ import annotations


class TicketError(ValueError):
    """A ticket operation was refused; ``str()`` says why and what to do."""


class TicketNotFound(TicketError):
    """No ticket has this number."""


class TransitionRefused(TicketError):
    """The ticket's state does not allow this move."""


class ReasonRequired(TicketError):
    """Returning, re-routing, extending, merging or setting aside needs a written reason."""
