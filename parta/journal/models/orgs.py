"""Region, schools and academic years: OneRoster ``orgs`` and ``academicSessions``."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


def new_sourced_id() -> str:
    return str(uuid.uuid4())


def sourced_id_unique(model: str) -> models.UniqueConstraint:
    """``sourced_id`` is unique by this constraint, not by ``unique=True``: on PostgreSQL Django gives a
    unique ``CharField`` a second index (``varchar_pattern_ops``, for ``LIKE``) that nothing here searches
    by and every insert pays for — the year rollover writes a million enrolments (bench/RESULTS.md)."""
    return models.UniqueConstraint(
        fields=["sourced_id"],
        name=f"journal_{model}_sourced_id_unique",
        violation_error_message="Запись с таким sourcedId уже есть.",
    )


class Region(models.Model):
    """The district that owns the schools (OneRoster org of type ``district``)."""

    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    name = models.CharField("название", max_length=255)

    class Meta:
        verbose_name = "регион"
        verbose_name_plural = "регионы"
        constraints = [sourced_id_unique("region")]

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    """A school (OneRoster org of type ``school``)."""

    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="schools", verbose_name="регион"
    )
    name = models.CharField("название", max_length=255)
    short_name = models.CharField("краткое название", max_length=120, blank=True)
    identifier = models.CharField("код школы", max_length=64, blank=True)
    final_grade = models.PositiveSmallIntegerField(
        "выпускной класс", default=11, help_text="Ученики этого класса выпускаются при переводе на новый год."
    )

    class Meta:
        verbose_name = "школа"
        verbose_name_plural = "школы"
        ordering = ["name"]
        constraints = [sourced_id_unique("school")]

    def __str__(self) -> str:
        return self.short_name or self.name


class AcademicYear(models.Model):
    """A school year (OneRoster academicSession of type ``schoolYear``); exactly one is current."""

    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    start_year = models.PositiveSmallIntegerField("год начала", unique=True)
    starts_on = models.DateField("начало")
    ends_on = models.DateField("окончание")
    is_current = models.BooleanField("текущий", default=False)

    class Meta:
        verbose_name = "учебный год"
        verbose_name_plural = "учебные годы"
        ordering = ["start_year"]
        constraints = [
            sourced_id_unique("academicyear"),
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_year"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return f"{self.start_year}/{self.start_year + 1}"
