"""The development outbox: what the ID would have sent by SMS, call or push, kept for the demo and tests."""

from __future__ import annotations

from django.db import models


class DevMessage(models.Model):
    channel = models.CharField("канал", max_length=10)
    phone = models.CharField("телефон", max_length=16, db_index=True)
    text = models.TextField("текст")
    created_at = models.DateTimeField("отправлено", auto_now_add=True)

    class Meta:
        verbose_name = "сообщение (dev outbox)"
        verbose_name_plural = "сообщения (dev outbox)"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.phone}"
