"""The new school year: every class moves up with its cohort, the final grade graduates.

Works set-based per school (a region has tens of thousands of classes), one transaction per school, and
is idempotent: a cohort that already has its class in the new year is skipped, closed enrolments stay
closed, so a second run — or a run resumed after a crash — changes nothing that was already done.
On PostgreSQL several schools can move at once (``jobs``): each school is its own transaction on its own
connection, and the schools share no rows they write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Count, Q

from parta.journal.actions.errors import JournalError
from parta.journal.actions.outbox import outbox_emit
from parta.journal.models import (
    AcademicYear,
    EndReason,
    Enrolment,
    RegistryEntry,
    RegistryReason,
    RegistryStatus,
    School,
    SchoolClass,
    TeachingAssignment,
)


@dataclass
class SchoolPlan:
    school_id: int
    school_name: str
    promotions: list[tuple[str, str, int]] = field(default_factory=list)  # («5А», «6А», students)
    graduating: list[tuple[str, int]] = field(default_factory=list)  # («11А», students)
    already_done: int = 0

    @property
    def changes(self) -> int:
        return len(self.promotions) + len(self.graduating)


@dataclass
class RolloverPlan:
    from_year: str
    to_year: str
    schools: list[SchoolPlan] = field(default_factory=list)
    opened_year: bool = False

    @property
    def changes(self) -> int:
        return sum(plan.changes for plan in self.schools) + int(self.opened_year)

    def lines(self) -> list[str]:
        out = [f"Перевод на новый учебный год: {self.from_year} → {self.to_year}"]
        for plan in self.schools:
            if not plan.changes:
                continue
            out.append(f"{plan.school_name}:")
            out.extend(f"  {old} → {new}: учеников {count}" for old, new, count in plan.promotions)
            out.extend(f"  {old} — выпуск: учеников {count}" for old, count in plan.graduating)
        if self.opened_year:
            out.append(f"Текущим станет учебный год {self.to_year}.")
        if not self.changes:
            out.append("Изменений нет: учебный год уже открыт.")
        return out


def school_year_of(day: dt.date) -> int:
    """The start year of the school year that contains ``day`` (a school year begins on 1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def _target_year(start_year: int) -> AcademicYear:
    year, _ = AcademicYear.objects.get_or_create(
        start_year=start_year,
        defaults={"starts_on": dt.date(start_year, 9, 1), "ends_on": dt.date(start_year + 1, 5, 31)},
    )
    return year


def _plan_school(school: School, source: AcademicYear, target: AcademicYear) -> SchoolPlan:
    plan = SchoolPlan(school_id=school.pk, school_name=str(school))
    done_cohorts = set(
        SchoolClass.objects.filter(school=school, year=target).values_list("cohort_id", flat=True)
    )
    classes = (
        SchoolClass.objects.filter(school=school, year=source)
        .annotate(students=Count("enrolments", filter=Q(enrolments__ends_on__isnull=True)))
        .order_by("grade", "letter")
    )
    for school_class in classes:
        if school_class.grade >= school.final_grade:
            if school_class.students:
                plan.graduating.append((school_class.title, school_class.students))
        elif school_class.cohort_id in done_cohorts:
            plan.already_done += 1
        else:
            plan.promotions.append(
                (school_class.title, f"{school_class.grade + 1}{school_class.letter}", school_class.students)
            )
    return plan


def _promote(
    old_classes: list[SchoolClass], new_classes: list[SchoolClass], source: AcademicYear, target: AcademicYear
) -> int:
    """Close the open enrolments of the old classes as «promoted», open each student's enrolment in the
    cohort's class of the new year (``new_classes``, in the order of ``old_classes``) and copy the classes'
    teaching into it. Returns the students moved."""
    new_of = {old.pk: new for old, new in zip(old_classes, new_classes, strict=True)}
    old_ids = [c.pk for c in old_classes]
    moving = list(
        Enrolment.objects.filter(school_class_id__any=old_ids, ends_on__isnull=True).values_list(
            "pk", "student_id", "school_class_id"
        )
    )
    Enrolment.objects.filter(pk__any=[pk for pk, _, _ in moving]).update(
        ends_on=source.ends_on, end_reason=EndReason.PROMOTED
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                student_id=student_id,
                school_class=new_of[class_id],
                begins_on=target.starts_on,
            )
            for _, student_id, class_id in moving
        ],
        batch_size=2000,
    )
    TeachingAssignment.objects.bulk_create(
        [
            TeachingAssignment(
                school_class=new_of[t.school_class_id],
                subject_id=t.subject_id,
                teacher_id=t.teacher_id,
            )
            for t in TeachingAssignment.objects.filter(school_class_id__any=old_ids)
        ],
        batch_size=2000,
    )
    return len(moving)


