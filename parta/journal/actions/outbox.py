from __future__ import annotations

from typing import Any

from django.db import transaction

from parta.journal.models import OutboxEvent


def outbox_emit(*, kind: str, school_id: int | None, **payload: Any) -> OutboxEvent:
    """Record a roster change for the integration. Must run inside the change's own transaction."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_emit must run inside the transaction of the change it records")
    return OutboxEvent.objects.create(kind=kind, school_id=school_id, payload=payload)
