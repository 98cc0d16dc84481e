from __future__ import annotations


class MessengerError(Exception):
    """A refused action; ``str(error)`` is a message in Russian fit to show the person."""
