"""Reads of the journal. ``access_*`` helpers answer 404 alike for what is missing and what is forbidden."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from parta.journal.models import (
    Account,
    Enrolment,
    Guardianship,
    Lesson,
    Person,
    SchoolClass,
    StaffAssignment,
    StaffRole,
)

ROLE_TEACHER = "teacher"
ROLE_ADMINISTRATOR = "administrator"
ROLE_PARENT = "parent"
ROLE_STUDENT = "student"
ROLE_LABELS = {
    ROLE_TEACHER: "учитель",
    ROLE_ADMINISTRATOR: "администратор",
    ROLE_PARENT: "родитель",
    ROLE_STUDENT: "ученик",
}
STAFF_ROLES = frozenset({ROLE_TEACHER, ROLE_ADMINISTRATOR})
WEEKDAYS = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье")


def account_roles(account: Account) -> list[str]:
    """The roles one login holds, in a fixed order: a teacher who is also a parent has both."""
    person_id = account.person_id
    if person_id is None:
        return [ROLE_ADMINISTRATOR] if account.is_staff else []
    staff_roles = set(
        StaffAssignment.objects.filter(person_id=person_id, ends_on__isnull=True).values_list(
            "role", flat=True
        )
    )
    roles = []
    if StaffRole.TEACHER in staff_roles:
        roles.append(ROLE_TEACHER)
    if StaffRole.ADMINISTRATOR in staff_roles:
        roles.append(ROLE_ADMINISTRATOR)
    if Guardianship.objects.filter(guardian_id=person_id).exists():
        roles.append(ROLE_PARENT)
    if Enrolment.objects.filter(student_id=person_id, ends_on__isnull=True).exists():
        roles.append(ROLE_STUDENT)
    return roles


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class ScheduleDay:
    date: dt.date
    weekday: str
    lessons: list[Lesson]


def _week(lessons: QuerySet[Lesson], monday: dt.date) -> list[ScheduleDay]:
    by_day: dict[dt.date, list[Lesson]] = {}
    for lesson in lessons.filter(date__gte=monday, date__lt=monday + dt.timedelta(days=7)).select_related(
        "subject", "teacher", "school_class"
    ):
        by_day.setdefault(lesson.date, []).append(lesson)
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        if offset >= 5 and day not in by_day:
            continue  # Saturday and Sunday only when the school has lessons on them
        days.append(ScheduleDay(date=day, weekday=WEEKDAYS[offset], lessons=by_day.get(day, [])))
    return days


def children_of(person_id: int) -> list[Person]:
    return list(
        Person.objects.filter(guardians__guardian_id=person_id)
        .order_by("last_name", "first_name", "pk")
        .distinct()
    )


def access_child(*, account: Account, child_id: int) -> Person:
    child = Person.objects.filter(pk=child_id, guardians__guardian_id=account.person_id).first()
    if child is None:
        raise Http404
    return child


def current_class_of(student_id: int) -> SchoolClass | None:
    enrolment = (
        Enrolment.objects.filter(
            student_id=student_id, ends_on__isnull=True, school_class__year__is_current=True
        )
        .select_related("school_class__school")
        .order_by("-begins_on")
        .first()
    )
    return enrolment.school_class if enrolment else None


def student_week(*, student_id: int, monday: dt.date) -> list[ScheduleDay]:
    """The lessons of every class the student was in on each day of the week."""
    enrolments = Enrolment.objects.filter(
        student_id=student_id, begins_on__lte=monday + dt.timedelta(days=6)
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=monday))
    class_ids = list(enrolments.values_list("school_class_id", flat=True))
    return _week(Lesson.objects.filter(school_class_id__in=class_ids), monday)


def teacher_week(*, teacher_id: int, monday: dt.date) -> list[ScheduleDay]:
    return _week(Lesson.objects.filter(teacher_id=teacher_id), monday)


def class_week(*, school_class_id: int, monday: dt.date) -> list[ScheduleDay]:
    return _week(Lesson.objects.filter(school_class_id=school_class_id), monday)


def staff_school_ids(person_id: int) -> list[int]:
    return list(
        StaffAssignment.objects.filter(person_id=person_id, ends_on__isnull=True)
        .values_list("school_id", flat=True)
        .distinct()
    )


def school_classes(*, school_ids: list[int]) -> QuerySet[SchoolClass]:
    return (
        SchoolClass.objects.filter(school_id__in=school_ids, year__is_current=True)
        .select_related("class_teacher", "school")
        .annotate(students=Count("enrolments", filter=Q(enrolments__ends_on__isnull=True)))
        .order_by("school__name", "grade", "letter")
    )


def access_school_class(*, account: Account, school_class_id: int) -> SchoolClass:
    """A class of the current year at a school where the account's person works."""
    if account.person_id is None:
        raise Http404
    found = (
        SchoolClass.objects.filter(pk=school_class_id, school_id__in=staff_school_ids(account.person_id))
        .select_related("school", "class_teacher")
        .first()
    )
    if found is None:
        raise Http404
    return found
