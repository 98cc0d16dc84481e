"""Small builders for journal rows. Each returns a saved object; every argument has a sensible default."""

from __future__ import annotations

import datetime as dt
import itertools

from parta.journal.models import (
    AcademicYear,
    Account,
    Cohort,
    Enrolment,
    Gender,
    Guardianship,
    Person,
    Region,
    School,
    SchoolClass,
    StaffAssignment,
    StaffRole,
    Subject,
)

_seq = itertools.count(1)


def region(name: str = "Тестовый край") -> Region:
    return Region.objects.get_or_create(name=name)[0]


def year(start_year: int = 2026, *, current: bool = True) -> AcademicYear:
    found = AcademicYear.objects.filter(start_year=start_year).first()
    if found:
        return found
    return AcademicYear.objects.create(
        start_year=start_year,
        starts_on=dt.date(start_year, 9, 1),
        ends_on=dt.date(start_year + 1, 5, 31),
        is_current=current,
    )


def school(name: str | None = None, *, final_grade: int = 11) -> School:
    return School.objects.create(
        region=region(), name=name or f"Школа № {next(_seq)}", final_grade=final_grade
    )


def person(last: str = "Иванов", first: str = "Иван", middle: str = "Иванович", **extra: object) -> Person:
    extra.setdefault("gender", Gender.MALE)
    extra.setdefault("birth_date", dt.date(1985, 3, 14))
    return Person.objects.create(last_name=last, first_name=first, middle_name=middle, **extra)


def account(
    for_person: Person | None = None, *, username: str | None = None, password: str = "parta-demo"
) -> Account:
    return Account.objects.create_user(
        username=username or f"user{next(_seq)}", password=password, person=for_person or person()
    )


def school_class(
    of_school: School | None = None,
    *,
    grade: int = 5,
    letter: str = "А",
    in_year: AcademicYear | None = None,
    teacher: Person | None = None,
) -> SchoolClass:
    of_school = of_school or school()
    in_year = in_year or year()
    cohort, _ = Cohort.objects.get_or_create(
        school=of_school, letter=letter, entry_year=in_year.start_year - grade + 1
    )
    return SchoolClass.objects.create(
        school=of_school, year=in_year, cohort=cohort, grade=grade, letter=letter, class_teacher=teacher
    )


def student(in_class: SchoolClass, last: str = "Петров", first: str = "Пётр", **extra: object) -> Person:
    extra.setdefault("birth_date", dt.date(in_class.year.start_year - in_class.grade - 6, 5, 1))
    pupil = person(last, first, "Сергеевич", **extra)
    Enrolment.objects.create(student=pupil, school_class=in_class, begins_on=in_class.year.starts_on)
    return pupil


def teacher(
    at_school: School, last: str = "Смирнова", first: str = "Анна", *, role: str = StaffRole.TEACHER
) -> Person:
    staff = person(last, first, "Петровна", gender=Gender.FEMALE)
    StaffAssignment.objects.create(person=staff, school=at_school, role=role, begins_on=dt.date(2020, 9, 1))
    return staff


def parent_of(child: Person, last: str | None = None, first: str = "Сергей") -> Person:
    parent = person(last or child.last_name, first, "Иванович")
    Guardianship.objects.create(guardian=parent, student=child)
    return parent


def guardian_of(parent: Person, child: Person) -> Person:
    """Make an existing ``parent`` a guardian of one more ``child`` too (a family across schools)."""
    Guardianship.objects.create(guardian=parent, student=child)
    return parent


def subject(name: str = "Математика") -> Subject:
    return Subject.objects.get_or_create(name=name)[0]
