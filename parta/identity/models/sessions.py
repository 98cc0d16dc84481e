"""The account's signed-in sessions, for «Активные сеансы» and for ending them.

Django's database session backend cannot be searched by account (the account id is inside the encoded
session data), so the ID keeps one row per signed-in session: written at sign-in (the
``user_logged_in`` signal), refreshed at most every few minutes by
:class:`parta.identity.middleware.AccountSessionMiddleware`, deleted at sign-out and when the session is
ended. Ending sessions deletes them from whatever session store is configured; the account's
``session_epoch`` (part of the session hash Django checks on every request) backs that up for sessions
this table never saw.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AccountSession(models.Model):
    account = models.ForeignKey(
        "identity.Account", on_delete=models.CASCADE, related_name="sessions", verbose_name="аккаунт"
    )
    # The session store's key: as secret as the store's own rows, so it is never shown anywhere.
    session_key = models.CharField("ключ сеанса", max_length=40, unique=True)
    user_agent = models.CharField("браузер (User-Agent)", max_length=400, blank=True)
    ip = models.GenericIPAddressField("IP-адрес", null=True, blank=True)
    created_at = models.DateTimeField("вход", default=timezone.now)
    last_seen_at = models.DateTimeField("последняя активность", default=timezone.now)

    class Meta:
        verbose_name = "сеанс"
        verbose_name_plural = "сеансы"
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["account", "-last_seen_at"], name="identity_session_account")]

    def __str__(self) -> str:
        return f"{self.account_id} · {self.last_seen_at:%Y-%m-%d %H:%M}"
