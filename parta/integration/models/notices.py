"""Notices the «Сферум» section shows once per account, such as the new school year's."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class NewYearNotice(models.Model):
    """«Вы были переведены на новый учебный год!…» was shown to ``account`` for the year ``year_ref``."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sferum_new_year_notices",
        verbose_name="учётная запись",
    )
    year_ref = models.CharField("учебный год (sourcedId)", max_length=64)
    shown_at = models.DateTimeField("показано", default=timezone.now)

    class Meta:
        verbose_name = "уведомление о новом учебном годе"
        verbose_name_plural = "уведомления о новом учебном годе"
        constraints = [
            models.UniqueConstraint(fields=["account", "year_ref"], name="one_new_year_notice_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.year_ref}"
