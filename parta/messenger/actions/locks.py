"""The lock every action takes before it puts profiles into an organization's chats.

Leaving an organization (:func:`~parta.messenger.actions.organizations.membership_set` with no roles:
a journal's ``DELETE /links/{id}``, an unlink, an operator's deletion) locks the profile's
:class:`Membership` row ``FOR UPDATE``, deletes it and then every :class:`ChatMember` row of the profile
in the organization's chats. An action that *adds* members — ``groups:sync``, a teacher's «Новый чат»,
a journal's chat, a direct chat — must not slip a row in between: it would outlive the membership, and
:class:`ChatMember` has no database foreign keys that could refuse it (see models/chats.py). So, before
writing any member row, such an action calls :func:`members_lock` in its transaction:

- it locks the memberships of the profiles it is about to add ``FOR KEY SHARE`` (PostgreSQL) until its
  commit — shared with every other adding action, exclusive with the leaving one;
- it returns the profiles that are still members, and the action adds only those (or refuses).

Either the leaving transaction committed first (the lock waits for it, then finds no row: the profile is
not added), or the adding one did (the leaving one waits for the lock, and its ``DELETE`` then sees the
new rows and takes them too). SQLite runs one write transaction at a time (``BEGIN IMMEDIATE``,
settings): the plain read there is already consistent.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from parta.messenger.models import Membership

CHUNK = 10_000  # ids per IN (…) on SQLite: under its 32,766 parameters


def pg_ints(values: Iterable[int]) -> str:
    """A PostgreSQL array literal (``{1,2,3}``) for ``%s::bigint[]``: one string to bind instead of a
    list psycopg would adapt element by element (0.5–1.5 s for the 300,000 values of a large batch,
    against a few hundredths)."""
    return "{" + ",".join(map(str, values)) + "}"


def members_lock(*, organization_id: int | None, profile_ids: Iterable[int]) -> set[int]:
    """Those of ``profile_ids`` that are members of the organization, their memberships locked until the
    end of the caller's transaction (one statement, in profile order). Call it inside the transaction
    that adds the chat members, before writing any of them."""
    ids = sorted(set(profile_ids))
    if organization_id is None or not ids:
        return set()
    if connection.vendor != "postgresql":
        found: set[int] = set()
        for start in range(0, len(ids), CHUNK):
            found.update(
                Membership.objects.filter(
                    organization_id=organization_id, profile_id__in=ids[start : start + CHUNK]
                ).values_list("profile_id", flat=True)
            )
        return found
    table = connection.ops.quote_name(Membership._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT profile_id FROM {table} WHERE organization_id = %s "  # noqa: S608 -- table from the model
            "AND profile_id = ANY(%s::bigint[]) ORDER BY profile_id FOR KEY SHARE",
            [organization_id, pg_ints(ids)],
        )
        return {row[0] for row in cursor.fetchall()}
