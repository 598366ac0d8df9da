"""The built-in pages, each a :class:`~console.services.ConsolePage` like a feature's."""
