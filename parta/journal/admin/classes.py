"""Classes and their cohorts, subjects, enrolments, the registry «Выпускники и отчисленные», lessons."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from parta.journal.actions.classes import school_class_create
from parta.journal.actions.enrolments import (
    enrolment_create,
    enrolment_transfer,
    registry_cancel_restore,
    registry_restore,
    student_leave,
)
from parta.journal.actions.staff import class_teacher_set, teaching_remove, teaching_set
from parta.journal.admin.base import GradeFilter, JournalAdmin, OpenFilter, ViewOnlyChangeMixin, run_each
from parta.journal.models import (
    Cohort,
    Enrolment,
    Lesson,
    RegistryEntry,
    RegistryReason,
    RegistryStatus,
    SchoolClass,
    Subject,
    TeachingAssignment,
)


@admin.register(Cohort)
class CohortAdmin(ViewOnlyChangeMixin, JournalAdmin):
    """Cohorts appear with their first class and follow it from year to year: nothing to edit here."""

    list_display = ("__str__", "school", "letter", "entry_year")
    list_filter = ("entry_year",)
    search_fields = ("^school__name", "=school__identifier", "=letter")
    list_select_related = ("school",)
    raw_id_fields = ("school",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Cohort | None = None) -> bool:
        return False


@admin.register(SchoolClass)
class SchoolClassAdmin(JournalAdmin):
    """A new class gets its cohort by itself; the class teacher changes through ``class_teacher_set``."""

    list_display = ("title", "school", "year", "class_teacher", "cohort")
    list_filter = ("year", GradeFilter)
    search_fields = ("^school__name", "=school__identifier", "=letter", "=sourced_id")
    list_select_related = ("school", "year", "class_teacher", "cohort")
    autocomplete_fields = ("school",)
    raw_id_fields = ("class_teacher",)

    def get_fields(self, request: HttpRequest, obj: SchoolClass | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("school", "year", "grade", "letter", "class_teacher")
        return ("school", "year", "grade", "letter", "cohort", "class_teacher", "sourced_id")

    def get_readonly_fields(self, request: HttpRequest, obj: SchoolClass | None = None) -> tuple[str, ...]:
        # A class keeps its school, year and name: the rollover makes next year's class of the cohort.
        if obj is None:
            return ()
        return ("school", "year", "grade", "letter", "cohort", "sourced_id")

    def has_delete_permission(self, request: HttpRequest, obj: SchoolClass | None = None) -> bool:
        # Deleting a class would drop its enrolments past every action.
        return False

    def save_model(self, request: HttpRequest, obj: SchoolClass, form: Any, change: bool) -> None:
        teacher = form.cleaned_data.get("class_teacher")
        if change:
            saved = class_teacher_set(school_class=obj, teacher=teacher)
        else:
            saved = school_class_create(
                school=obj.school, year=obj.year, grade=obj.grade, letter=obj.letter, class_teacher=teacher
            )
        obj.pk, obj.cohort, obj.class_teacher = saved.pk, saved.cohort, saved.class_teacher
        obj.letter = saved.letter
        obj._state.adding = False


@admin.register(Subject)
class SubjectAdmin(JournalAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "=code")
    readonly_fields = ("sourced_id",)


@admin.register(TeachingAssignment)
class TeachingAssignmentAdmin(JournalAdmin):
    """Who teaches a subject in a class; saved through ``teaching_set``."""

    list_display = ("school_class", "subject", "teacher", "school")
    list_filter = ("school_class__year", "subject")
    search_fields = (
        "^teacher__last_name",
        "^school_class__school__name",
        "=school_class__school__identifier",
    )
    list_select_related = ("school_class__school", "subject", "teacher")
    raw_id_fields = ("school_class", "teacher")
    autocomplete_fields = ("subject",)

    @admin.display(description="школа", ordering="school_class__school__name")
    def school(self, obj: TeachingAssignment) -> str:
        return str(obj.school_class.school)

    def get_readonly_fields(
        self, request: HttpRequest, obj: TeachingAssignment | None = None
    ) -> tuple[str, ...]:
        return ("school_class", "subject", "sourced_id") if obj is not None else ()

    def delete_model(self, request: HttpRequest, obj: TeachingAssignment) -> None:
        teaching_remove(assignment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TeachingAssignment]) -> None:
        for assignment in queryset.select_related("school_class"):
            teaching_remove(assignment=assignment)

    def save_model(self, request: HttpRequest, obj: TeachingAssignment, form: Any, change: bool) -> None:
        saved = teaching_set(school_class=obj.school_class, subject=obj.subject, teacher=obj.teacher)
        obj.pk, obj.sourced_id = saved.pk, saved.sourced_id
        obj._state.adding = False


class ClassGradeFilter(GradeFilter):
    field_path = "school_class__grade"


class EnrolmentOpenFilter(OpenFilter):
    title = "обучение"
    labels = ("учится", "выбыл")


@admin.register(Enrolment)
class EnrolmentAdmin(ViewOnlyChangeMixin, JournalAdmin):
    """Enrolments are added through ``enrolment_create`` and end only by the actions of the list."""

    list_display = ("student", "school_class", "school", "year", "begins_on", "ends_on", "end_reason")
    list_filter = (EnrolmentOpenFilter, "end_reason", "school_class__year", ClassGradeFilter)
    search_fields = ("^student__last_name", "^student__first_name", "=school_class__school__identifier")
    list_select_related = ("student", "school_class__school", "school_class__year")
    raw_id_fields = ("student", "school_class")
    fields = ("student", "school_class", "begins_on", "ends_on", "end_reason", "sourced_id")
    actions = ("transfer", "expel", "graduate")

    @admin.display(description="школа")
    def school(self, obj: Enrolment) -> str:
        return str(obj.school_class.school)

    @admin.display(description="учебный год")
    def year(self, obj: Enrolment) -> str:
        return obj.school_class.year.title

    def get_fields(self, request: HttpRequest, obj: Enrolment | None = None) -> tuple[str, ...]:
        return ("student", "school_class", "begins_on") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Enrolment | None = None) -> tuple[str, ...]:
        return () if obj is None else self.fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"begins_on": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request: HttpRequest, obj: Enrolment | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Enrolment, form: Any, change: bool) -> None:
        saved = enrolment_create(student=obj.student, school_class=obj.school_class, on=obj.begins_on)
        obj.pk, obj.sourced_id, obj.begins_on = saved.pk, saved.sourced_id, saved.begins_on
        obj._state.adding = False

    def _leave(self, request: HttpRequest, queryset: QuerySet[Enrolment], reason: RegistryReason) -> None:
        def leave(enrolment: Enrolment) -> bool:
            if enrolment.ends_on is not None:
                return False
            student_leave(student=enrolment.student, school_class=enrolment.school_class, reason=reason)
            return True

        done = (
            "Отчислено учеников: {count}."
            if reason == RegistryReason.EXPELLED
            else "Выпущено учеников: {count}."
        )
        run_each(
            request,
            queryset.select_related("student", "school_class"),
            leave,
            done=done + " Они в реестре «Выпускники и отчисленные».",
            skipped="Пропущено уже выбывших: {count}.",
        )

    @admin.action(description="Перевести в другой класс", permissions=["change"])
    def transfer(self, request: HttpRequest, queryset: QuerySet[Enrolment]) -> HttpResponse | None:
        """Asks for the class first (a page of its own), then moves each student by ``enrolment_transfer``."""
        enrolments = list(
            queryset.filter(ends_on__isnull=True).select_related("student", "school_class__school")
        )
        if not enrolments:
            messages.warning(request, "Выберите учеников, которые сейчас учатся.")
            return None
        schools = {enrolment.school_class.school_id for enrolment in enrolments}
        if len(schools) > 1:
            messages.error(request, "Переводить можно учеников одной школы за раз.")
            return None
        classes = SchoolClass.objects.filter(school_id=schools.pop(), year__is_current=True)
        chosen = request.POST.get("to_class", "")
        if chosen:
            target = classes.filter(pk=chosen).first() if chosen.isdigit() else None
            if target is None:
                messages.error(request, "Выберите класс этой школы в текущем учебном году.")
                return None

            def move(enrolment: Enrolment) -> bool:
                if enrolment.school_class_id == target.pk:
                    return False
                enrolment_transfer(student=enrolment.student, to_class=target)
                return True

            run_each(
                request,
                enrolments,
                move,
                done=f"Переведено в {target.title} класс учеников: {{count}}.",
                skipped=f"Уже учатся в {target.title} классе: {{count}}.",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Перевод в другой класс",
            "opts": self.opts,
            "enrolments": enrolments,
            "classes": classes.order_by("grade", "letter"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/journal/enrolment/transfer.html", context)

    @admin.action(description="Отчислить", permissions=["change"])
    def expel(self, request: HttpRequest, queryset: QuerySet[Enrolment]) -> None:
        self._leave(request, queryset, RegistryReason.EXPELLED)

    @admin.action(description="Выпустить", permissions=["change"])
    def graduate(self, request: HttpRequest, queryset: QuerySet[Enrolment]) -> None:
        self._leave(request, queryset, RegistryReason.GRADUATED)


@admin.register(RegistryEntry)
class RegistryEntryAdmin(ViewOnlyChangeMixin, JournalAdmin):
    """«Выпускники и отчисленные»: entries come from expelling and graduating, and change by the actions."""

    list_display = (
        "student",
        "school",
        "school_class",
        "year",
        "reason",
        "status",
        "left_on",
        "restored_into",
    )
    list_filter = ("status", "reason", "school_class__year")
    search_fields = ("^student__last_name", "^student__first_name", "=school__identifier")
    list_select_related = ("student", "school", "school_class__year", "restore_enrolment__school_class")
    raw_id_fields = ("student", "school", "school_class", "restore_enrolment")
    actions = ("restore", "cancel_restore")

    @admin.display(description="учебный год")
    def year(self, obj: RegistryEntry) -> str:
        return obj.school_class.year.title

    @admin.display(description="восстановлен в класс")
    def restored_into(self, obj: RegistryEntry) -> str:
        if obj.status != RegistryStatus.RESTORED or obj.restore_enrolment is None:
            return "—"
        return obj.restore_enrolment.school_class.title

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a student comes here by «Отчислить», «Выпустить» or the rollover

    def has_delete_permission(self, request: HttpRequest, obj: RegistryEntry | None = None) -> bool:
        return False

    @admin.action(description="Восстановить", permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet[RegistryEntry]) -> None:
        def restore_one(entry: RegistryEntry) -> bool:
            if entry.status == RegistryStatus.RESTORED:
                return False
            registry_restore(entry=entry)
            return True

        run_each(
            request,
            queryset.select_related("student", "school_class"),
            restore_one,
            done="Восстановлено учеников: {count}.",
            skipped="Уже восстановлены: {count}.",
        )

    @admin.action(description="Отменить восстановление", permissions=["change"])
    def cancel_restore(self, request: HttpRequest, queryset: QuerySet[RegistryEntry]) -> None:
        def cancel_one(entry: RegistryEntry) -> bool:
            if entry.status == RegistryStatus.IN_REGISTRY:
                return False
            registry_cancel_restore(entry=entry)
            return True

        run_each(
            request,
            queryset.select_related("student", "school_class"),
            cancel_one,
            done="Восстановление отменено, ученики снова в реестре: {count}.",
            skipped="Не были восстановлены: {count}.",
        )


@admin.register(Lesson)
class LessonAdmin(JournalAdmin):
    list_display = ("date", "number", "school_class", "subject", "teacher", "room", "topic", "online")
    list_filter = ("online", "subject", "school_class__year")
    search_fields = ("^teacher__last_name", "^topic", "=school_class__school__identifier")
    list_select_related = ("school_class", "subject", "teacher")
    raw_id_fields = ("school_class", "teacher")
    autocomplete_fields = ("subject",)
    readonly_fields = ("sourced_id",)
    ordering = ("-date", "number")