# The same on PostgreSQL in two statements, with no Python object per student (a region moves a million):
# the enrolments closed and their successors opened by one data-modifying WITH, the teaching copied by
# one INSERT … SELECT. New sourcedIds come from gen_random_uuid(), as new_sourced_id() makes them.
# The old → new class pairs come as two arrays (``unnest``), not from a join of the classes: the new
# year's classes are rows the statistics have not seen yet, and at 1,000,000 students PostgreSQL then
# walked all 36,000 classes of the new year for every school (145 ms where 1 ms does).
PROMOTE_SQL = """
WITH moved AS (
    UPDATE journal_enrolment SET ends_on = %(ends_on)s, end_reason = %(promoted)s
    WHERE school_class_id = ANY(%(old)s) AND ends_on IS NULL
    RETURNING student_id, school_class_id
)
INSERT INTO journal_enrolment (sourced_id, student_id, school_class_id, begins_on, ends_on, end_reason)
SELECT gen_random_uuid()::text, moved.student_id, pair.new_id, %(begins_on)s, NULL, ''
FROM moved
JOIN unnest(%(old)s::bigint[], %(new)s::bigint[]) AS pair(old_id, new_id)
    ON pair.old_id = moved.school_class_id
"""
TEACHING_SQL = """
INSERT INTO journal_teachingassignment (sourced_id, school_class_id, subject_id, teacher_id)
SELECT gen_random_uuid()::text, pair.new_id, t.subject_id, t.teacher_id
FROM journal_teachingassignment t
JOIN unnest(%(old)s::bigint[], %(new)s::bigint[]) AS pair(old_id, new_id)
    ON pair.old_id = t.school_class_id
WHERE t.school_class_id = ANY(%(old)s)
"""


def _promote_in_sql(
    old_ids: list[int], new_ids: list[int], source: AcademicYear, target: AcademicYear
) -> int:
    values: dict[str, Any] = {
        "ends_on": source.ends_on,
        "promoted": EndReason.PROMOTED.value,
        "old": old_ids,
        "new": new_ids,
        "begins_on": target.starts_on,
    }
    with connection.cursor() as cursor:
        cursor.execute(PROMOTE_SQL, values)
        moved = cursor.rowcount
        cursor.execute(TEACHING_SQL, values)
    return int(moved)


