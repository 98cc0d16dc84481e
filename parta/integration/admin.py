"""The journal's administration: bindings to «Сферум» (with «Отвязать» and a reason) and their audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from parta.integration import actions
from parta.integration.conf import NotConfiguredError, config_required
from parta.integration.models import Binding, BindingEvent, BindingState, LinkRefusal


class UnlinkForm(forms.Form):
    reason = forms.CharField(
        label="Причина",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        error_messages={"required": "Укажите причину отвязки: она попадёт в журнал привязок."},
    )


@admin.register(Binding)
class BindingAdmin(admin.ModelAdmin[Binding]):
    list_display = (
        "account",
        "role",
        "profile_name",
        "phone",
        "state",
        "linked_at",
        "ended_at",
        "end_reason",
    )
    list_filter = ("state", "role", "cleanup_needed")
    search_fields = ("account__username", "profile_name", "profile_sub", "phone")
    readonly_fields = [field.name for field in Binding._meta.fields]
    actions = ["unlink"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Отвязать от Сферум (по обращению в поддержку)")
    def unlink(self, request: HttpRequest, queryset: QuerySet[Binding]) -> HttpResponse | None:
        live = queryset.filter(state=BindingState.ACTIVE)
        account_ids = sorted(set(live.values_list("account_id", flat=True)))
        if not account_ids:
            self.message_user(request, "Среди выбранных нет действующих привязок.", messages.WARNING)
            return None
        form = UnlinkForm(request.POST if "reason" in request.POST else None)
        if not form.is_valid():
            return render(
                request,
                "integration/admin_unlink.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Отвязать от Сферум",
                    "form": form,
                    "bindings": queryset.filter(state=BindingState.ACTIVE).select_related("account"),
                    "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                    "opts": self.model._meta,
                },
            )
        try:
            current = config_required()
        except NotConfiguredError:
            self.message_user(request, "Подключение к Сферум не настроено.", messages.ERROR)
            return None
        done = 0
        actor_id = request.user.pk if isinstance(request.user.pk, int) else None
        for account_id in account_ids:
            try:
                actions.binding_end(
                    config=current,
                    account_id=account_id,
                    actor_id=actor_id,
                    reason=form.cleaned_data["reason"],
                    by_operator=True,
                )
                done += 1
            except actions.PlatformUnavailableError:
                self.message_user(
                    request,
                    "Сервис Сферум временно недоступен: привязки не изменены. Повторите позже.",
                    messages.ERROR,
                )
                return None
        self.message_user(request, f"Отвязано учётных записей: {done}.", messages.SUCCESS)
        return None


@admin.register(LinkRefusal)
class LinkRefusalAdmin(admin.ModelAdmin[LinkRefusal]):
    """Schools the platform refused for good: not asked again automatically until cleared here."""

    list_display = ("created_at", "account", "role", "school_name", "status", "detail", "cleared_at")
    list_filter = (("cleared_at", admin.EmptyFieldListFilter), "status", "role")
    search_fields = ("account__username", "school_name", "org_ref", "profile_sub")
    readonly_fields = [field.name for field in LinkRefusal._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Снять отказ и повторить привязку автоматически")
    def retry(self, request: HttpRequest, queryset: QuerySet[LinkRefusal]) -> None:
        from parta.integration.actions.sync import account_links_on_commit

        actor_id = request.user.pk if isinstance(request.user.pk, int) else None
        by_account: dict[int, list[int]] = {}
        for pk, account_id in queryset.filter(cleared_at__isnull=True).values_list("pk", "account_id"):
            by_account.setdefault(account_id, []).append(pk)
        cleared = 0
        with transaction.atomic():
            for account_id, ids in sorted(by_account.items()):
                done = actions.link_refusals_clear(
                    account_id=account_id,
                    actor_id=actor_id,
                    reason="снят оператором",
                    refusal_ids=ids,
                )
                if done:
                    cleared += done
                    account_links_on_commit(account_id=account_id, reason="operator")
        if not cleared:
            self.message_user(request, "Среди выбранных нет действующих отказов.", messages.WARNING)
            return
        self.message_user(
            request,
            f"Отказов снято: {cleared}. Привязка в этих школах будет повторена автоматически.",
            messages.SUCCESS,
        )


@admin.register(BindingEvent)
class BindingEventAdmin(admin.ModelAdmin[BindingEvent]):
    list_display = ("created_at", "kind", "account", "actor", "profile_sub")
    list_filter = ("kind",)
    search_fields = ("account__username", "profile_sub")
    readonly_fields = ("created_at", "kind", "account", "actor", "profile_sub", "detail")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Manual 003's link requests and the webhooks received (docs/integration.md).
from parta.integration import admin_messenger as _messenger_admin  # noqa: E402,F401

# The roster → chats sync's pages (docs/sync.md).
from parta.integration.sync import admin as _sync_admin  # noqa: E402,F401
