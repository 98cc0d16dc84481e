"""The sync ledger's batch writes (docs/sync.md, «Crash-safe and idempotent»): how its transactions commit,
and the statements that change many member and chat rows at once.

A batch of a year rollover renames thousands of chats and removes and re-admins members in each. One
statement per chat cost a round trip each (8,000 chats at 100,000 students, bench/RESULTS.md); these
functions take the whole batch. On PostgreSQL the rows travel as one array per column (``unnest``), on
SQLite as ``(group_id, sub) IN (VALUES …)`` in chunks under its limit on parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from parta.core.bulk import bulk_update_rows
from parta.integration.models import SyncGroup, SyncMember

CHUNK = 5000  # (group, sub) pairs per statement on SQLite: two parameters each, under its 32,766

# The columns a chat's ledger row is rewritten with.
GROUP_COLUMNS = ("school_id", "kind", "title", "subject", "archived", "chat_id", "updated_at")


def ledger_commit_async() -> None:
    """Inside a ledger transaction on PostgreSQL: do not wait at its commit for the WAL to reach the disk
    (``synchronous_commit = off`` for this transaction only). A large batch's commit waited up to a second
    for the flush (bench/RESULTS.md), most of an initial sync's time. It is safe for the ledger alone: a
    database crash can lose only the last moments' commits, never corrupt them, and a ledger that lost a
    commit is *behind* the platform — the next run sends the same idempotent changes again and records
    them (the platform's own writes stay synchronous)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _pairs_in(pairs: Sequence[tuple[int, str]]) -> tuple[str, list[Any]]:
    """``(group_id, sub) IN (VALUES …)`` for SQLite."""
    return (
        f"(group_id, sub) IN (VALUES {', '.join(['(%s, %s)'] * len(pairs))})",
        [value for pair in pairs for value in pair],
    )


def members_delete(pairs: Sequence[tuple[int, str]]) -> None:
    """Delete the ledger's member rows of these (chat row id, sub) pairs; pairs not there are skipped."""
    if not pairs:
        return
    table = SyncMember._meta.db_table  # identifiers from the model's metadata only
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {table} m USING unnest(%s::bigint[], %s::text[]) AS v(group_id, sub) "  # noqa: S608
                "WHERE m.group_id = v.group_id AND m.sub = v.sub",
                [[group for group, _ in pairs], [sub for _, sub in pairs]],
            )
            return
        for start in range(0, len(pairs), CHUNK):
            where, params = _pairs_in(pairs[start : start + CHUNK])
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608


def members_set_admin(rows: Sequence[tuple[int, str, bool]]) -> None:
    """Set ``admin`` of the ledger's member rows given as (chat row id, sub, admin)."""
    if not rows:
        return
    table = SyncMember._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} m SET admin = v.admin "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::text[], %s::boolean[]) AS v(group_id, sub, admin) "
                "WHERE m.group_id = v.group_id AND m.sub = v.sub",
                [[row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]],
            )
            return
        for admin in (True, False):
            pairs = [(group, sub) for group, sub, value in rows if value is admin]
            for start in range(0, len(pairs), CHUNK):
                where, params = _pairs_in(pairs[start : start + CHUNK])
                cursor.execute(f"UPDATE {table} SET admin = %s WHERE {where}", [admin, *params])  # noqa: S608


def groups_update(rows: Sequence[SyncGroup]) -> None:
    """Write :data:`GROUP_COLUMNS` of these ledger chat rows (they have primary keys) in one statement."""
    bulk_update_rows(rows, list(GROUP_COLUMNS))
