"""The development outbox: what the ID would have sent by SMS, call, push or e-mail, kept for the demo and
tests (``/dev/outbox/`` shows it only when ``PARTA_DEV_OUTBOX=1``).

Written only by the development senders (``parta.identity.delivery.dev``), never in production: a row
holds the code itself, so that a person trying the demo and the browser tests can read it.
"""

from __future__ import annotations

from django.db import models


class DevMessage(models.Model):
    channel = models.CharField("канал", max_length=10)
    phone = models.CharField(
        "телефон",
        max_length=16,
        db_index=True,
        blank=True,
        help_text="Номер аккаунта, которому адресовано сообщение (для SMS и звонка — номер получателя).",
    )
    to = models.CharField("кому", max_length=254, blank=True, help_text="Телефон или адрес почты.")
    text = models.TextField("текст")
    code = models.CharField("код", max_length=12, blank=True)
    caller_number = models.CharField("номер, с которого звонок", max_length=16, blank=True)
    created_at = models.DateTimeField("отправлено", auto_now_add=True)

    class Meta:
        verbose_name = "сообщение (dev outbox)"
        verbose_name_plural = "сообщения (dev outbox)"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to or self.phone}"
