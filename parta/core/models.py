"""The shared kernel's only table: the schedule of the side's periodic tasks (:mod:`parta.core.periodic`)."""

from __future__ import annotations

from django.db import models


class PeriodicTask(models.Model):
    """One periodic task of this side: when it is next due and which queued run (a django-tasks result)
    was its latest. Written only by :func:`parta.core.periodic.periodic_tick`."""

    name = models.CharField("задача", max_length=100, primary_key=True)
    next_run_at = models.DateTimeField("следующий запуск")
    result_id = models.CharField("последний запуск (результат задачи)", max_length=64, blank=True)
    enqueued_at = models.DateTimeField("поставлен в очередь", null=True, blank=True)

    class Meta:
        verbose_name = "периодическая задача"
        verbose_name_plural = "периодические задачи"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
