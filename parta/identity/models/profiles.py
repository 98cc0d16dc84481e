"""The educational profile: the person an ID account speaks as in «Сферум», and the OIDC subject."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Gender(models.TextChoices):
    MALE = "male", "мужской"
    FEMALE = "female", "женский"


class EducationalProfile(models.Model):
    """«Учебный профиль»: a real full name, birth date and gender, tied to one ID account.

    ``sub`` is the stable subject identifier every journal receives (the OIDC ``sub`` claim); it never
    changes, even if the account's phone number does. An account has at most one profile.
    """

    sub = models.UUIDField("идентификатор (sub)", default=uuid.uuid4, unique=True, editable=False)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="profile",
        verbose_name="аккаунт",
    )
    last_name = models.CharField("фамилия", max_length=100)
    first_name = models.CharField("имя", max_length=100)
    middle_name = models.CharField("отчество", max_length=100, blank=True)
    birth_date = models.DateField("день рождения")
    gender = models.CharField("пол", max_length=6, choices=Gender.choices)
    created_at = models.DateTimeField("создан", default=timezone.now)

    class Meta:
        verbose_name = "учебный профиль"
        verbose_name_plural = "учебные профили"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)

    @property
    def display_name(self) -> str:
        """«Имя Фамилия», as the ID's screens show a profile."""
        return f"{self.first_name} {self.last_name}"
