"""The ID's account: one phone number, perhaps a password. The platform site's user model."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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

    @property
    def has_password(self) -> bool:
        """Whether sign-in asks for a password («Введите пароль») before the code."""
        return bool(self.password) and self.has_usable_password()
