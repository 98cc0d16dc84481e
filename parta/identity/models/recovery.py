"""Password recovery (manual 001): one row per attempt, so that every step is kept on the server.

The browser holds only the row's id in its (server-side) session. Each step is recorded here when it is
done — the SMS code to the phone, the account checked, a second way confirmed — and the screens let the
person only as far as the row allows, until ``expires_at``. The password is set once
(``completed_at``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RecoveryMethod(models.TextChoices):
    TOTP = "totp", "приложение-генератор кодов"
    EMAIL = "email", "электронная почта"
    FRIENDS = "friends", "доверенные друзья"
    # An account without a password needs no second way: its phone is all it ever signed in with.
    PHONE_ONLY = "phone", "только телефон (у аккаунта не было пароля)"


class Recovery(models.Model):
    phone = models.CharField("телефон", max_length=16, db_index=True)
    account = models.ForeignKey(
        "identity.Account",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="recoveries",
        verbose_name="аккаунт",
    )
    phone_code = models.ForeignKey(
        "identity.Code",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="код по SMS",
    )
    phone_confirmed_at = models.DateTimeField("телефон подтверждён", null=True, blank=True)
    account_checked_at = models.DateTimeField("аккаунт проверен", null=True, blank=True)
    method = models.CharField(
        "способ подтверждения", max_length=10, choices=RecoveryMethod.choices, blank=True
    )
    email_code = models.ForeignKey(
        "identity.Code",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="код из письма",
    )
    # {"<friend's account id>": <code id>}: the live code sent to each trusted friend in this attempt.
    friend_codes = models.JSONField("коды друзьям", default=dict, blank=True)
    # The friends whose codes were confirmed (account ids, each once): two are needed.
    friends_confirmed = models.JSONField("подтвердившие друзья", default=list, blank=True)
    totp_attempts = models.PositiveSmallIntegerField("неверных кодов из приложения", default=0)
    proved_at = models.DateTimeField("владение подтверждено", null=True, blank=True)
    completed_at = models.DateTimeField("пароль изменён", null=True, blank=True)
    created_at = models.DateTimeField("начато", default=timezone.now)
    expires_at = models.DateTimeField("действует до")
    ip = models.GenericIPAddressField("IP-адрес", null=True, blank=True)

    class Meta:
        verbose_name = "восстановление доступа"
        verbose_name_plural = "восстановления доступа"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.phone} · {self.created_at:%Y-%m-%d %H:%M}"

    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
