"""Roster → chats: level-triggered reconciliation of a school's managed chats (docs/sync.md).

``desired`` computes what the chats should be from the journal (``parta.journal.public.school_roster``)
and the active bindings; ``plan`` diffs that with the ledger (``models/ledger.py``) into the changes to
send, each with its reason; ``parta.integration.actions.sync`` applies a plan in batches through
``POST /orgs/{org_ref}/groups:sync`` and records the answers in the ledger.
"""
