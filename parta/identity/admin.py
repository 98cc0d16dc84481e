"""The ID in the platform's administration, in Russian: accounts, profiles, codes, limits, the audit log,
registered journals.

Codes, the audit log and the dev outbox are read-only (only the ID's actions write them); a limit's lock
can be lifted by support («Снять блокировку»); a journal can be renamed and switched off or on (through
:func:`parta.identity.actions.clients.journal_client_update`, which audits it). Journals are registered
with ``parta platform register_journal``, which prints the secret and token once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from parta.identity.actions.clients import JournalClientError, journal_client_update
from parta.identity.actions.limits import throttle_unlock
from parta.identity.models import (
    Account,
    AuditEvent,
    Code,
    DevMessage,
    EducationalProfile,
    JournalClient,
    Throttle,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ProfileInline(admin.StackedInline):
    model = EducationalProfile
    fk_name = "account"
    extra = 0
    can_delete = False
    readonly_fields = ("sub", "last_name", "first_name", "middle_name", "birth_date", "gender", "created_at")
    verbose_name_plural = "учебный профиль"

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("phone", "email", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff")
    search_fields = ("phone", "email")
    ordering = ("-date_joined",)
    readonly_fields = ("phone", "email", "email_confirmed_at", "has_password", "date_joined", "last_login")
    fields = (
        "phone",
        "email",
        "email_confirmed_at",
        "has_password",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "date_joined",
        "last_login",
    )
    inlines = (ProfileInline,)
    show_full_result_count = False

    @admin.display(boolean=True, description="пароль задан")
    def has_password(self, obj: Account) -> bool:
        return obj.has_password

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts appear when a phone's code is confirmed on «Вход»


@admin.register(EducationalProfile)
class EducationalProfileAdmin(ReadOnlyAdmin):
    list_display = ("full_name", "birth_date", "gender", "account", "created_at")
    search_fields = ("last_name", "first_name", "account__phone", "sub")
    readonly_fields = ("sub", "account", "last_name", "first_name", "middle_name", "birth_date", "gender")
    show_full_result_count = False


@admin.register(Code)
class CodeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "purpose", "channel", "target", "state", "attempts", "expires_at")
    list_filter = ("purpose", "channel", "state")
    search_fields = ("target",)
    exclude = ("digest",)
    show_full_result_count = False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "target", "channel", "account", "ip")
    list_filter = ("kind", "channel")
    search_fields = ("target", "ip", "account__phone")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Throttle)
class ThrottleAdmin(ReadOnlyAdmin):
    list_display = ("key", "locked_until", "updated_at")
    search_fields = ("key",)
    actions = ("unlock",)
    show_full_result_count = False

    @admin.action(description="Снять блокировку")
    def unlock(self, request: HttpRequest, queryset: QuerySet[Throttle]) -> None:
        count = throttle_unlock(keys=list(queryset.values_list("key", flat=True)), by=request.user)
        messages.success(request, f"Блокировка снята: {count}.")


@admin.register(DevMessage)
class DevMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "to", "code", "caller_number")
    list_filter = ("channel",)
    search_fields = ("to", "phone")


@admin.register(JournalClient)
class JournalClientAdmin(admin.ModelAdmin):
    list_display = ("display_name", "client_id", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("display_name", "application__client_id")
    fields = ("display_name", "client_id", "is_active", "redirect_uris", "api_token_hint", "created_at")
    readonly_fields = ("client_id", "redirect_uris", "api_token_hint", "created_at")
    actions = ("switch_off", "switch_on")
    list_select_related = ("application",)

    @admin.display(description="client_id", ordering="application__client_id")
    def client_id(self, obj: JournalClient) -> str:
        return obj.application.client_id

    @admin.display(description="адреса возврата")
    def redirect_uris(self, obj: JournalClient) -> str:
        return obj.application.redirect_uris

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `parta platform register_journal` issues the secret and token, shown once

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # switch a journal off instead: its people's bindings and chats stay explainable

    def save_model(
        self, request: HttpRequest, obj: JournalClient, form: ModelForm[Any], change: bool
    ) -> None:
        try:
            journal_client_update(
                client_id=obj.application.client_id,
                display_name=obj.display_name,
                is_active=obj.is_active,
                by=request.user,
            )
        except JournalClientError as refused:
            messages.error(request, str(refused))

    @admin.action(description="Отключить выбранные журналы")
    def switch_off(self, request: HttpRequest, queryset: QuerySet[JournalClient]) -> None:
        self._switch(request, queryset, active=False)

    @admin.action(description="Включить выбранные журналы")
    def switch_on(self, request: HttpRequest, queryset: QuerySet[JournalClient]) -> None:
        self._switch(request, queryset, active=True)

    def _switch(self, request: HttpRequest, queryset: QuerySet[JournalClient], *, active: bool) -> None:
        client_ids = list(queryset.order_by("pk").values_list("application__client_id", flat=True))
        for client_id in client_ids:
            journal_client_update(client_id=client_id, is_active=active, by=request.user)
        done = "включено" if active else "отключено"
        messages.success(request, f"Журналов {done}: {len(client_ids)}.")
