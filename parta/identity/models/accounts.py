"""The ID's account: one phone number, perhaps a password. The platform site's user model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

# Django's own salt, so that sessions signed in before ``session_epoch`` existed stay valid at epoch 0.
_SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


class AccountManager(BaseUserManager["Account"]):
    def create_user(self, phone: str, password: str | None = None, **extra: object) -> Account:
        account = self.model(phone=phone, **extra)
        account.set_password(password)
        account.save(using=self._db)
        return account

    def create_superuser(self, phone: str, password: str | None = None, **extra: object) -> Account:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class Account(AbstractBaseUser, PermissionsMixin):
    phone = models.CharField(
        "телефон", max_length=16, unique=True, help_text="В формате E.164: +79XXXXXXXXX."
    )
    # An e-mail address is optional; only a confirmed one is used to sign in («Телефон или почта») and
    # to send recovery codes (manual 001: «Мы отправим код на почту ka***@mail.ru»).
    email = models.EmailField("электронная почта", blank=True)
    email_confirmed_at = models.DateTimeField("почта подтверждена", null=True, blank=True)
    is_staff = models.BooleanField("доступ к администрированию", default=False)
    is_active = models.BooleanField("активен", default=True)
    date_joined = models.DateTimeField("создан", default=timezone.now)
    # Raised to end every session of the account at once («Выйти на всех устройствах, кроме этого», a
    # password change or reset): it is part of the session hash Django checks on every request, so a
    # session signed with an older epoch is signed out wherever it lives (docs/identity.md, «Сеансы»).
    session_epoch = models.PositiveIntegerField("поколение сеансов", default=0)

    objects = AccountManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "аккаунт"
        verbose_name_plural = "аккаунты"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(email_confirmed_at__isnull=False),
                name="identity_account_confirmed_email_unique",
            )
        ]

    def __str__(self) -> str:
        return self.phone

    def _session_hash(self, secret: str | bytes | None = None) -> str:
        message = self.password if not self.session_epoch else f"{self.password}\x00{self.session_epoch}"
        return salted_hmac(_SESSION_HASH_SALT, message, secret=secret, algorithm="sha256").hexdigest()

    def get_session_auth_hash(self) -> str:
        """What every session of this account must carry: it changes with the password and the epoch."""
        return self._session_hash()

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)

    @property
    def has_password(self) -> bool:
        """Whether sign-in asks for a password («Введите пароль») before the code."""
        return bool(self.password) and self.has_usable_password()
