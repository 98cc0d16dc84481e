"""Webhooks to journals: where each journal wants them, and the delivery log.

A :class:`WebhookEndpoint` is one journal's URL and signing secret (one row per journal client; the ID's
``JournalClient`` is not the messenger's to extend). A :class:`WebhookEvent` is one event to deliver
(its ``event_id`` is the ``id`` the receiver deduplicates by); each try is a :class:`WebhookAttempt`
with the status code or the error — the log operators read in the admin.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils import timezone


def new_secret() -> str:
    """A signing secret: ``whsec_`` and 32 random bytes, URL-safe base64."""
    return "whsec_" + secrets.token_urlsafe(32)


def new_event_id() -> str:
    return "evt_" + uuid.uuid4().hex


class WebhookEndpoint(models.Model):
    client = models.OneToOneField(
        "identity.JournalClient",
        on_delete=models.CASCADE,
        related_name="webhook_endpoint",
        verbose_name="журнал",
    )
    url = models.URLField("адрес", max_length=500)
    secret = models.CharField("секрет подписи", max_length=100, default=new_secret)
    is_active = models.BooleanField("включён", default=True)
    created_at = models.DateTimeField("создан", default=timezone.now)
    updated_at = models.DateTimeField("изменён", default=timezone.now)

    class Meta:
        verbose_name = "адрес вебхуков"
        verbose_name_plural = "адреса вебхуков"
        ordering = ["client_id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "ожидает отправки"
    DELIVERED = "delivered", "доставлено"
    FAILED = "failed", "не доставлено"


class WebhookEvent(models.Model):
    event_id = models.CharField("идентификатор события", max_length=40, unique=True, default=new_event_id)
    client = models.ForeignKey(
        "identity.JournalClient",
        on_delete=models.CASCADE,
        related_name="webhook_events",
        verbose_name="журнал",
    )
    type = models.CharField("тип", max_length=60)
    data = models.JSONField("данные", default=dict)
    created_at = models.DateTimeField("создано", default=timezone.now)
    status = models.CharField(
        "состояние", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    next_attempt_at = models.DateTimeField("следующая попытка", null=True, blank=True)
    delivered_at = models.DateTimeField("доставлено", null=True, blank=True)

    class Meta:
        verbose_name = "событие вебхука"
        verbose_name_plural = "события вебхуков"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="messenger_webhook_due")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookAttempt(models.Model):
    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="attempt_log", verbose_name="событие"
    )
    number = models.PositiveSmallIntegerField("попытка №")
    url = models.URLField("адрес", max_length=500)
    started_at = models.DateTimeField("начата", default=timezone.now)
    duration_ms = models.PositiveIntegerField("длительность, мс", default=0)
    status_code = models.PositiveSmallIntegerField("код ответа", null=True, blank=True)
    error = models.TextField("ошибка", blank=True)

    class Meta:
        verbose_name = "попытка доставки"
        verbose_name_plural = "попытки доставки"
        ordering = ["event", "number"]

    def __str__(self) -> str:
        return f"{self.event.event_id} № {self.number}: {self.status_code or self.error[:40]}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
