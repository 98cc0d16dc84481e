"""The administration of the roster → chats sync: per school the last run, pending, failed and held work
(with «Синхронизировать сейчас» and «Разрешить удаление и синхронизировать»), the chats as applied, and the
history «кто, куда, почему» per person and per chat. Everything here is read-only but the two actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from parta.integration.actions.sync import sync_approve, sync_mark_dirty
from parta.integration.models import (
    SyncChange,
    SyncConference,
    SyncGroup,
    SyncMember,
    SyncSchool,
    SyncStatus,
)
from parta.journal.public import account_names


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncSchool)
class SyncSchoolAdmin(ReadOnly, admin.ModelAdmin[SyncSchool]):
    list_display = (
        "__str__",
        "status",
        "waiting",
        "last_run_at",
        "last_ok_at",
        "attempts",
        "next_attempt_at",
        "held_removals",
        "last_result",
    )
    list_filter = ("status",)
    search_fields = ("name", "=org_ref", "=school_id")
    show_full_result_count = False
    actions = ("run_now", "approve_removals")
    readonly_fields = [f.name for f in SyncSchool._meta.fields]

    @admin.display(description="есть несинхронизированные изменения", boolean=True)
    def waiting(self, obj: SyncSchool) -> bool:
        return obj.dirty

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and bool(request.user.has_perm("integration.view_syncschool"))

    @admin.action(description="Синхронизировать сейчас", permissions=["view"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[SyncSchool]) -> None:
        queued = sync_mark_dirty(
            school_ids=list(queryset.values_list("school_id", flat=True)), reason="manual"
        )
        self.message_user(
            request, f"Поставлено в очередь на синхронизацию школ: {len(queued)}.", messages.SUCCESS
        )

    @admin.action(description="Разрешить удаление и синхронизировать", permissions=["view"])
    def approve_removals(self, request: HttpRequest, queryset: QuerySet[SyncSchool]) -> None:
        held = list(queryset.filter(status=SyncStatus.HELD).values_list("school_id", flat=True))
        if not held:
            self.message_user(request, "Среди выбранных школ нет ждущих подтверждения.", messages.WARNING)
            return
        count = sync_approve(school_ids=held, actor=str(request.user))
        self.message_user(
            request,
            f"Удаление разрешено, синхронизация поставлена в очередь: школ {count}.",
            messages.SUCCESS,
        )


class SyncMemberInline(admin.TabularInline[SyncMember, SyncGroup]):
    model = SyncMember
    fields = ("sub", "account_id", "person_id", "admin")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncGroup)
class SyncGroupAdmin(ReadOnly, admin.ModelAdmin[SyncGroup]):
    list_display = ("title", "kind", "school_id", "archived", "chat_id", "updated_at")
    list_filter = ("kind", "archived")
    search_fields = ("title", "=group_ref", "=school_id")
    show_full_result_count = False
    readonly_fields = [f.name for f in SyncGroup._meta.fields]
    inlines = (SyncMemberInline,)


@admin.register(SyncConference)
class SyncConferenceAdmin(ReadOnly, admin.ModelAdmin[SyncConference]):
    """The online lessons' conferences as applied on the platform (docs/sync.md)."""

    list_display = ("title", "starts_at", "ends_at", "group_ref", "org_ref", "updated_at", "refused")
    list_filter = ("starts_at", ("refused", admin.EmptyFieldListFilter))
    search_fields = ("title", "conf_ref", "group_ref", "org_ref", "=school_id")
    date_hierarchy = "starts_at"


@admin.register(SyncChange)
class SyncChangeAdmin(ReadOnly, admin.ModelAdmin[SyncChange]):
    """«Кто, куда, почему»: search a person by the number of their account, a chat by its title."""

    list_display = ("created_at", "who", "change", "group_title", "reason", "school_id")
    list_filter = ("change", "reason")
    search_fields = ("=account_id", "group_title", "=sub", "=group_ref", "=school_id")
    show_full_result_count = False
    readonly_fields = [f.name for f in SyncChange._meta.fields]

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        self._names = account_names(account_ids=[row.account_id for row in changelist.result_list])
        return changelist

    @admin.display(description="кто")
    def who(self, obj: SyncChange) -> str:
        name = getattr(self, "_names", {}).get(obj.account_id, "")
        return f"{name} (№ {obj.account_id})" if name else f"учётная запись № {obj.account_id}"
