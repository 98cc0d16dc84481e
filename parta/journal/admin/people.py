"""People, their accounts, guardianship, staff of the schools and the sign-in throttle."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm, UsernameField
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from parta.journal.actions.staff import guardianship_add, guardianship_remove, staff_hire, staff_leave
from parta.journal.admin.base import JournalAdmin, OpenFilter, ViewOnlyChangeMixin, run_each
from parta.journal.models import (
    Account,
    Enrolment,
    GuardianKind,
    Guardianship,
    LoginThrottle,
    Person,
    StaffAssignment,
    StaffRole,
)


class _ShownInline(admin.TabularInline):
    """A person's roles as read-only rows; they change on their own pages, through the actions."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class StaffInline(_ShownInline):
    model = StaffAssignment
    fields = ("school", "role", "begins_on", "ends_on")
    verbose_name_plural = "работа в школах"


class EnrolmentInline(_ShownInline):
    model = Enrolment
    fk_name = "student"
    fields = ("school_class", "begins_on", "ends_on", "end_reason")
    verbose_name_plural = "обучение"


class WardsInline(_ShownInline):
    model = Guardianship
    fk_name = "guardian"
    fields = ("student", "kind")
    verbose_name_plural = "дети (родитель или законный представитель для)"


class GuardiansInline(_ShownInline):
    model = Guardianship
    fk_name = "student"
    fields = ("guardian", "kind")
    verbose_name_plural = "родители и законные представители"


@admin.register(Person)
class PersonAdmin(JournalAdmin):
    """Names and contacts change here; roles (staff, parent, student) on their own pages."""

    list_display = ("full_name", "birth_date", "gender", "phone", "email")
    list_filter = ("gender",)
    # Prefix and exact matches only: the region has millions of people.
    search_fields = ("^last_name", "^first_name", "^middle_name", "=phone", "=email", "=sourced_id")
    readonly_fields = ("sourced_id",)
    inlines = (StaffInline, EnrolmentInline, WardsInline, GuardiansInline)

    def has_delete_permission(self, request: HttpRequest, obj: Person | None = None) -> bool:
        # Deleting a person would drop their enrolments, guardianship and staff rows past every action.
        return False


class AccountCreationForm(AdminUserCreationForm):
    class Meta:
        model = Account
        fields = ("username", "person")
        field_classes = {"username": UsernameField}


class AccountChangeForm(UserChangeForm):
    class Meta:
        model = Account
        fields = "__all__"
        field_classes = {"username": UsernameField}


@admin.register(Account)
class AccountAdmin(UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password", "person")}),
        (
            "Права доступа",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Даты", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "person", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("username", "person", "is_staff", "is_superuser", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("^username", "^person__last_name", "=person__phone")
    list_select_related = ("person",)
    raw_id_fields = ("person",)
    ordering = ("username",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER


@admin.register(Guardianship)
class GuardianshipAdmin(ViewOnlyChangeMixin, JournalAdmin):
    """Parents and legal guardians: added by ``guardianship_add``, deleted by ``guardianship_remove``."""

    list_display = ("guardian", "student", "kind")
    list_filter = ("kind",)
    search_fields = ("^guardian__last_name", "^student__last_name", "=guardian__phone")
    list_select_related = ("guardian", "student")
    raw_id_fields = ("guardian", "student")

    def save_model(self, request: HttpRequest, obj: Guardianship, form: Any, change: bool) -> None:
        saved = guardianship_add(guardian=obj.guardian, student=obj.student, kind=GuardianKind(obj.kind))
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Guardianship) -> None:
        guardianship_remove(guardian=obj.guardian, student=obj.student)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Guardianship]) -> None:
        for link in queryset.select_related("guardian", "student"):
            guardianship_remove(guardian=link.guardian, student=link.student)


class StaffOpenFilter(OpenFilter):
    title = "работа в школе"
    labels = ("работает", "уволен")


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(ViewOnlyChangeMixin, JournalAdmin):
    """Hired through ``staff_hire``; leaves by «Уволить (завершить работу в школе)» (``staff_leave``)."""

    list_display = ("person", "school", "role", "begins_on", "ends_on")
    list_filter = (StaffOpenFilter, "role")
    search_fields = ("^person__last_name", "^person__first_name", "^school__name", "=school__identifier")
    list_select_related = ("person", "school")
    raw_id_fields = ("person",)
    autocomplete_fields = ("school",)
    fields = ("person", "school", "role", "begins_on", "ends_on")
    actions = ("dismiss",)

    def get_fields(self, request: HttpRequest, obj: StaffAssignment | None = None) -> tuple[str, ...]:
        return ("person", "school", "role", "begins_on") if obj is None else self.fields

    def has_delete_permission(self, request: HttpRequest, obj: StaffAssignment | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: StaffAssignment, form: Any, change: bool) -> None:
        saved = staff_hire(person=obj.person, school=obj.school, role=StaffRole(obj.role), on=obj.begins_on)
        obj.pk, obj.begins_on = saved.pk, saved.begins_on
        obj._state.adding = False

    @admin.action(description="Уволить (завершить работу в школе)", permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[StaffAssignment]) -> None:
        def leave(assignment: StaffAssignment) -> bool:
            if assignment.ends_on is not None:
                return False
            staff_leave(assignment=assignment)
            return True

        run_each(
            request,
            queryset.select_related("person", "school"),
            leave,
            done="Завершена работа в школе: {count}. Классное руководство снято.",
            skipped="Уже не работали: {count}.",
        )


@admin.register(LoginThrottle)
class LoginThrottleAdmin(ViewOnlyChangeMixin, JournalAdmin):
    """Wrong passwords per login name; deleting a row lifts the lock at once."""

    list_display = ("key", "failures", "last_failure_at", "locked_until")
    search_fields = ("^key",)
    ordering = ("-last_failure_at",)
    actions = ("unlock",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Снять блокировку входа", permissions=["delete"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[LoginThrottle]) -> None:
        count, _ = queryset.delete()
        self.message_user(request, f"Блокировка снята: {count}.")
