"""Regions, schools, school years and the page «Перевод на новый учебный год»."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from parta.journal.actions.errors import JournalError
from parta.journal.actions.rollover import RolloverPlan, year_rollover
from parta.journal.admin import exchange
from parta.journal.admin.base import JournalAdmin
from parta.journal.models import AcademicYear, Region, School

ROLLOVER_TITLE = "Перевод на новый учебный год"


@admin.register(Region)
class RegionAdmin(JournalAdmin):
    list_display = ("name", "sourced_id")
    search_fields = ("name",)
    readonly_fields = ("sourced_id",)


@admin.register(School)
class SchoolAdmin(JournalAdmin):
    list_display = ("name", "short_name", "identifier", "region", "final_grade")
    list_filter = ("region", "final_grade")
    search_fields = ("name", "short_name", "=identifier", "=sourced_id")
    readonly_fields = ("sourced_id",)
    list_select_related = ("region",)

    def has_delete_permission(self, request: HttpRequest, obj: School | None = None) -> bool:
        # Deleting a school would take its classes, enrolments and staff with it, past every action.
        return False

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "oneroster/import/",
                self.admin_site.admin_view(partial(exchange.import_view, self)),
                name="journal_school_oneroster_import",
            ),
            path(
                "oneroster/export/",
                self.admin_site.admin_view(partial(exchange.export_view, self)),
                name="journal_school_oneroster_export",
            ),
        ]
        return own + super().get_urls()


class AcademicYearForm(forms.ModelForm):
    class Meta:
        model = AcademicYear
        fields = ("start_year", "starts_on", "ends_on", "is_current")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", "Учебный год должен заканчиваться позже, чем начинается.")
        if data.get("is_current"):
            current = AcademicYear.objects.filter(is_current=True).exclude(pk=self.instance.pk).first()
            if current is not None:
                self.add_error(
                    "is_current",
                    f"Текущий учебный год уже задан ({current.title}). Новый год становится текущим "
                    f"на странице «{ROLLOVER_TITLE}».",
                )
        return data


@admin.register(AcademicYear)
class AcademicYearAdmin(JournalAdmin):
    form = AcademicYearForm
    list_display = ("title", "starts_on", "ends_on", "is_current")
    ordering = ("-start_year",)

    def get_readonly_fields(self, request: HttpRequest, obj: AcademicYear | None = None) -> tuple[str, ...]:
        # Which year is current changes only by the rollover: it moves every class along with it.
        return ("sourced_id", "start_year", "is_current") if obj is not None else ("sourced_id",)

    def has_delete_permission(self, request: HttpRequest, obj: AcademicYear | None = None) -> bool:
        if obj is not None and obj.is_current:
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "rollover/",
                self.admin_site.admin_view(self.rollover_view),
                name="journal_academicyear_rollover",
            )
        ]
        return own + super().get_urls()  # before the others: "<object_id>/" would take "rollover/"

    def rollover_view(self, request: HttpRequest) -> HttpResponse:
        """The dry-run plan of the next school year and the button that applies it."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        can_apply = self.has_change_permission(request)
        if request.method == "POST":
            if not can_apply:
                raise PermissionDenied
            return self._rollover_apply(request)

        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": ROLLOVER_TITLE,
            "opts": self.opts,
            "can_apply": can_apply,
        }
        current = AcademicYear.objects.filter(is_current=True).first()
        if current is None:
            context["problem"] = "Текущий учебный год не задан: добавьте его и отметьте «текущий»."
        else:
            to_start_year = current.start_year + 1
            try:
                plan = year_rollover(to_start_year=to_start_year, dry_run=True)
            except JournalError as error:
                context["problem"] = str(error)
            else:
                context.update(
                    current=current,
                    plan_lines=plan.lines(),
                    to_start_year=to_start_year,
                    to_title=f"{to_start_year}/{to_start_year + 1}",
                )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/journal/academicyear/rollover.html", context)

    def _rollover_apply(self, request: HttpRequest) -> HttpResponse:
        raw = request.POST.get("to", "")
        if not raw.isdigit():
            messages.error(request, "Не указан учебный год, на который переводить.")
            return redirect("admin:journal_academicyear_rollover")
        try:
            # No transaction around it: the rollover commits school by school, and a rerun finishes
            # whatever an interrupted run left undone.
            plan = year_rollover(to_start_year=int(raw))
        except JournalError as error:
            messages.error(request, str(error))
            return redirect("admin:journal_academicyear_rollover")
        if plan.from_year == plan.to_year:
            messages.info(request, f"Учебный год {plan.to_year} уже открыт: изменений нет.")
            return redirect("admin:journal_academicyear_changelist")
        messages.success(request, rollover_summary(plan))
        opened = AcademicYear.objects.filter(is_current=True).first()
        if opened is not None:
            self.log_change(request, opened, f"{ROLLOVER_TITLE}: {plan.from_year} → {plan.to_year}")
        return redirect("admin:journal_academicyear_changelist")


def rollover_summary(plan: RolloverPlan) -> str:
    promoted = sum(len(school.promotions) for school in plan.schools)
    promoted_students = sum(count for school in plan.schools for _, _, count in school.promotions)
    graduated = sum(len(school.graduating) for school in plan.schools)
    graduated_students = sum(count for school in plan.schools for _, count in school.graduating)
    return (
        f"Учебный год {plan.to_year} открыт. Переведено классов: {promoted} (учеников: {promoted_students}), "
        f"выпущено классов: {graduated} (учеников: {graduated_students})."
    )
