"""How the sync's ledger transactions commit (docs/sync.md, «Crash-safe and idempotent»)."""

from __future__ import annotations

from django.db import connection


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
