"""What every model admin of the journal shares: refused actions as messages, read-only change pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from parta.journal.actions.errors import JournalError

_T = TypeVar("_T")

# Kept out of the address when the add form is shown again after a refusal.
_NOT_REPEATED = {"csrfmiddlewaretoken", "password", "password1", "password2"}


class JournalAdmin(admin.ModelAdmin):
    """A model admin whose saves and deletes may call the journal's actions.

    A refused action (:class:`JournalError`) rolls the whole form back and shows its Russian message
    above the form again instead of an error page. The tables of a region are large, so the change list
    never counts the whole table.
    """

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # counting every filter's values would scan millions of rows

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except JournalError as error:
            # The admin's own transaction has been rolled back by now: nothing of the form is saved.
            messages.error(request, str(error))
            return HttpResponseRedirect(_form_again(request, object_id))

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except JournalError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().changelist_view(request, extra_context)
        except JournalError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.get_full_path())


class ViewOnlyChangeMixin:
    """The change page only shows the row: it changes through the admin actions of the list."""

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]


def _form_again(request: HttpRequest, object_id: str | None) -> str:
    """The form's address again; an add form keeps what was typed (the admin reads initial data from GET)."""
    if object_id is not None:
        return request.get_full_path()
    typed = {
        key: value
        for key, value in request.POST.items()
        if value and not key.startswith("_") and key not in _NOT_REPEATED
    }
    return f"{request.path}?{urlencode(typed)}" if typed else request.path


def run_each(
    request: HttpRequest,
    items: Iterable[_T],
    action: Callable[[_T], bool],
    *,
    done: str,
    skipped: str = "",
) -> None:
    """Run an action on each selected row in its own transaction and report what happened.

    ``action`` returns ``False`` for a row it had nothing to do with; ``done`` and ``skipped`` are
    messages with ``{count}``. A refusal is shown with the row it concerns and does not stop the others.
    """
    changed = unchanged = 0
    for item in items:
        try:
            if action(item):
                changed += 1
            else:
                unchanged += 1
        except JournalError as error:
            messages.error(request, f"{item}: {error}")
    if changed:
        messages.success(request, done.format(count=changed))
    if unchanged and skipped:
        messages.warning(request, skipped.format(count=unchanged))


class GradeFilter(admin.SimpleListFilter):
    """«Класс (параллель)» 1–11 without a DISTINCT over a large table."""

    title = "параллель"
    parameter_name = "grade"
    field_path = "grade"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(str(grade), f"{grade} класс") for grade in range(1, 12)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{self.field_path: int(value)})
        return queryset


class OpenFilter(admin.SimpleListFilter):
    """Open or finished rows: ``ends_on`` empty or set."""

    title = "состояние"
    parameter_name = "open"
    field_path = "ends_on"
    labels = ("действует", "завершено")

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("1", self.labels[0]), ("0", self.labels[1])]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "1":
            return queryset.filter(**{f"{self.field_path}__isnull": True})
        if self.value() == "0":
            return queryset.filter(**{f"{self.field_path}__isnull": False})
        return queryset
