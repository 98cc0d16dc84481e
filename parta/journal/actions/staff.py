"""Class teachers, staff of a school, subject teaching, guardianship."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from parta.journal.actions.errors import JournalError
from parta.journal.actions.outbox import outbox_emit
from parta.journal.models import (
    Enrolment,
    GuardianKind,
    Guardianship,
    Person,
    School,
    SchoolClass,
    StaffAssignment,
    StaffRole,
    Subject,
    TeachingAssignment,
)


def _works_at(person: Person, school_id: int) -> bool:
    return StaffAssignment.objects.filter(person=person, school_id=school_id, ends_on__isnull=True).exists()


def class_teacher_set(*, school_class: SchoolClass, teacher: Person | None) -> SchoolClass:
    """Appoint the class teacher (or remove one with ``teacher=None``)."""
    with transaction.atomic():
        school_class = SchoolClass.objects.select_for_update().get(pk=school_class.pk)
        if teacher is not None and not _works_at(teacher, school_class.school_id):
            raise JournalError(
                f"{teacher.short_name} не работает в этой школе: сначала назначьте сотрудника."
            )
        previous = school_class.class_teacher_id
        new = teacher.pk if teacher else None
        if previous == new:
            return school_class
        school_class.class_teacher = teacher
        school_class.save(update_fields=["class_teacher"])
        outbox_emit(
            kind="class.teacher_changed",
            school_id=school_class.school_id,
            school_class=school_class.pk,
            previous=previous,
            teacher=new,
        )
        return school_class


def staff_hire(
    *, person: Person, school: School, role: StaffRole = StaffRole.TEACHER, on: dt.date | None = None
) -> StaffAssignment:
    with transaction.atomic():
        existing = StaffAssignment.objects.filter(
            person=person, school=school, role=role, ends_on__isnull=True
        ).first()
        if existing is not None:
            return existing
        assignment = StaffAssignment.objects.create(
            person=person, school=school, role=role, begins_on=on or timezone.localdate()
        )
        outbox_emit(kind="staff.hired", school_id=school.pk, person=person.pk, role=str(role))
        return assignment


def staff_leave(*, assignment: StaffAssignment, on: dt.date | None = None) -> StaffAssignment:
    """A staff member leaves the school: their assignment ends, and they stop being a class teacher."""
    with transaction.atomic():
        assignment = StaffAssignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.ends_on is not None:
            return assignment
        assignment.ends_on = on or timezone.localdate()
        assignment.save(update_fields=["ends_on"])
        still_there = StaffAssignment.objects.filter(
            person_id=assignment.person_id, school_id=assignment.school_id, ends_on__isnull=True
        ).exists()
        if not still_there:
            SchoolClass.objects.filter(
                school_id=assignment.school_id, class_teacher_id=assignment.person_id, year__is_current=True
            ).update(class_teacher=None)
        outbox_emit(
            kind="staff.left",
            school_id=assignment.school_id,
            person=assignment.person_id,
            role=assignment.role,
        )
        return assignment


def teaching_set(*, school_class: SchoolClass, subject: Subject, teacher: Person) -> TeachingAssignment:
    with transaction.atomic():
        if not _works_at(teacher, school_class.school_id):
            raise JournalError(
                f"{teacher.short_name} не работает в этой школе: сначала назначьте сотрудника."
            )
        assignment, created = TeachingAssignment.objects.select_for_update().get_or_create(
            school_class=school_class, subject=subject, defaults={"teacher": teacher}
        )
        if not created and assignment.teacher_id == teacher.pk:
            return assignment
        assignment.teacher = teacher
        assignment.save(update_fields=["teacher"])
        outbox_emit(
            kind="teaching.changed",
            school_id=school_class.school_id,
            school_class=school_class.pk,
            subject=subject.pk,
            teacher=teacher.pk,
        )
        return assignment


def teaching_remove(*, assignment: TeachingAssignment) -> None:
    """Stop teaching a subject in a class (the subject's chat of the class loses its teacher)."""
    with transaction.atomic():
        locked = TeachingAssignment.objects.select_for_update().filter(pk=assignment.pk).first()
        if locked is None:
            return  # already removed: nothing to do twice
        locked.delete()
        outbox_emit(
            kind="teaching.removed",
            school_id=assignment.school_class.school_id,
            school_class=assignment.school_class_id,
            subject=assignment.subject_id,
            teacher=assignment.teacher_id,
        )


def _schools_of(student: Person) -> Sequence[int | None]:
    """The schools where the student is enrolled now, or ``[None]`` (a region-wide event) if none."""
    schools = sorted(
        set(
            Enrolment.objects.filter(student=student, ends_on__isnull=True).values_list(
                "school_class__school_id", flat=True
            )
        )
    )
    return schools or [None]


def guardianship_add(
    *, guardian: Person, student: Person, kind: GuardianKind = GuardianKind.PARENT
) -> Guardianship:
    if guardian.pk == student.pk:
        raise JournalError("Человек не может быть родителем самому себе.")
    with transaction.atomic():
        link, created = Guardianship.objects.get_or_create(
            guardian=guardian, student=student, defaults={"kind": kind}
        )
        if created:
            for school_id in _schools_of(student):
                outbox_emit(
                    kind="guardianship.added", school_id=school_id, guardian=guardian.pk, student=student.pk
                )
        return link


def guardianship_remove(*, guardian: Person, student: Person) -> None:
    with transaction.atomic():
        deleted, _ = Guardianship.objects.filter(guardian=guardian, student=student).delete()
        if deleted:
            for school_id in _schools_of(student):
                outbox_emit(
                    kind="guardianship.removed", school_id=school_id, guardian=guardian.pk, student=student.pk
                )
