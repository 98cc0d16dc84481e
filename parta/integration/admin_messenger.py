"""The administration's read-only lists of manual 003's link requests and the webhooks received."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from parta.integration.models import MessengerLinkRequest, ReceivedWebhook


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MessengerLinkRequest)
class MessengerLinkRequestAdmin(_ReadOnly):
    list_display = ("created_at", "account", "phone", "org_ref", "state", "decided_at", "decided_by")
    list_filter = ("state", "decided_by")
    search_fields = ("account__username", "phone", "request_id", "profile_sub")


@admin.register(ReceivedWebhook)
class ReceivedWebhookAdmin(_ReadOnly):
    list_display = ("received_at", "type", "event_id", "result")
    list_filter = ("type",)
    search_fields = ("event_id", "result")