def _apply_school(school: School, source: AcademicYear, target: AcademicYear) -> SchoolPlan:
    with transaction.atomic():
        School.objects.select_for_update().filter(pk=school.pk).first()
        plan = _plan_school(school, source, target)
        if not plan.changes:
            return plan
        done_cohorts = set(
            SchoolClass.objects.filter(school=school, year=target).values_list("cohort_id", flat=True)
        )
        old_classes = list(
            SchoolClass.objects.filter(school=school, year=source, grade__lt=school.final_grade).exclude(
                cohort_id__in=done_cohorts
            )
        )
        new_classes = SchoolClass.objects.bulk_create(
            [
                SchoolClass(
                    school=school,
                    year=target,
                    cohort_id=old.cohort_id,
                    grade=old.grade + 1,
                    letter=old.letter,
                    class_teacher_id=old.class_teacher_id,
                )
                for old in old_classes
            ]
        )
        # bulk_create gave the new classes their ids, in the order of the old ones: the pairs for both paths
        if connection.vendor == "postgresql":
            moved = _promote_in_sql([c.pk for c in old_classes], [c.pk for c in new_classes], source, target)
        else:
            moved = _promote(old_classes, new_classes, source, target)
        graduating = list(
            Enrolment.objects.filter(
                school_class__school=school,
                school_class__year=source,
                school_class__grade__gte=school.final_grade,
                ends_on__isnull=True,
            ).values_list("pk", "student_id", "school_class_id")
        )
        Enrolment.objects.filter(pk__any=[pk for pk, _, _ in graduating]).update(
            ends_on=source.ends_on, end_reason=EndReason.GRADUATED
        )
        # A graduate restored earlier into this very class already has an entry for it: it returns to the
        # registry as a graduate (the bulk insert below skips existing pairs).
        graduate_pairs = {(student_id, class_id) for _, student_id, class_id in graduating}
        earlier = [
            entry.pk
            for entry in RegistryEntry.objects.filter(
                school_class_id__in={class_id for _, class_id in graduate_pairs},
                student_id__any={student_id for student_id, _ in graduate_pairs},
            ).only("pk", "student_id", "school_class_id")
            if (entry.student_id, entry.school_class_id) in graduate_pairs
        ]
        RegistryEntry.objects.filter(pk__any=earlier).update(
            reason=RegistryReason.GRADUATED,
            status=RegistryStatus.IN_REGISTRY,
            left_on=source.ends_on,
            restore_enrolment=None,
        )
        RegistryEntry.objects.bulk_create(
            [
                RegistryEntry(
                    student_id=student_id,
                    school=school,
                    school_class_id=class_id,
                    reason=RegistryReason.GRADUATED,
                    status=RegistryStatus.IN_REGISTRY,
                    left_on=source.ends_on,
                )
                for _, student_id, class_id in graduating
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        outbox_emit(
            kind="year.rollover",
            school_id=school.pk,
            from_year=source.pk,
            to_year=target.pk,
            promoted=moved,
            graduated=len(graduating),
        )
        return plan


def _schools_applied(
    apply: Callable[[School, AcademicYear, AcademicYear], SchoolPlan],
    source: AcademicYear,
    target: AcademicYear,
    jobs: int,
) -> Iterator[SchoolPlan]:
    """Every school through ``apply``, in the order of their ids; ``jobs`` at once on PostgreSQL, each in
    its own thread and connection (SQLite writes one transaction at a time: there, one by one). Threads
    suffice here, unlike ``parta sync --jobs``: a school's rollover is the database's work, a few statements
    that release the interpreter's lock while PostgreSQL runs them."""
    schools = School.objects.order_by("pk").iterator()
    if jobs <= 1 or connection.vendor != "postgresql":
        for school in schools:
            yield apply(school, source, target)
        return

    def one(school: School) -> SchoolPlan:
        try:
            return apply(school, source, target)
        finally:
            connections.close_all()  # this thread's connection

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(one, list(schools))


def year_rollover(
    *,
    to_start_year: int,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
) -> RolloverPlan:
    """Open the school year starting in ``to_start_year``, moving every school into it.

    With ``dry_run`` nothing is written and the plan says what would happen. ``jobs`` schools move at once
    on PostgreSQL; the new year becomes the current one only after every school has moved.
    """
    current = AcademicYear.objects.filter(is_current=True).first()
    if current is None:
        raise JournalError("Текущий учебный год не задан: откройте его в администрировании.")
    if current.start_year >= to_start_year:
        return RolloverPlan(from_year=current.title, to_year=current.title)
    if current.start_year != to_start_year - 1:
        raise JournalError(
            f"Перевести можно только на следующий год: текущий {current.title}, "
            f"а запрошен {to_start_year}/{to_start_year + 1}."
        )
    if dry_run:
        # Nothing is written: an unsaved year stands in for the one that would be opened.
        target = AcademicYear.objects.filter(start_year=to_start_year).first() or AcademicYear(
            pk=-1, start_year=to_start_year
        )
    else:
        target = _target_year(to_start_year)
    plan = RolloverPlan(from_year=current.title, to_year=target.title, opened_year=True)
    apply = _plan_school if dry_run else _apply_school
    for school_plan in _schools_applied(apply, current, target, jobs):
        plan.schools.append(school_plan)
        if progress:
            progress(1)
    if not dry_run:
        with transaction.atomic():
            AcademicYear.objects.filter(pk=current.pk).update(is_current=False)
            AcademicYear.objects.filter(pk=target.pk).update(is_current=True)
            outbox_emit(kind="year.opened", school_id=None, from_year=current.pk, to_year=target.pk)
    return plan
