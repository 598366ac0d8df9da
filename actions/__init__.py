"""Custom actions served by ``rasa run actions``: thin adapters over the domain layer."""
