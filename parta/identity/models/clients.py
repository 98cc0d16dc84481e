"""Journals registered with the platform: an OIDC client of the ID and a bearer token for API v1."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from oauth2_provider.models import Application
from oauth2_provider.settings import oauth2_settings


def api_token_digest(token: str) -> str:
    """What is stored of an API token: its SHA-256 (a token is random and long, so no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


class JournalClient(models.Model):
    """A journal (МЭШ, ЭПОС, «БАРС.Электронная школа», …) registered by an operator.

    Its OIDC side is the django-oauth-toolkit ``Application`` (client id, hashed secret, redirect URIs);
    ``display_name`` is what the ID's screens call it («С сервисом «{display_name}» можно связать свой
    учебный профиль»); the API token (only its digest is kept) authenticates it to API v1.
    """

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="journal", verbose_name="OIDC-клиент"
    )
    display_name = models.CharField("название для пользователей", max_length=200)
    api_token_digest = models.CharField("SHA-256 токена API", max_length=64, unique=True)
    api_token_hint = models.CharField("начало токена API", max_length=12, blank=True)
    is_active = models.BooleanField("действует", default=True)
    created_at = models.DateTimeField("зарегистрирован", default=timezone.now)

    class Meta:
        verbose_name = "журнал (клиент)"
        verbose_name_plural = "журналы (клиенты)"

    def __str__(self) -> str:
        return self.display_name


class OidcAuthTime(models.Model):
    """When the person signed in for an authorization code: the ``auth_time`` of every ID token issued
    from that code and from the refresh tokens descended from it (OpenID Connect Core §2, §12.2).

    django-oauth-toolkit's ``Grant`` has no such column and takes ``auth_time`` from the account's
    ``last_login``, which another browser's later sign-in changes; this row keeps the sign-in of the very
    session that authorized. It is written with the code, follows the code's refresh-token family once the
    code is exchanged, and is pruned when no token of it can be alive any more.
    """

    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="код авторизации",
    )
    token_family = models.UUIDField("семейство refresh-токенов", null=True, blank=True, db_index=True)
    auth_time = models.DateTimeField("вход выполнен")
    created_at = models.DateTimeField("создано", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "время входа для OIDC"
        verbose_name_plural = "время входа для OIDC"

    def __str__(self) -> str:
        return f"{self.auth_time:%Y-%m-%d %H:%M:%S}"
