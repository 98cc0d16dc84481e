"""The audit trail of bindings (:class:`~parta.integration.models.BindingEvent`)."""

from __future__ import annotations

import logging
from typing import Any

from parta.integration.models import BindingEvent, BindingEventKind

logger = logging.getLogger("parta.integration.audit")


def binding_event_record(
    *,
    kind: BindingEventKind,
    account_id: int,
    actor_id: int | None = None,
    profile_sub: str = "",
    **detail: Any,
) -> BindingEvent:
    event = BindingEvent.objects.create(
        kind=kind, account_id=account_id, actor_id=actor_id, profile_sub=profile_sub, detail=detail
    )
    logger.info("%s account=%s actor=%s sub=%s %s", kind, account_id, actor_id, profile_sub, detail)
    if kind in (BindingEventKind.LINKED, BindingEventKind.UNLINKED):  # roster → chats: sync this user now
        from parta.integration.actions.sync import account_sync_on_commit

        account_sync_on_commit(account_id=account_id, reason=str(kind))
    return event
