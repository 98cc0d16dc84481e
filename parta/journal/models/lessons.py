"""Lessons of the schedule."""

from __future__ import annotations

from django.db import models

from parta.journal.models.classes import SchoolClass, Subject
from parta.journal.models.orgs import new_sourced_id, sourced_id_unique
from parta.journal.models.people import Person


class Lesson(models.Model):
    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    date = models.DateField("дата")
    number = models.PositiveSmallIntegerField("номер урока")
    starts_at = models.TimeField("начало")
    ends_at = models.TimeField("окончание")
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="lessons", verbose_name="класс"
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="lessons", verbose_name="предмет"
    )
    teacher = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lessons",
        verbose_name="учитель",
    )
    room = models.CharField("кабинет", max_length=32, blank=True)
    topic = models.CharField("тема", max_length=255, blank=True)
    homework = models.TextField("домашнее задание", blank=True)
    online = models.BooleanField("онлайн-урок", default=False)

    class Meta:
        verbose_name = "урок"
        verbose_name_plural = "уроки"
        ordering = ["date", "number"]
        constraints = [
            sourced_id_unique("lesson"),
            models.UniqueConstraint(fields=["school_class", "date", "number"], name="one_lesson_per_slot"),
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="lesson_starts_before_end"
            ),
        ]
        indexes = [models.Index(fields=["teacher", "date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.number}. {self.subject} ({self.school_class})"
