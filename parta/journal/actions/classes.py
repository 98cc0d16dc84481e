"""Opening a class."""

from __future__ import annotations

from django.db import transaction

from parta.journal.actions.errors import JournalError
from parta.journal.actions.outbox import outbox_emit
from parta.journal.actions.staff import class_teacher_set
from parta.journal.models import AcademicYear, Cohort, Person, School, SchoolClass


def school_class_create(
    *,
    school: School,
    year: AcademicYear,
    grade: int,
    letter: str,
    class_teacher: Person | None = None,
) -> SchoolClass:
    """Open the class «{grade}{letter}» of ``school`` in ``year`` with its cohort (5А of 2026 continues as
    6А of 2027), and appoint its class teacher. Writes ``class.created`` to the outbox, so the
    integration can open the class's chats before anyone is enrolled."""
    letter = letter.strip().upper()
    if not letter:
        raise JournalError("Укажите литеру класса, например «А».")
    if not 1 <= grade <= school.final_grade:
        raise JournalError(f"В школе «{school}» классы с 1 по {school.final_grade}: класса {grade} нет.")
    with transaction.atomic():
        if SchoolClass.objects.filter(school=school, year=year, grade=grade, letter=letter).exists():
            raise JournalError(f"Класс {grade}{letter} в {year.title} учебном году уже есть.")
        cohort, _ = Cohort.objects.get_or_create(
            school=school, letter=letter, entry_year=year.start_year - grade + 1
        )
        if SchoolClass.objects.filter(cohort=cohort, year=year).exists():
            raise JournalError(f"Поток этого класса в {year.title} учебном году уже учится в другом классе.")
        school_class = SchoolClass.objects.create(
            school=school, year=year, grade=grade, letter=letter, cohort=cohort
        )
        outbox_emit(
            kind="class.created",
            school_id=school.pk,
            school_class=school_class.pk,
            cohort=cohort.pk,
            year=year.start_year,
            title=school_class.title,
        )
        if class_teacher is not None:
            school_class = class_teacher_set(school_class=school_class, teacher=class_teacher)
        return school_class
