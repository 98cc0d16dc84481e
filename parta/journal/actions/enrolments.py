"""Enrolling students, moving them between classes, and the registry «Выпускники и отчисленные»."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from parta.journal.actions.errors import JournalError
from parta.journal.actions.outbox import outbox_emit
from parta.journal.models import (
    EndReason,
    Enrolment,
    Person,
    RegistryEntry,
    RegistryReason,
    RegistryStatus,
    SchoolClass,
)


def _open_enrolment(student: Person, *, school_id: int) -> Enrolment | None:
    return (
        Enrolment.objects.select_for_update()
        .filter(student=student, school_class__school_id=school_id, ends_on__isnull=True)
        .select_related("school_class")
        .first()
    )


def enrolment_create(*, student: Person, school_class: SchoolClass, on: dt.date | None = None) -> Enrolment:
    """Enrol a student into a class. A student is in at most one class of a school at a time."""
    on = on or timezone.localdate()
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=student.pk).first()
        current = _open_enrolment(student, school_id=school_class.school_id)
        if current is not None:
            if current.school_class_id == school_class.pk:
                return current
            raise JournalError(
                f"{student.short_name} уже учится в {current.school_class.title} классе. "
                "Сначала переведите или отчислите ученика."
            )
        enrolment = Enrolment.objects.create(student=student, school_class=school_class, begins_on=on)
        outbox_emit(
            kind="enrolment.created",
            school_id=school_class.school_id,
            student=student.pk,
            school_class=school_class.pk,
        )
        return enrolment


def enrolment_transfer(*, student: Person, to_class: SchoolClass, on: dt.date | None = None) -> Enrolment:
    """Move a student to another class of the same school (5А → 5Б)."""
    on = on or timezone.localdate()
    with transaction.atomic():
        current = _open_enrolment(student, school_id=to_class.school_id)
        if current is None:
            raise JournalError(f"{student.short_name} не учится в этой школе.")
        if current.school_class_id == to_class.pk:
            return current
        current.ends_on = on
        current.end_reason = EndReason.TRANSFERRED
        current.save(update_fields=["ends_on", "end_reason"])
        enrolment = Enrolment.objects.create(student=student, school_class=to_class, begins_on=on)
        outbox_emit(
            kind="enrolment.transferred",
            school_id=to_class.school_id,
            student=student.pk,
            from_class=current.school_class_id,
            school_class=to_class.pk,
        )
        return enrolment


def student_leave(
    *, student: Person, school_class: SchoolClass, reason: RegistryReason, on: dt.date | None = None
) -> RegistryEntry:
    """Graduate or expel a student: the enrolment ends and the student goes to the registry."""
    on = on or timezone.localdate()
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update()
            .filter(student=student, school_class=school_class, ends_on__isnull=True)
            .first()
        )
        if enrolment is None:
            raise JournalError(f"{student.short_name} не учится в {school_class.title} классе.")
        enrolment.ends_on = on
        enrolment.end_reason = (
            EndReason.GRADUATED if reason == RegistryReason.GRADUATED else EndReason.EXPELLED
        )
        enrolment.save(update_fields=["ends_on", "end_reason"])
        entry, _ = RegistryEntry.objects.update_or_create(
            student=student,
            school_class=school_class,
            defaults={
                "school_id": school_class.school_id,
                "reason": reason,
                "status": RegistryStatus.IN_REGISTRY,
                "left_on": on,
                "restore_enrolment": None,
            },
        )
        outbox_emit(
            kind="registry.added",
            school_id=school_class.school_id,
            student=student.pk,
            school_class=school_class.pk,
            reason=str(reason),
        )
        return entry


def registry_restore(*, entry: RegistryEntry, on: dt.date | None = None) -> RegistryEntry:
    """«Восстановить»: bring a student from the registry back into their class.

    The class is the one they left if it belongs to the current year, otherwise their cohort's class of
    the current year (a student expelled from 5А last year comes back into 6А).
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        entry = (
            RegistryEntry.objects.select_for_update()
            .select_related("school_class", "student")
            .get(pk=entry.pk)
        )
        if entry.status == RegistryStatus.RESTORED:
            return entry
        target = (
            SchoolClass.objects.filter(cohort_id=entry.school_class.cohort_id, year__is_current=True).first()
            or entry.school_class
        )
        if not target.year.is_current:
            raise JournalError(
                f"Класс {entry.school_class.title} в текущем учебном году не существует: "
                "восстановите ученика, зачислив его в класс вручную."
            )
        current = _open_enrolment(entry.student, school_id=entry.school_id)
        if current is not None:
            raise JournalError(
                f"{entry.student.short_name} уже учится в {current.school_class.title} классе."
            )
        enrolment = Enrolment.objects.create(student=entry.student, school_class=target, begins_on=on)
        entry.status = RegistryStatus.RESTORED
        entry.restore_enrolment = enrolment
        entry.save(update_fields=["status", "restore_enrolment"])
        outbox_emit(
            kind="registry.restored",
            school_id=entry.school_id,
            student=entry.student_id,
            school_class=target.pk,
        )
        return entry


def registry_cancel_restore(*, entry: RegistryEntry, on: dt.date | None = None) -> RegistryEntry:
    """«Отменить восстановление»: the student leaves the class again and returns to the registry."""
    on = on or timezone.localdate()
    with transaction.atomic():
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer join.
        entry = (
            RegistryEntry.objects.select_for_update(of=("self",))
            .select_related("restore_enrolment")
            .get(pk=entry.pk)
        )
        if entry.status == RegistryStatus.IN_REGISTRY:
            return entry
        enrolment = entry.restore_enrolment
        if (
            enrolment is not None
            and enrolment.ends_on is not None
            and enrolment.end_reason in (EndReason.PROMOTED, EndReason.TRANSFERRED)
        ):
            # The restored student has moved on since (a new school year, another class of the school):
            # they leave the class they are in now.
            enrolment = _open_enrolment(entry.student, school_id=entry.school_id)
        school_class_id = None
        if enrolment is not None and enrolment.ends_on is None:
            enrolment.ends_on = on
            enrolment.end_reason = EndReason.RESTORE_CANCELLED
            enrolment.save(update_fields=["ends_on", "end_reason"])
            school_class_id = enrolment.school_class_id
        entry.status = RegistryStatus.IN_REGISTRY
        entry.restore_enrolment = None
        entry.save(update_fields=["status", "restore_enrolment"])
        outbox_emit(
            kind="registry.restore_cancelled",
            school_id=entry.school_id,
            student=entry.student_id,
            school_class=school_class_id,
        )
        return entry
