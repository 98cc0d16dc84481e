"""The outbox of roster changes, read-only: the actions write it, the integration reads it."""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from parta.journal.admin.base import JournalAdmin
from parta.journal.models import OutboxEvent

KINDS = {
    "enrolment.created": "зачисление",
    "enrolment.transferred": "перевод в другой класс",
    "registry.added": "выпуск или отчисление",
    "registry.restored": "восстановление",
    "registry.restore_cancelled": "отмена восстановления",
    "class.teacher_changed": "смена классного руководителя",
    "staff.hired": "назначение сотрудника",
    "staff.left": "увольнение сотрудника",
    "class.created": "открыт класс",
    "teaching.changed": "преподавание предмета",
    "teaching.removed": "предмет больше не ведётся в классе",
    "guardianship.added": "добавлен родитель",
    "guardianship.removed": "удалён родитель",
    "year.rollover": "перевод школы на новый год",
    "year.opened": "открыт учебный год",
}


class KindFilter(admin.SimpleListFilter):
    """The known kinds, without a DISTINCT over the whole outbox."""

    title = "событие"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(kind, f"{label} ({kind})") for kind, label in KINDS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> QuerySet[OutboxEvent]:
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(JournalAdmin):
    list_display = ("id", "kind", "kind_label", "school_id", "created_at", "data")
    list_filter = (KindFilter,)
    search_fields = ("kind",)
    search_help_text = "Номер события или школы (числом) либо начало названия события, например «registry»."
    ordering = ("-id",)

    @admin.display(description="что произошло")
    def kind_label(self, obj: OutboxEvent) -> str:
        return KINDS.get(obj.kind, "—")

    @admin.display(description="данные")
    def data(self, obj: OutboxEvent) -> str:
        return json.dumps(obj.payload, ensure_ascii=False, sort_keys=True)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[OutboxEvent], search_term: str
    ) -> tuple[QuerySet[OutboxEvent], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(Q(pk=int(term)) | Q(school_id=int(term))), False
        return queryset.filter(kind__startswith=term), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False
