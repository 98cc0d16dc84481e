"""Webhooks to journals: queueing events, signing them, delivering with retries; the journal's endpoint.

An event is queued by :func:`webhook_queue` (a row in :class:`WebhookEvent`, then the task
:func:`parta.messenger.tasks.webhook_deliver` after the transaction commits). Each try POSTs the JSON body
``{"id", "type", "created_at", "data"}`` with the headers

- ``Webhook-Id``: the event id (the same on every retry — deduplicate by it),
- ``Webhook-Timestamp``: Unix seconds of this try,
- ``Webhook-Signature``: ``v1=`` + hex HMAC-SHA256, keyed by the endpoint's secret (its UTF-8 bytes, the
  whole ``whsec_…`` string), over ``"{timestamp}.{body}"`` (the raw body bytes).

A 2xx answer delivers the event; anything else (or no answer within the timeout) is retried after
``PARTA_MESSENGER_WEBHOOK_BACKOFF`` (1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h by default) and given up
after the last. Every try is logged (:class:`WebhookAttempt`: status code or error); see docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parta.messenger.actions.errors import MessengerError
from parta.messenger.models import DeliveryStatus, WebhookAttempt, WebhookEndpoint, WebhookEvent
from parta.messenger.models.webhooks import new_secret

log = logging.getLogger(__name__)

SIGNATURE_VERSION = "v1"
USER_AGENT = "Parta-Webhooks/1"


def backoff() -> list[int]:
    """Seconds to wait after the 1st, 2nd, … failed try; the event is given up after len()+1 tries."""
    return list(
        getattr(settings, "PARTA_MESSENGER_WEBHOOK_BACKOFF", [60, 300, 1800, 7200, 21600, 43200, 86400])
    )


def max_attempts() -> int:
    return len(backoff()) + 1


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``Webhook-Signature`` header's value for this body and timestamp."""
    signed = str(timestamp).encode() + b"." + body
    return f"{SIGNATURE_VERSION}=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def event_body(event: WebhookEvent) -> bytes:
    """The JSON body of the event (the same bytes on every try)."""
    payload = {
        "id": event.event_id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def endpoint_set(*, client_id: int, url: str, rotate_secret: bool = False) -> WebhookEndpoint:
    """Point the journal's webhooks at ``url`` (http or https); keeps the secret unless ``rotate_secret``.
    Returns the endpoint with its secret."""
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) > 500:
        raise MessengerError("Адрес вебхуков должен начинаться с http:// или https:// (до 500 символов).")
    with transaction.atomic():
        endpoint, created = WebhookEndpoint.objects.select_for_update().get_or_create(
            client_id=client_id, defaults={"url": url}
        )
        if not created:
            endpoint.url = url
            endpoint.is_active = True
            if rotate_secret:
                endpoint.secret = new_secret()
            endpoint.updated_at = timezone.now()
            endpoint.save(update_fields=["url", "is_active", "secret", "updated_at"])
    return endpoint


def webhook_queue(*, client_id: int, event: str, data: dict[str, Any]) -> None:
    """Queue the event ``event`` (e.g. ``"link.deleted"``) with ``data`` for the journal ``client_id``
    (a ``JournalClientRef.id``). Does nothing when the journal has no active endpoint. Call it inside the
    action's transaction: the event is delivered only if the transaction commits."""
    if not WebhookEndpoint.objects.filter(client_id=client_id, is_active=True).exists():
        return
    row = WebhookEvent.objects.create(
        client_id=client_id, type=event, data=data, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: _enqueue(row.pk))


def _enqueue(event_pk: int, run_after: dt.datetime | None = None) -> None:
    from parta.messenger.tasks import webhook_deliver  # the task module imports this one

    try:
        task = webhook_deliver.using(run_after=run_after) if run_after else webhook_deliver
        task.enqueue(event_pk)
    except Exception:  # the queue is down: «Повторить доставку» in the administration re-queues it
        log.exception("webhooks: could not enqueue event %s", event_pk)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    timeout = float(getattr(settings, "PARTA_MESSENGER_WEBHOOK_TIMEOUT", 10))
    try:
        response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:2000]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, response.text[:500]


def webhook_attempt(event_pk: int) -> WebhookAttempt | None:
    """Try to deliver the event once (the task calls this). Returns the logged try, or ``None`` when there
    is nothing to do (already delivered or given up, not due yet, or no endpoint)."""
    now = timezone.now()
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.status != DeliveryStatus.PENDING:
            return None
        if event.next_attempt_at is None or event.next_attempt_at > now + dt.timedelta(seconds=5):
            return None  # being tried by another worker, or a retry enqueued too early
        endpoint = WebhookEndpoint.objects.filter(client_id=event.client_id, is_active=True).first()
        if endpoint is None:
            event.status = DeliveryStatus.FAILED
            event.next_attempt_at = None
            event.save(update_fields=["status", "next_attempt_at"])
            return None
        event.attempts += 1
        event.next_attempt_at = None  # claimed
        event.save(update_fields=["attempts", "next_attempt_at"])
    body = event_body(event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Webhook-Id": event.event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": sign(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    status_code, error = _post(endpoint.url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            event=event,
            number=event.attempts,
            url=endpoint.url,
            started_at=now,
            duration_ms=duration_ms,
            status_code=status_code,
            error=error,
        )
        fields = ["status", "next_attempt_at", "delivered_at"]
        if attempt.ok:
            event.status = DeliveryStatus.DELIVERED
            event.delivered_at = timezone.now()
        elif event.attempts >= max_attempts():
            event.status = DeliveryStatus.FAILED
        else:
            event.next_attempt_at = timezone.now() + dt.timedelta(seconds=backoff()[event.attempts - 1])
            retry_at = event.next_attempt_at
            transaction.on_commit(lambda: _enqueue(event.pk, run_after=retry_at))
        event.save(update_fields=fields)
    return attempt


def webhook_retry(event_pks: list[int]) -> int:
    """Give the events another chance (the administration's «Повторить доставку»): each one not yet
    delivered is pending again and tried now, its back-off started over. Returns how many."""
    pks = list(
        WebhookEvent.objects.filter(pk__in=event_pks)
        .exclude(status=DeliveryStatus.DELIVERED)
        .values_list("pk", flat=True)
    )
    WebhookEvent.objects.filter(pk__in=pks).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    for pk in pks:
        transaction.on_commit(functools.partial(_enqueue, pk))
    return len(pks)
