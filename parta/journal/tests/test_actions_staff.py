"""Class teachers, staff of a school, subject teaching and guardianship."""

from __future__ import annotations

import datetime as dt

import pytest

from parta.journal.actions.errors import JournalError
from parta.journal.actions.staff import (
    class_teacher_set,
    guardianship_add,
    guardianship_remove,
    staff_hire,
    staff_leave,
    teaching_remove,
    teaching_set,
)
from parta.journal.models import (
    Account,
    GuardianKind,
    Guardianship,
    OutboxEvent,
    Person,
    SchoolClass,
    StaffAssignment,
    StaffRole,
    TeachingAssignment,
)
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def class_5a() -> SchoolClass:
    return factories.school_class(grade=5, letter="А")


@pytest.fixture
def teacher(class_5a: SchoolClass) -> Person:
    return factories.teacher(class_5a.school)


def class_teacher_of(school_class: SchoolClass) -> Person | None:
    return SchoolClass.objects.get(pk=school_class.pk).class_teacher


# --- class teacher --------------------------------------------------------------------------------


def test_class_teacher_is_appointed_and_changed(class_5a: SchoolClass, teacher: Person) -> None:
    class_teacher_set(school_class=class_5a, teacher=teacher)
    assert class_teacher_of(class_5a) == teacher

    other = factories.teacher(class_5a.school, "Волкова", "Елена")
    class_teacher_set(school_class=class_5a, teacher=other)
    assert class_teacher_of(class_5a) == other
    event = OutboxEvent.objects.filter(kind="class.teacher_changed").last()
    assert event is not None
    assert event.payload == {"school_class": class_5a.pk, "previous": teacher.pk, "teacher": other.pk}


def test_class_teacher_is_removed_with_none(class_5a: SchoolClass, teacher: Person) -> None:
    class_teacher_set(school_class=class_5a, teacher=teacher)
    class_teacher_set(school_class=class_5a, teacher=None)
    assert class_teacher_of(class_5a) is None


def test_appointing_the_same_class_teacher_again_changes_nothing(
    class_5a: SchoolClass, teacher: Person
) -> None:
    class_teacher_set(school_class=class_5a, teacher=teacher)
    class_teacher_set(school_class=class_5a, teacher=teacher)
    assert OutboxEvent.objects.filter(kind="class.teacher_changed").count() == 1


def test_class_teacher_must_work_at_the_school(class_5a: SchoolClass) -> None:
    elsewhere = factories.teacher(factories.school("Школа № 99"), "Зайцева", "Ольга")
    with pytest.raises(JournalError, match="не работает в этой школе"):
        class_teacher_set(school_class=class_5a, teacher=elsewhere)
    assert class_teacher_of(class_5a) is None


# --- a teacher who is also a parent ---------------------------------------------------------------


def test_a_teacher_can_also_be_a_parent_with_one_account(class_5a: SchoolClass, teacher: Person) -> None:
    class_2b = factories.school_class(class_5a.school, grade=2, letter="Б")
    child = factories.student(class_2b, "Смирнова", "Дарья")
    guardianship_add(guardian=teacher, student=child)
    class_teacher_set(school_class=class_5a, teacher=teacher)
    login = factories.account(teacher, username="teacher")

    person = Account.objects.get(username="teacher").person
    assert person == teacher
    assert person is not None
    assert list(person.staff_assignments.filter(ends_on__isnull=True).values_list("role", flat=True)) == [
        StaffRole.TEACHER
    ]
    assert [link.student for link in person.wards.all()] == [child]
    assert [link.guardian for link in child.guardians.all()] == [teacher]
    assert list(person.homerooms.all()) == [class_5a]
    assert Account.objects.filter(person=teacher).count() == 1
    assert login.check_password("parta-demo")


# --- staff ----------------------------------------------------------------------------------------


def test_staff_hire_makes_the_person_staff_once(class_5a: SchoolClass) -> None:
    newcomer = factories.person("Белова", "Ирина", "Андреевна")
    first = staff_hire(person=newcomer, school=class_5a.school, on=dt.date(2026, 9, 1))
    again = staff_hire(person=newcomer, school=class_5a.school)
    assert first == again
    assert StaffAssignment.objects.filter(person=newcomer, ends_on__isnull=True).count() == 1
    assert OutboxEvent.objects.filter(kind="staff.hired").count() == 1
    class_teacher_set(school_class=class_5a, teacher=newcomer)  # now allowed
    assert class_teacher_of(class_5a) == newcomer


