"""The ID's audit log: codes sent and failed, sign-ins, wrong codes and passwords, lockouts, resets.

Rows are written only by :func:`parta.identity.actions.audit.audit_record`. They never hold a code or a
password: ``detail`` carries counts, channels and reasons.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AuditKind(models.TextChoices):
    CODE_SENT = "code_sent", "код отправлен"
    CODE_SEND_FAILED = "code_send_failed", "код не удалось отправить"
    CODE_SEND_REFUSED = "code_send_refused", "отправка кода отклонена ограничением"
    CODE_CONFIRMED = "code_confirmed", "код подтверждён"
    CODE_WRONG = "code_wrong", "неверный код"
    CODE_EXHAUSTED = "code_exhausted", "попытки ввода кода исчерпаны"
    PASSWORD_WRONG = "password_wrong", "неверный пароль"
    LOCKOUT = "lockout", "блокировка"
    UNLOCKED = "unlocked", "блокировка снята"
    RATE_LIMITED = "rate_limited", "превышено ограничение"
    SIGNIN = "signin", "вход"
    SIGNIN_REFUSED = "signin_refused", "вход отклонён"
    SIGNOUT = "signout", "выход"
    ACCOUNT_CREATED = "account_created", "аккаунт создан"
    PROFILE_CREATED = "profile_created", "учебный профиль создан"
    PROFILE_UPDATED = "profile_updated", "учебный профиль изменён"
    PASSWORD_RESET = "password_reset", "пароль сброшен"
    PASSWORD_CHANGED = "password_changed", "пароль изменён"
    RECOVERY_STARTED = "recovery_started", "восстановление начато"
    RECOVERY_PROVED = "recovery_proved", "владение аккаунтом подтверждено"
    RECOVERY_REFUSED = "recovery_refused", "восстановление остановлено"
    RECOVERY_SUPPORT = "recovery_support", "восстановление только через поддержку"
    TOTP_CONFIRMED = "totp_confirmed", "код из приложения подтверждён"
    TOTP_WRONG = "totp_wrong", "неверный код из приложения"
    TOTP_ENABLED = "totp_enabled", "приложение-генератор подключено"
    TOTP_DISABLED = "totp_disabled", "приложение-генератор отключено"
    EMAIL_CONFIRMED = "email_confirmed", "почта подтверждена"
    EMAIL_REMOVED = "email_removed", "почта удалена"
    FRIEND_ADDED = "friend_added", "доверенный друг добавлен"
    FRIEND_REMOVED = "friend_removed", "доверенный друг удалён"
    PHONE_CHANGED = "phone_changed", "номер телефона изменён"
    SESSIONS_ENDED = "sessions_ended", "сеансы на других устройствах завершены"
    TOKENS_REVOKED = "tokens_revoked", "доступ сервисов отозван"
    OIDC_AUTHORIZED = "oidc_authorized", "вход в сервис разрешён (выдан код авторизации)"
    OIDC_TOKENS_ISSUED = "oidc_tokens_issued", "сервису выданы токены"
    OIDC_REAUTH = "oidc_reauth", "сервис попросил войти заново (prompt=login, max_age)"
    JOURNAL_CHANGED = "journal_changed", "журнал (клиент) изменён"
    JOURNAL_SWITCHED_OFF = "journal_switched_off", "журнал (клиент) отключён"
    JOURNAL_SWITCHED_ON = "journal_switched_on", "журнал (клиент) включён"


class AuditEvent(models.Model):
    kind = models.CharField("событие", max_length=30, choices=AuditKind.choices)
    account = models.ForeignKey(
        # The app's own account model by name (it is the platform's AUTH_USER_MODEL): the type checker,
        # which loads both sides at once, then knows which ``Account`` this is.
        "identity.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name="аккаунт",
    )
    target = models.CharField("телефон или почта", max_length=254, blank=True, db_index=True)
    channel = models.CharField("канал", max_length=10, blank=True)
    ip = models.GenericIPAddressField("IP-адрес", null=True, blank=True)
    detail = models.JSONField("подробности", default=dict, blank=True)
    created_at = models.DateTimeField("когда", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "событие журнала безопасности"
        verbose_name_plural = "журнал безопасности"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.target or self.account_id or '—'}"
