"""Webhooks received from the platform: one row per event id, so a retried delivery changes nothing twice."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ReceivedWebhook(models.Model):
    event_id = models.CharField("id события (Webhook-Id)", max_length=100, unique=True)
    type = models.CharField("тип", max_length=64)
    payload = models.JSONField("тело", default=dict)
    received_at = models.DateTimeField("получено", default=timezone.now, db_index=True)
    result = models.CharField("что сделано", max_length=255, blank=True)

    class Meta:
        verbose_name = "полученный вебхук"
        verbose_name_plural = "полученные вебхуки"
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
