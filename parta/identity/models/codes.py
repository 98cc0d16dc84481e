"""One-time codes (SMS, call-reset, push, e-mail) and the counters that limit them.

A code is a small state machine (``parta.identity.actions.codes``): it is born ``active`` and ends
``used`` (confirmed once), ``exhausted`` (too many wrong tries), ``superseded`` (a newer code for the same
number and purpose was sent) or ``failed`` (the gateway refused it); past ``expires_at`` an active code
is simply dead. Only an HMAC of the code is kept.

The limits that span codes (sends per number and per network address, wrong codes per number, wrong
passwords) are counted in the database — :class:`Throttle` is one row per key that is locked while its
counts are checked, :class:`ThrottleHit` one row per counted event — so every server process and every
worker sees the same numbers, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone


class CodeChannel(models.TextChoices):
    SMS = "sms", "SMS"
    CALL = "call", "звонок-сброс"
    PUSH = "push", "push-уведомление"
    EMAIL = "email", "электронная почта"
    # A trusted friend's code, delivered in the friend's chat with the messenger's bot (manual 001).
    FRIEND = "friend", "чат с ботом мессенджера"


class CodePurpose(models.TextChoices):
    SIGNIN = "signin", "вход"
    RECOVERY = "recovery", "восстановление доступа"
    EMAIL_CONFIRM = "email_confirm", "подтверждение почты"
    TRUSTED_FRIEND = "friend", "код доверенного друга"
    PHONE_CHANGE = "phone_change", "смена номера телефона"


class CodeState(models.TextChoices):
    ACTIVE = "active", "действует"
    USED = "used", "использован"
    EXHAUSTED = "exhausted", "исчерпаны попытки"
    SUPERSEDED = "superseded", "заменён новым"
    FAILED = "failed", "не доставлен"


class Code(models.Model):
    purpose = models.CharField("назначение", max_length=20, choices=CodePurpose.choices)
    channel = models.CharField("канал", max_length=10, choices=CodeChannel.choices)
    target = models.CharField(
        "куда отправлен", max_length=254, help_text="Телефон в формате E.164 или адрес почты."
    )
    account = models.ForeignKey(
        # The app's own account model by name (it is the platform's AUTH_USER_MODEL): the type checker,
        # which loads both sides at once, then knows which ``Account`` this is.
        "identity.Account",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="codes",
        verbose_name="аккаунт",
    )
    # Whose wrong-code count and lock this code shares, when not its own target's: a recovery's e-mail
    # and trusted friends' codes count against the phone being recovered, so guessing them is limited
    # exactly like guessing its SMS codes — and a friend's own sign-in is never blocked by them.
    counted_target = models.CharField(
        "чей счётчик неверных кодов", max_length=254, blank=True, help_text="Пусто: сам адресат кода."
    )
    digest = models.CharField("HMAC кода", max_length=64, blank=True)
    length = models.PositiveSmallIntegerField("цифр в коде")
    state = models.CharField("состояние", max_length=12, choices=CodeState.choices, default=CodeState.ACTIVE)
    attempts = models.PositiveSmallIntegerField("неверных попыток", default=0)
    max_attempts = models.PositiveSmallIntegerField("попыток всего")
    created_at = models.DateTimeField("отправлен", default=timezone.now)
    expires_at = models.DateTimeField("действует до")
    resend_at = models.DateTimeField("повторно не раньше")
    used_at = models.DateTimeField("использован", null=True, blank=True)
    ip = models.GenericIPAddressField("IP-адрес запроса", null=True, blank=True)

    class Meta:
        verbose_name = "одноразовый код"
        verbose_name_plural = "одноразовые коды"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["target", "purpose", "channel", "-created_at"], name="identity_code_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.target} ({self.get_state_display()})"

    @property
    def counted_as(self) -> str:
        """The target whose wrong codes this code's wrong tries add to, and whose lock stops it."""
        return self.counted_target or self.target

    def is_expired(self, *, now: dt.datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    def is_live(self) -> bool:
        """Still worth entering: active and not expired."""
        return self.state == CodeState.ACTIVE and not self.is_expired()


class Throttle(models.Model):
    """One counted key («send:+79…», «wrong:+79…», «ip-send:10.0.0.1», …) and its lock, if any.

    The row is locked (``select_for_update``) while the key's hits are counted and a new one is added,
    so two servers never both let the fifth code of ten minutes through.
    """

    key = models.CharField("ключ", max_length=300, unique=True)
    locked_until = models.DateTimeField("заблокирован до", null=True, blank=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)

    class Meta:
        verbose_name = "ограничение"
        verbose_name_plural = "ограничения"
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class ThrottleHit(models.Model):
    """One counted event of a key: a code sent, a wrong code, a wrong password, a phone entered."""

    key = models.CharField("ключ", max_length=300)
    at = models.DateTimeField("когда", default=timezone.now)

    class Meta:
        verbose_name = "событие ограничения"
        verbose_name_plural = "события ограничений"
        indexes = [models.Index(fields=["key", "at"], name="identity_hit_key_at")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.at:%Y-%m-%d %H:%M:%S}"
