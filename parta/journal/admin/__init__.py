"""The school administration (``/admin/``), in Russian.

Every change of the roster made here goes through the journal's actions (``parta.journal.actions``), so
it is validated the same way as anywhere else and recorded in the outbox for the integration. Forms save
rows directly only where no roster is involved (names of people and schools, subjects, lessons).
"""

from parta.journal.admin import classes, orgs, outbox, people

__all__ = ["classes", "orgs", "outbox", "people"]
