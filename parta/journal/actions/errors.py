from __future__ import annotations


class JournalError(Exception):
    """A refused action; ``str(error)`` is a message in Russian fit to show the user."""
