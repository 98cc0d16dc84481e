"""Linking confirmed in the messenger (manual 003): the journal's copy of each link request it made."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class LinkRequestState(models.TextChoices):
    PENDING = "pending", "ждёт ответа в мессенджере"
    CONFIRMED = "confirmed", "подключено"
    DECLINED = "declined", "отказ («Не подключать»)"
    EXPIRED = "expired", "истёк срок"
    NO_ACCOUNT = "no_account", "нет аккаунта с этим номером"
    FAILED = "failed", "не удалось сохранить привязку"


FINISHED = (
    LinkRequestState.CONFIRMED,
    LinkRequestState.DECLINED,
    LinkRequestState.EXPIRED,
    LinkRequestState.NO_ACCOUNT,
    LinkRequestState.FAILED,
)


class MessengerLinkRequest(models.Model):
    """``POST /api/v1/link-requests`` as the journal asked it, and how it ended.

    At most one pending request per account. «Подключить» (the webhook ``link_request.confirmed``, or the
    page's own ``GET /link-requests/{id}``) turns it into the account's bindings, once.
    """

    request_id = models.CharField("id запроса на платформе", max_length=64, unique=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sferum_link_requests",
        verbose_name="учётная запись",
    )
    phone = models.CharField("телефон", max_length=16)
    org_ref = models.CharField("школа (sourcedId)", max_length=64)
    roles = models.JSONField("роли в журнале", default=list)
    state = models.CharField("состояние", max_length=12, choices=LinkRequestState.choices)
    profile_sub = models.CharField("учебный профиль (sub)", max_length=64, blank=True)
    link_id = models.CharField("id связи на платформе", max_length=64, blank=True)
    created_at = models.DateTimeField("создан", default=timezone.now)
    expires_at = models.DateTimeField("действует до", null=True, blank=True)
    decided_at = models.DateTimeField("решён", null=True, blank=True)
    decided_by = models.CharField("откуда узнали", max_length=16, blank=True)  # webhook | status check

    class Meta:
        verbose_name = "запрос привязки в мессенджере"
        verbose_name_plural = "запросы привязки в мессенджере"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(state="pending"),
                name="one_pending_link_request_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.phone} ({self.get_state_display()})"
