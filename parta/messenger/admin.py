"""The messenger in the platform's administration (in Russian): journals' links, webhook endpoints, and
the webhook delivery log (read-only: every try with its status code or error).

Deleting a link here is the platform deleting it: it goes through
:func:`parta.messenger.actions.links.link_delete` and tells the journal (webhook ``link.deleted``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from parta.messenger.actions.links import link_delete
from parta.messenger.actions.webhooks import webhook_retry
from parta.messenger.models import Link, WebhookAttempt, WebhookEndpoint, WebhookEvent


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["id", "journal_account_ref", "profile", "organization", "roles", "created_at"]
    list_filter = ["client"]
    search_fields = ["journal_account_ref", "profile_sub", "organization__ref", "organization__name"]
    readonly_fields = [
        "client",
        "organization",
        "profile",
        "profile_sub",
        "journal_account_ref",
        "roles",
        "display",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["organization", "profile"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Link) -> None:
        link_delete(link=obj, notify=True)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Link]) -> None:
        for link in queryset:
            link_delete(link=link, notify=True)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["client", "url", "is_active", "updated_at"]
    fields = ["client", "url", "is_active", "secret", "created_at", "updated_at"]
    readonly_fields = ["secret", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "status_code", "error", "duration_ms", "url"]
    readonly_fields = ["number", "started_at", "status_code", "error", "duration_ms", "url"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["type", "status", "attempts", "created_at", "client", "event_id", "next_attempt_at"]
    list_filter = ["status", "type", "client"]
    search_fields = ["event_id"]
    readonly_fields = [
        "event_id",
        "client",
        "type",
        "data",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description="Повторить доставку")
    def retry(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        count = webhook_retry(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Поставлено в очередь событий: {count}.", messages.SUCCESS)
