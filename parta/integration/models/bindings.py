"""Bindings of journal accounts to educational profiles of the platform, and their audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class BindingState(models.TextChoices):
    PENDING = "pending", "подключается"  # stored before the platform is asked; never shown as linked
    ACTIVE = "active", "привязан"
    ENDED = "ended", "отвязан"
    FAILED = "failed", "не подключён"  # the platform refused or did not answer; see ``cleanup_needed``


class Binding(models.Model):
    """One role of a journal account bound to one educational profile (its ``sub`` at the ID).

    An account holding several roles (a teacher who is a parent) gets one row per role and school, all
    for the same profile; at most one live (pending or active) row per account, role and school — a
    parent of children in two schools has two.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sferum_bindings",
        verbose_name="учётная запись",
    )
    role = models.CharField("роль", max_length=16)
    org_ref = models.CharField("школа (sourcedId)", max_length=64)
    profile_sub = models.CharField("учебный профиль (sub)", max_length=64, db_index=True)
    profile_name = models.CharField("имя в профиле", max_length=255, blank=True)
    phone = models.CharField("телефон профиля", max_length=16, blank=True)
    link_id = models.CharField("id связи на платформе", max_length=64, blank=True)
    state = models.CharField("состояние", max_length=8, choices=BindingState.choices)
    created_at = models.DateTimeField("создана", default=timezone.now)
    linked_at = models.DateTimeField("привязана", null=True, blank=True)
    ended_at = models.DateTimeField("отвязана", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кем отвязана",
    )
    end_reason = models.TextField("причина", blank=True)
    cleanup_needed = models.BooleanField(
        "проверить на платформе",
        default=False,
        help_text="Платформа не ответила: связь могла остаться на её стороне (см. `integration_repair`).",
    )

    class Meta:
        verbose_name = "привязка к Сферум"
        verbose_name_plural = "привязки к Сферум"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "role", "org_ref"],
                condition=Q(state__in=["pending", "active"]),
                name="one_live_binding_per_account_role_school",
            )
        ]
        indexes = [models.Index(fields=["account", "state"])]

    def __str__(self) -> str:
        return f"{self.account} ({self.role}) → {self.profile_name or self.profile_sub}"


class BindingEventKind(models.TextChoices):
    LINK_STARTED = "link_started", "начата привязка"
    LINK_REFUSED = "link_refused", "привязка отклонена"
    LINK_CANCELLED = "link_cancelled", "привязка отменена"
    LINKED = "linked", "привязан"
    LINK_FAILED = "link_failed", "платформа недоступна при привязке"
    UNLINKED = "unlinked", "отвязан"
    UNLINK_FAILED = "unlink_failed", "платформа недоступна при отвязке"
    REPAIRED = "repaired", "исправлено на платформе"
    REFUSAL_CLEARED = "refusal_cleared", "отказ платформы снят"


class BindingEvent(models.Model):
    """The audit trail: who did what to which account's binding, and why."""

    kind = models.CharField("событие", max_length=16, choices=BindingEventKind.choices)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sferum_binding_events",
        verbose_name="учётная запись",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кто",
    )
    profile_sub = models.CharField("учебный профиль (sub)", max_length=64, blank=True)
    detail = models.JSONField("подробности", default=dict, blank=True)
    created_at = models.DateTimeField("когда", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "событие привязки"
        verbose_name_plural = "журнал привязок"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.account}"


class LinkRefusal(models.Model):
    """The platform refused for good (409 or another 4xx) to link the account's profile in a school.

    Remembered per (account, role, school, profile) so that the automatic extension (the reconcile, the
    task after a confirmation in the messenger) does not ask again on every run; the «Сферум» section
    tells the person. Cleared (``cleared_at``) when the person links again through the ID or unlinks, or
    by the operator in the administration — then the next automatic run tries again.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sferum_link_refusals",
        verbose_name="учётная запись",
    )
    role = models.CharField("роль", max_length=16)
    org_ref = models.CharField("школа (sourcedId)", max_length=64)
    school_name = models.CharField("школа", max_length=255, blank=True)
    profile_sub = models.CharField("учебный профиль (sub)", max_length=64)
    status = models.PositiveSmallIntegerField("ответ платформы (HTTP)")
    detail = models.TextField("сообщение платформы", blank=True)
    created_at = models.DateTimeField("когда", default=timezone.now)
    cleared_at = models.DateTimeField("снят", null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кем снят",
    )
    clear_reason = models.CharField("почему снят", max_length=255, blank=True)

    class Meta:
        verbose_name = "отказ платформы в привязке"
        verbose_name_plural = "отказы платформы в привязке"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "role", "org_ref", "profile_sub"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_link_refusal_per_account_role_school_profile",
            )
        ]
        # a school's run reads the school's open refusals (actions/sync.py, _links_missing)
        indexes = [
            models.Index(
                fields=["org_ref"], condition=Q(cleared_at__isnull=True), name="open_link_refusals_school"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} ({self.role}, {self.school_name or self.org_ref}): {self.detail}"
