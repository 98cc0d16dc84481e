"""Link requests (manual 003): a journal asks the owner of a phone number, through the community bot,
to link their educational profile to the journal's account.

``POST /api/v1/link-requests`` makes one; the bot posts it into the «Сферум» chat of the phone's
profile with «Подключить» / «Не подключать». States:

- ``pending`` — waiting for the person's answer (until ``expires_at``);
- ``confirmed`` — «Подключить»: the membership is registered as ``POST /api/v1/links`` registers it;
- ``declined`` — «Не подключать»;
- ``expired`` — nobody answered in time (the buttons stop working);
- ``no_account`` — no ID account with an educational profile has this phone: nobody was asked.

Each change of state is told to the journal by a webhook ``link_request.confirmed|declined|expired``.
Written only by :mod:`parta.messenger.actions.link_requests`.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class LinkRequestState(models.TextChoices):
    PENDING = "pending", "ждёт ответа"
    CONFIRMED = "confirmed", "подтверждён"
    DECLINED = "declined", "отклонён"
    EXPIRED = "expired", "истёк"
    NO_ACCOUNT = "no_account", "нет аккаунта"


class LinkRequest(models.Model):
    uuid = models.UUIDField("идентификатор", default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "messenger.Organization",
        on_delete=models.CASCADE,
        related_name="link_requests",
        verbose_name="организация",
    )
    phone = models.CharField("телефон", max_length=20, help_text="В формате E.164: +79…")
    journal_account_ref = models.CharField("учётная запись в журнале", max_length=200)
    name = models.CharField("имя в журнале", max_length=300)
    roles = models.JSONField("роли", default=list)
    state = models.CharField(
        "состояние", max_length=12, choices=LinkRequestState.choices, default=LinkRequestState.PENDING
    )
    profile = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="учебный профиль",
    )
    bot_request = models.OneToOneField(
        "messenger.BotRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="link_request",
        verbose_name="запрос бота",
    )
    # The link registered on «Подключить» (the id API v1's links answer with), when there is one.
    link_id = models.BigIntegerField("привязка", null=True, blank=True)
    created_at = models.DateTimeField("создан", default=timezone.now)
    expires_at = models.DateTimeField("действует до")
    decided_at = models.DateTimeField("решение", null=True, blank=True)

    class Meta:
        verbose_name = "запрос на привязку"
        verbose_name_plural = "запросы на привязку"
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["organization", "journal_account_ref", "phone"], name="messenger_linkreq_who"
            ),
            models.Index(fields=["state", "expires_at"], name="messenger_linkreq_state"),
        ]

    def __str__(self) -> str:
        return f"{self.journal_account_ref} → {self.phone}: {self.state}"
