"""The journal's webhook endpoint: ``POST /integration/webhooks/sphere/`` (docs/integration.md «Webhooks»).

The platform signs every delivery (docs/api.md): ``Webhook-Signature: v1=<hex HMAC-SHA256 of
"{Webhook-Timestamp}.{raw body}">`` keyed by the secret ``whsec_…`` that ``parta platform
webhook_endpoint`` printed. A request is applied only if one ``v1=`` signature matches one of the
configured secrets and its timestamp is within five minutes of our clock; then the event is recorded by
its ``Webhook-Id`` and applied once (:func:`parta.integration.actions.webhook_receive`).

Answers: 200 applied (or a duplicate), 400 malformed or stale, 401 bad signature, 503 no secret
configured (the platform retries later). Nothing is applied unless the answer is 200.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from parta.integration import actions

TOLERANCE_SECONDS = 300
RU = {"ensure_ascii": False}  # the Russian ``detail`` readable in the platform's delivery log


class WebhookRejectedError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def webhook_secrets() -> list[str]:
    """``PARTA_INTEGRATION_WEBHOOK_SECRET`` (space-separated during a rotation), else the file
    ``PARTA_INTEGRATION_WEBHOOK_SECRET_FILE`` (``make demo`` writes ``var/demo-journal-webhook-secret``)."""
    value = str(getattr(settings, "PARTA_INTEGRATION_WEBHOOK_SECRET", "") or "")
    if not value:
        path = Path(str(getattr(settings, "PARTA_INTEGRATION_WEBHOOK_SECRET_FILE", "") or ""))
        if path.name and path.is_file():
            try:
                value = path.read_text(encoding="utf-8")
            except OSError:
                value = ""
    return [secret for secret in value.split() if secret]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=…`` as the platform computes it."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def webhook_verify(
    *, secrets: list[str], headers: dict[str, str], body: bytes, now: float
) -> dict[str, object]:
    """The event if the request comes from the platform and is fresh; else ``WebhookRejectedError``."""
    event_id = headers.get("Webhook-Id", "")
    timestamp = headers.get("Webhook-Timestamp", "")
    offered = headers.get("Webhook-Signature", "")
    if not event_id or not timestamp.isdigit() or not offered:
        raise WebhookRejectedError(400, "Нет заголовков Webhook-Id, Webhook-Timestamp или Webhook-Signature.")
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise WebhookRejectedError(400, "Webhook-Timestamp дальше пяти минут от часов журнала.")
    candidates = [part for part in offered.split() if part.startswith("v1=")]
    expected = [signature(secret, timestamp, body) for secret in secrets]
    if not any(hmac.compare_digest(mine, theirs) for mine in expected for theirs in candidates):
        raise WebhookRejectedError(401, "Подпись Webhook-Signature не подходит.")
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookRejectedError(400, "Тело вебхука — не JSON.") from None
    if not isinstance(event, dict) or not isinstance(event.get("data", {}), dict) or not event.get("type"):
        raise WebhookRejectedError(400, "В событии нет type или data.")
    if str(event.get("id", event_id)) != event_id:
        raise WebhookRejectedError(400, "Webhook-Id не совпадает с id события.")
    return event


@csrf_exempt
@require_POST
def receive(request: HttpRequest) -> JsonResponse:
    secrets = webhook_secrets()
    if not secrets:
        return JsonResponse(
            {"detail": "Секрет вебхуков не настроен в журнале."}, status=503, json_dumps_params=RU
        )
    headers = {
        name: request.headers.get(name, "")
        for name in ("Webhook-Id", "Webhook-Timestamp", "Webhook-Signature")
    }
    try:
        event = webhook_verify(secrets=secrets, headers=headers, body=request.body, now=time.time())
    except WebhookRejectedError as rejected:
        return JsonResponse({"detail": rejected.detail}, status=rejected.status, json_dumps_params=RU)
    data = event.get("data") or {}
    assert isinstance(data, dict)
    result = actions.webhook_receive(
        event_id=headers["Webhook-Id"], event_type=str(event["type"]), data=data, payload=event
    )
    return JsonResponse({"status": "duplicate" if result == "duplicate" else "ok"})