def test_staff_leave_ends_the_work_and_clears_the_class_teacher(
    class_5a: SchoolClass, teacher: Person
) -> None:
    class_teacher_set(school_class=class_5a, teacher=teacher)
    assignment = StaffAssignment.objects.get(person=teacher)

    staff_leave(assignment=assignment, on=dt.date(2026, 12, 31))

    assert StaffAssignment.objects.get(pk=assignment.pk).ends_on == dt.date(2026, 12, 31)
    assert class_teacher_of(class_5a) is None
    with pytest.raises(JournalError, match="не работает в этой школе"):
        class_teacher_set(school_class=class_5a, teacher=teacher)


def test_staff_leave_keeps_last_years_classes_as_history(class_5a: SchoolClass, teacher: Person) -> None:
    last_year = factories.year(2025, current=False)
    old_class = factories.school_class(
        class_5a.school, grade=4, letter="А", in_year=last_year, teacher=teacher
    )
    class_teacher_set(school_class=class_5a, teacher=teacher)

    staff_leave(assignment=StaffAssignment.objects.get(person=teacher))

    assert class_teacher_of(class_5a) is None
    assert class_teacher_of(old_class) == teacher


def test_leaving_one_role_keeps_the_class_while_another_role_remains(
    class_5a: SchoolClass, teacher: Person
) -> None:
    staff_hire(person=teacher, school=class_5a.school, role=StaffRole.ADMINISTRATOR)
    class_teacher_set(school_class=class_5a, teacher=teacher)

    staff_leave(assignment=StaffAssignment.objects.get(person=teacher, role=StaffRole.TEACHER))

    assert class_teacher_of(class_5a) == teacher


def test_staff_leave_twice_is_a_no_op(teacher: Person) -> None:
    assignment = StaffAssignment.objects.get(person=teacher)
    staff_leave(assignment=assignment, on=dt.date(2026, 12, 31))
    staff_leave(assignment=assignment, on=dt.date(2027, 1, 15))
    assert StaffAssignment.objects.get(pk=assignment.pk).ends_on == dt.date(2026, 12, 31)
    assert OutboxEvent.objects.filter(kind="staff.left").count() == 1


# --- subject teaching -----------------------------------------------------------------------------


def test_teaching_set_appoints_and_replaces_the_subject_teacher(
    class_5a: SchoolClass, teacher: Person
) -> None:
    maths = factories.subject("Математика")
    teaching_set(school_class=class_5a, subject=maths, teacher=teacher)
    other = factories.teacher(class_5a.school, "Волкова", "Елена")
    teaching_set(school_class=class_5a, subject=maths, teacher=other)

    assert TeachingAssignment.objects.get(school_class=class_5a, subject=maths).teacher == other
    assert TeachingAssignment.objects.filter(school_class=class_5a).count() == 1


def test_teaching_set_refuses_a_teacher_not_working_at_the_school(class_5a: SchoolClass) -> None:
    stranger = factories.person("Громов", "Павел", "Ильич")
    with pytest.raises(JournalError, match=r"Громов П\. И\. не работает в этой школе"):
        teaching_set(school_class=class_5a, subject=factories.subject(), teacher=stranger)
    assert not TeachingAssignment.objects.exists()


def test_teaching_set_refuses_a_teacher_who_has_left(class_5a: SchoolClass, teacher: Person) -> None:
    staff_leave(assignment=StaffAssignment.objects.get(person=teacher))
    with pytest.raises(JournalError, match="не работает в этой школе"):
        teaching_set(school_class=class_5a, subject=factories.subject(), teacher=teacher)


def test_teaching_remove_ends_the_subject_in_the_class_once(class_5a: SchoolClass, teacher: Person) -> None:
    maths = factories.subject("Математика")
    assignment = teaching_set(school_class=class_5a, subject=maths, teacher=teacher)

    teaching_remove(assignment=assignment)
    teaching_remove(assignment=assignment)  # a second removal changes nothing

    assert not TeachingAssignment.objects.filter(school_class=class_5a).exists()
    removed = OutboxEvent.objects.filter(kind="teaching.removed")
    assert removed.count() == 1
    assert removed.get().payload["subject"] == maths.pk
    assert removed.get().payload["teacher"] == teacher.pk


# --- guardianship ---------------------------------------------------------------------------------


def test_guardianship_is_added_and_removed(class_5a: SchoolClass) -> None:
    child = factories.student(class_5a)
    mother = factories.person("Петрова", "Анна", "Викторовна")

    link = guardianship_add(guardian=mother, student=child, kind=GuardianKind.LEGAL)
    assert link.kind == GuardianKind.LEGAL
    assert list(child.guardians.values_list("guardian", flat=True)) == [mother.pk]

    guardianship_remove(guardian=mother, student=child)
    assert not Guardianship.objects.filter(student=child).exists()


def test_a_person_cannot_be_their_own_parent(class_5a: SchoolClass) -> None:
    child = factories.student(class_5a)
    with pytest.raises(JournalError, match="не может быть родителем самому себе"):
        guardianship_add(guardian=child, student=child)
    assert not Guardianship.objects.exists()
