"""Webhooks from the platform, applied once per event id (docs/api.md «Webhooks»).

:func:`webhook_receive` records the event and applies it in one transaction: a delivery that fails half
way leaves nothing and the platform retries; a retried delivery of an applied event finds its row and
changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from parta.integration.actions.audit import binding_event_record
from parta.integration.actions.link_requests import link_request_apply
from parta.integration.models import Binding, BindingEventKind, BindingState, ReceivedWebhook

logger = logging.getLogger(__name__)

LINK_REQUEST_EVENTS = ("link_request.confirmed", "link_request.declined", "link_request.expired")
PLATFORM_UNLINK_REASON = "связь удалена на платформе «Сферум»"


def webhook_receive(*, event_id: str, event_type: str, data: dict[str, Any], payload: dict[str, Any]) -> str:
    """Record and apply one event; what was done (``duplicate`` when it had been received already)."""
    try:
        with transaction.atomic():
            row = ReceivedWebhook.objects.create(event_id=event_id, type=event_type, payload=payload)
            result = _apply(event_type=event_type, data=data)
            row.result = result[:255]
            row.save(update_fields=["result"])
    except IntegrityError:
        if ReceivedWebhook.objects.filter(event_id=event_id).exists():
            return "duplicate"
        raise
    logger.info("webhook %s %s: %s", event_type, event_id, result)
    return result


def _apply(*, event_type: str, data: dict[str, Any]) -> str:
    if event_type in LINK_REQUEST_EVENTS:
        row = link_request_apply(
            request_id=str(data.get("id") or ""),
            state=event_type.rsplit(".", 1)[1],
            profile_sub=str(data.get("profile_sub") or ""),
            link_id=str(data.get("link_id") or ""),
            source="webhook",
        )
        return f"link request: {row.state}" if row is not None else "link request: unknown"
    if event_type == "link.deleted":
        return f"bindings ended: {bindings_end_by_platform(link_id=str(data.get('link_id') or ''))}"
    if event_type == "profile.updated":
        name = " ".join(
            str(data.get(key) or "").strip()
            for key in ("last_name", "first_name", "middle_name")
            if str(data.get(key) or "").strip()
        )
        sub = str(data.get("profile_sub") or "")
        if not sub or not name:
            return "profile: nothing to update"
        updated = Binding.objects.filter(
            profile_sub=sub, state__in=[BindingState.PENDING, BindingState.ACTIVE]
        ).update(profile_name=name)
        return f"profile: {updated} bindings renamed"
    return "ignored"


def bindings_end_by_platform(*, link_id: str) -> int:
    """The platform deleted a link (an operator there): end the bindings that held it, audited."""
    if not link_id:
        return 0
    rows = list(
        Binding.objects.select_for_update().filter(link_id=link_id, state=BindingState.ACTIVE).order_by("pk")
    )
    if not rows:
        return 0
    Binding.objects.filter(pk__in=[row.pk for row in rows]).update(
        state=BindingState.ENDED, ended_at=timezone.now(), end_reason=PLATFORM_UNLINK_REASON
    )
    for account_id in sorted({row.account_id for row in rows}):
        binding_event_record(
            kind=BindingEventKind.UNLINKED,
            account_id=account_id,
            profile_sub=rows[0].profile_sub,
            links=[link_id],
            reason=PLATFORM_UNLINK_REASON,
            by_platform=True,
        )
    return len(rows)
