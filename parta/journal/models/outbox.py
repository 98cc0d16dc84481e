"""Roster changes for the integration, written in the same transaction as the change itself."""

from __future__ import annotations

from django.db import models


class OutboxEvent(models.Model):
    """One roster change. Ids only grow, so a consumer keeps the last id it has handled.

    ``school`` is the school whose chats the change may touch (empty for region-wide events); the
    integration marks that school dirty and reconciles it, so a duplicate or a replay changes nothing.
    """

    kind = models.CharField("событие", max_length=40)
    school_id = models.BigIntegerField("школа", null=True, db_index=True)
    payload = models.JSONField("данные", default=dict)
    created_at = models.DateTimeField("создано", auto_now_add=True)

    class Meta:
        verbose_name = "событие для интеграции"
        verbose_name_plural = "события для интеграции"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"
