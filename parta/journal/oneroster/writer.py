"""Writing a checked :class:`~parta.journal.oneroster.plan.Plan` into the journal in one transaction.

Set-based: existing rows are looked up in chunks, new rows go in with ``bulk_create`` and changed rows
with ``bulk_update``; nothing is saved row by row. Rows are matched by sourcedId first and then by the
journal's natural keys (a year by its start year, a class by school, year, grade and letter, …), so a
second import of the same files finds everything in place and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import DataError, IntegrityError, models, transaction
from django.utils import timezone

from parta.core.bulk import bulk_update_rows
from parta.journal.actions.outbox import outbox_emit
from parta.journal.models import (
    AcademicYear,
    Account,
    Cohort,
    Enrolment,
    Guardianship,
    Person,
    Region,
    RegistryEntry,
    RegistryStatus,
    School,
    SchoolClass,
    StaffAssignment,
    Subject,
    TeachingAssignment,
)
from parta.journal.oneroster.errors import ImportProblem, OneRosterImportError, Problems, Warnings
from parta.journal.oneroster.plan import Plan
from parta.journal.oneroster.spec import (
    ACADEMIC_SESSIONS,
    CLASSES,
    COURSES,
    DEMOGRAPHICS,
    ENROLLMENTS,
    ORGS,
    ROLES,
    USERS,
)

BATCH = 2000
CHUNK = 900  # ids per IN (…) lookup: under SQLite's and PostgreSQL's parameter limits

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")

LABELS = {
    "regions": "регионы",
    "schools": "школы",
    "years": "учебные годы",
    "subjects": "предметы",
    "people": "люди",
    "accounts": "учётные записи",
    "cohorts": "потоки классов",
    "classes": "классы",
    "teaching": "преподавание предметов",
    "enrolments": "зачисления",
    "registry": "выпускники и отчисленные",
    "staff": "сотрудники школ",
    "guardianships": "родители и представители",
}


@dataclass
class ImportReport:
    """What an import did. ``created``/``updated`` count rows per kind (keys of :data:`LABELS`)."""

    rows: int
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    schools: list[int] = field(default_factory=list)  # pks of the schools that got a roster.imported event
    warnings: list[ImportProblem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def lines(self) -> list[str]:
        out = [f"Прочитано строк: {self.rows}."]
        for key, label in LABELS.items():
            created, updated = self.created.get(key, 0), self.updated.get(key, 0)
            if created or updated:
                out.append(f"  {label}: добавлено {created}, изменено {updated}")
        if not self.changed:
            out.append("Изменений нет: журнал уже совпадает с файлами.")
        if self.warnings:
            out.append("Пропущено (журнал это не хранит):")
            out.extend(f"  {warning}" for warning in self.warnings)
        if self.dry_run:
            out.append("Это проверка: в журнале ничего не изменено.")
        return out


def plan_write(
    *, plan: Plan, warnings: Warnings, progress: Callable[[int], None] | None, dry_run: bool
) -> ImportReport:
    """Write the plan in one transaction, with a ``roster.imported`` outbox event per changed school."""
    report = ImportReport(rows=sum(plan.rows_by_file.values()), warnings=warnings.items, dry_run=dry_run)
    try:
        with transaction.atomic():
            writer = _Writer(plan, progress)
            writer.run()
            report.created = dict(writer.created)
            report.updated = dict(writer.updated)
            report.schools = writer.emit()
            if dry_run:
                transaction.set_rollback(True)
    except (IntegrityError, DataError) as error:
        raise OneRosterImportError(
            [
                ImportProblem(
                    "журнал", None, None, f"база данных не приняла данные, ничего не записано: {error}"
                )
            ]
        ) from error
    return report


def chunks(items: Sequence[T] | Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _fetch(
    model: type[models.Model], lookup: str, keys: Iterable[Any], *fields: str
) -> Iterator[tuple[Any, ...]]:
    """``values_list(*fields)`` of the rows whose ``lookup`` is in ``keys``, asked in chunks."""
    for chunk in chunks(sorted(set(keys))):
        yield from model._default_manager.filter(**{f"{lookup}__in": chunk}).values_list(*fields)


def _password(raw: str) -> str:
    """The hash of a given password (slow by design), else an unusable one like ``make_password(None)``
    makes — generated directly, as a region imports hundreds of thousands of accounts."""
    if raw:
        return make_password(raw)
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


class _Writer:
    def __init__(self, plan: Plan, progress: Callable[[int], None] | None) -> None:
        self.plan = plan
        self.progress = progress
        self.problems = Problems()
        self.created: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()
        self.dirty: set[int] = set()
        self.region_wide = False
        self.region: dict[str, int] = {}
        self.school: dict[str, int] = {}
        self.year: dict[str, int] = {}
        self.subject: dict[str, int] = {}  # by name
        self.person: dict[str, int] = {}
        self.school_class: dict[str, int] = {}
        self.enrolment: dict[str, int] = {}

    def run(self) -> None:
        self._regions()
        self._schools()
        self._advance(ORGS.name)
        self._years()
        self._advance(ACADEMIC_SESSIONS.name)
        self._subjects()
        self._advance(COURSES.name)
        self._people()
        self._accounts()
        self.problems.raise_if_any()
        self._advance(DEMOGRAPHICS.name)
        self._classes()
        self._teaching()
        self._advance(CLASSES.name)
        self._enrolments()
        self._registry()
        self._advance(ENROLLMENTS.name)
        self._staff()
        self._advance(ROLES.name)
        self._guardianships()
        self._advance(USERS.name)
        self._current_year()

    def _advance(self, file: str) -> None:
        rows = self.plan.rows_by_file.get(file, 0)
        if self.progress is not None and rows:
            self.progress(rows)

    def _create(self, kind: str, model: type[M], objects: Iterable[M]) -> list[M]:
        """``bulk_create`` in batches, the created rows with their pks (later rows refer to them)."""
        created: list[M] = []
        for batch in chunks(objects, BATCH):
            model._default_manager.bulk_create(batch, batch_size=BATCH)
            if batch[0].pk is None:  # a backend that cannot return ids: look them up by sourcedId
                ids = dict(
                    model._default_manager.filter(
                        sourced_id__in=[getattr(obj, "sourced_id") for obj in batch]  # noqa: B009
                    ).values_list("sourced_id", "pk")
                )
                for obj in batch:
                    obj.pk = ids[getattr(obj, "sourced_id")]  # noqa: B009
            self.created[kind] += len(batch)
            created.extend(batch)
        return created

    def _update(self, kind: str, model: type[M], objects: list[M], fields: list[str]) -> None:
        if objects:
            bulk_update_rows(objects, fields)
            self.updated[kind] += len(objects)

    def _touch_person(self, sid: str) -> None:
        schools = self.plan.person_schools.get(sid)
        if not schools:
            self.region_wide = True
            return
        self.dirty.update(self.school[school] for school in schools if school in self.school)

    # organisations and years

    def _regions(self) -> None:
        existing = {
            sid: (pk, name)
            for sid, pk, name in _fetch(
                Region, "sourced_id", [r.sid for r in self.plan.regions], "sourced_id", "pk", "name"
            )
        }
        new: list[Region] = []
        changed: list[Region] = []
        for item in self.plan.regions:
            found = existing.get(item.sid)
            if found is None:
                new.append(Region(sourced_id=item.sid, name=item.name))
                continue
            self.region[item.sid] = found[0]
            if found[1] != item.name:
                changed.append(Region(pk=found[0], name=item.name))
        self._update("regions", Region, changed, ["name"])
        for obj in self._create("regions", Region, new):
            self.region[obj.sourced_id] = obj.pk
        if new or changed:
            self.region_wide = True

    def _schools(self) -> None:
        fields = ["region_id", "name", "identifier", "short_name", "final_grade"]
        existing = {
            row[0]: row[1:]
            for row in _fetch(
                School, "sourced_id", [s.sid for s in self.plan.schools], "sourced_id", "pk", *fields
            )
        }
        new: list[School] = []
        changed: list[School] = []
        for item in self.plan.schools:
            found = existing.get(item.sid)
            region_id = self.region[item.region]
            if found is None:
                new.append(
                    School(
                        sourced_id=item.sid,
                        region_id=region_id,
                        name=item.name,
                        identifier=item.identifier,
                        short_name=item.short_name or "",
                        final_grade=item.final_grade or 11,
                    )
                )
                continue
            pk, *old = found
            self.school[item.sid] = pk
            short_name = old[3] if item.short_name is None else item.short_name
            final_grade = old[4] if item.final_grade is None else item.final_grade
            wanted = [region_id, item.name, item.identifier, short_name, final_grade]
            if wanted != old:
                changed.append(School(pk=pk, **dict(zip(fields, wanted, strict=True))))
                self.dirty.add(pk)
        self._update("schools", School, changed, fields)
        for obj in self._create("schools", School, new):
            self.school[obj.sourced_id] = obj.pk
            self.dirty.add(obj.pk)

    def _years(self) -> None:
        items = self.plan.years
        fields = ["sourced_id", "start_year", "starts_on", "ends_on"]
        by_sid = {
            row[1]: row for row in _fetch(AcademicYear, "sourced_id", [y.sid for y in items], "pk", *fields)
        }
        by_start = {
            row[2]: row
            for row in _fetch(AcademicYear, "start_year", [y.start_year for y in items], "pk", *fields)
        }
        claimed: set[int] = set()
        new: list[AcademicYear] = []
        changed: list[AcademicYear] = []
        for item in items:
            found = by_sid.get(item.sid) or by_start.get(item.start_year)
            if found is None or found[0] in claimed:
                new.append(
                    AcademicYear(
                        sourced_id=item.sid,
                        start_year=item.start_year,
                        starts_on=item.starts_on,
                        ends_on=item.ends_on,
                    )
                )
                continue
            claimed.add(found[0])
            self.year[item.sid] = found[0]
            wanted = (item.sid, item.start_year, item.starts_on, item.ends_on)
            if wanted != found[1:]:
                changed.append(AcademicYear(pk=found[0], **dict(zip(fields, wanted, strict=True))))
        self._update("years", AcademicYear, changed, fields)
        for obj in self._create("years", AcademicYear, new):
            self.year[obj.sourced_id] = obj.pk
        if new or changed:
            self.region_wide = True

    def _current_year(self) -> None:
        """An import into an empty journal needs a current year: the one today falls in, else the latest."""
        if AcademicYear.objects.filter(is_current=True).exists() or not self.year:
            return
        today = timezone.localdate()
        years = AcademicYear.objects.filter(pk__in=self.year.values())
        chosen = (
            years.filter(starts_on__lte=today, ends_on__gte=today).first()
            or years.order_by("-start_year").first()
        )
        if chosen is not None:
            AcademicYear.objects.filter(pk=chosen.pk).update(is_current=True)
            self.updated["years"] += 1
            self.region_wide = True

    def _subjects(self) -> None:
        items = self.plan.subjects
        all_sids = [sid for item in items for sid in item.course_sids]
        by_sid = {
            sid: (pk, name, code)
            for pk, sid, name, code in _fetch(
                Subject, "sourced_id", all_sids, "pk", "sourced_id", "name", "code"
            )
        }
        by_name = {
            name: (pk, name, code)
            for pk, name, code in _fetch(Subject, "name", [i.name for i in items], "pk", "name", "code")
        }
        claimed: dict[int, str] = {}
        new: list[Subject] = []
        changed: list[Subject] = []
        for item in items:
            found = next((by_sid[sid] for sid in item.course_sids if sid in by_sid), None) or by_name.get(
                item.name
            )
            if found is None:
                new.append(Subject(sourced_id=item.course_sids[0], name=item.name, code=item.code))
                continue
            pk, name, code = found
            owner = by_name.get(item.name)
            if pk in claimed or (owner is not None and owner[0] != pk):
                self.problems.add(
                    COURSES.name,
                    item.line,
                    "title",
                    f"предмет «{item.name}» уже есть в журнале под другим sourcedId, "
                    f"а этот sourcedId принадлежит предмету «{name}»",
                )
                continue
            claimed[pk] = item.name
            self.subject[item.name] = pk
            if (name, code) != (item.name, item.code):
                changed.append(Subject(pk=pk, name=item.name, code=item.code))
        self._update("subjects", Subject, changed, ["name", "code"])
        for obj in self._create("subjects", Subject, new):
            self.subject[obj.name] = obj.pk
        if new or changed:
            self.region_wide = True

    # people

    def _people(self) -> None:
        fields = ["last_name", "first_name", "middle_name", "email", "phone", "birth_date", "gender"]
        existing = {
            row[0]: row[1:]
            for row in _fetch(
                Person, "sourced_id", [p.sid for p in self.plan.people], "sourced_id", "pk", *fields
            )
        }
        changed: list[Person] = []

        def new_people() -> Iterator[Person]:
            for item in self.plan.people:
                found = existing.get(item.sid)
                if found is None:
                    self._touch_person(item.sid)
                    yield Person(
                        sourced_id=item.sid,
                        last_name=item.last_name,
                        first_name=item.first_name,
                        middle_name=item.middle_name,
                        email=item.email,
                        phone=item.phone,
                        birth_date=item.birth_date,
                        gender=item.gender or "",
                    )
                    continue
                pk, *old = found
                self.person[item.sid] = pk
                keep = item.gender is None  # no demographics row: birth date and sex stay as they are
                wanted = [
                    item.last_name,
                    item.first_name,
                    item.middle_name,
                    item.email,
                    item.phone,
                    old[5] if keep else item.birth_date,
                    old[6] if keep else item.gender,
                ]
                if wanted != old:
                    changed.append(Person(pk=pk, **dict(zip(fields, wanted, strict=True))))
                    self._touch_person(item.sid)

        for batch in chunks(new_people(), BATCH):
            for obj in self._create("people", Person, batch):
                self.person[obj.sourced_id] = obj.pk
        self._update("people", Person, changed, fields)

    def _accounts(self) -> None:
        items = self.plan.accounts
        person_ids = [self.person[item.person] for item in items]
        by_person = {
            row[0]: row[1:]
            for row in _fetch(Account, "person_id", person_ids, "person_id", "pk", "username", "is_active")
        }
        by_username = {
            row[0]: row[1]
            for row in _fetch(Account, "username", [i.username for i in items], "username", "pk")
        }
        new: list[Account] = []
        changed: list[Account] = []
        for item in items:
            person_id = self.person[item.person]
            mine = by_person.get(person_id)
            owner = by_username.get(item.username)
            if owner is not None and (mine is None or owner != mine[0]):
                self.problems.add(
                    USERS.name,
                    item.line,
                    "username",
                    f"имя пользователя «{item.username}» в журнале уже занято другой учётной записью",
                )
                continue
            if mine is None:
                new.append(
                    Account(
                        username=item.username,
                        person_id=person_id,
                        is_active=item.is_active,
                        password=_password(item.password),
                    )
                )
                self._touch_person(item.person)
            elif (mine[1], mine[2]) != (item.username, item.is_active):
                changed.append(Account(pk=mine[0], username=item.username, is_active=item.is_active))
                self._touch_person(item.person)
        self._update("accounts", Account, changed, ["username", "is_active"])
        for batch in chunks(new, BATCH):
            Account.objects.bulk_create(batch, batch_size=BATCH)
            self.created["accounts"] += len(batch)

    # classes, their cohorts, subject teaching

    def _cohorts(self) -> dict[tuple[int, str, int], int]:
        """(school pk, letter, entry year) → cohort pk, creating the cohorts the classes need."""
        schools = {self.school[item.school] for item in self.plan.classes}
        cohorts = {
            (school, letter, entry_year): pk
            for pk, school, letter, entry_year in _fetch(
                Cohort, "school_id", schools, "pk", "school_id", "letter", "entry_year"
            )
        }
        wanted: dict[tuple[int, str, int], str] = {}
        for item in self.plan.classes:
            key = (self.school[item.school], item.letter, item.entry_year)
            if key not in cohorts and (key not in wanted or not wanted[key]):
                wanted[key] = item.cohort_sid
        taken = {
            sid
            for (sid,) in _fetch(Cohort, "sourced_id", [sid for sid in wanted.values() if sid], "sourced_id")
        }
        new: list[Cohort] = []
        for (school, letter, entry_year), sid in wanted.items():
            cohort = Cohort(school_id=school, letter=letter, entry_year=entry_year)
            if sid and sid not in taken:
                cohort.sourced_id = sid
                taken.add(sid)
            new.append(cohort)
            self.dirty.add(school)
        for obj in self._create("cohorts", Cohort, new):
            cohorts[(obj.school_id, obj.letter, obj.entry_year)] = obj.pk
        return cohorts

    def _classes(self) -> None:
        cohorts = self._cohorts()
        items = self.plan.classes
        fields = ["sourced_id", "school_id", "year_id", "cohort_id", "grade", "letter", "class_teacher_id"]
        by_sid = {
            row[1]: row for row in _fetch(SchoolClass, "sourced_id", [c.sid for c in items], "pk", *fields)
        }
        by_name = {
            (row[2], row[3], row[5], row[6]): row
            for row in _fetch(SchoolClass, "school_id", {self.school[c.school] for c in items}, "pk", *fields)
        }
        claimed: set[int] = set()
        new: list[SchoolClass] = []
        changed: list[SchoolClass] = []
        for item in items:
            school, year = self.school[item.school], self.year[item.year]
            wanted = (
                item.sid,
                school,
                year,
                cohorts[(school, item.letter, item.entry_year)],
                item.grade,
                item.letter,
                self.person[item.teacher] if item.teacher else None,
            )
            found = by_sid.get(item.sid) or by_name.get((school, year, item.grade, item.letter))
            if found is None or found[0] in claimed:
                new.append(SchoolClass(**dict(zip(fields, wanted, strict=True))))
                self.dirty.add(school)
                continue
            claimed.add(found[0])
            self.school_class[item.sid] = found[0]
            if wanted != found[1:]:
                changed.append(SchoolClass(pk=found[0], **dict(zip(fields, wanted, strict=True))))
                self.dirty.add(school)
                if found[2] != school:
                    self.dirty.add(found[2])
        self._update("classes", SchoolClass, changed, fields)
        for obj in self._create("classes", SchoolClass, new):
            self.school_class[obj.sourced_id] = obj.pk

    def _teaching(self) -> None:
        items = self.plan.teaching
        fields = ["sourced_id", "school_class_id", "subject_id", "teacher_id"]
        by_sid = {
            row[1]: row
            for row in _fetch(TeachingAssignment, "sourced_id", [t.sid for t in items], "pk", *fields)
        }
        by_pair = {
            (row[2], row[3]): row
            for row in _fetch(
                TeachingAssignment,
                "school_class_id",
                {self.school_class[t.school_class] for t in items},
                "pk",
                *fields,
            )
        }
        claimed: set[int] = set()
        new: list[TeachingAssignment] = []
        changed: list[TeachingAssignment] = []
        for item in items:
            school = self.school[item.school]
            wanted = (
                item.sid,
                self.school_class[item.school_class],
                self.subject[item.subject],
                self.person[item.teacher],
            )
            found = by_sid.get(item.sid) or by_pair.get((wanted[1], wanted[2]))
            if found is not None and found[0] in claimed:
                found = None
            if found is None:
                new.append(TeachingAssignment(**dict(zip(fields, wanted, strict=True))))
                self.dirty.add(school)
                continue
            claimed.add(found[0])
            if wanted != found[1:]:
                changed.append(TeachingAssignment(pk=found[0], **dict(zip(fields, wanted, strict=True))))
                self.dirty.add(school)
        self._update("teaching", TeachingAssignment, changed, fields)
        self._create("teaching", TeachingAssignment, new)

    # enrolments and the registry

    def _enrolments(self) -> None:
        items = self.plan.enrolments
        fields = ["sourced_id", "student_id", "school_class_id", "begins_on", "ends_on", "end_reason"]
        by_sid = {
            row[1]: row for row in _fetch(Enrolment, "sourced_id", [e.sid for e in items], "pk", *fields)
        }
        by_key: dict[tuple[int, int, dt.date], tuple[Any, ...]] = {}
        open_by_pair: dict[tuple[int, int], tuple[Any, ...]] = {}
        for row in _fetch(Enrolment, "student_id", {self.person[e.student] for e in items}, "pk", *fields):
            by_key[(row[2], row[3], row[4])] = row
            if row[5] is None:
                open_by_pair[(row[2], row[3])] = row
        claimed: set[int] = set()
        new: list[Enrolment] = []
        changed: list[Enrolment] = []
        for item in items:
            student, klass = self.person[item.student], self.school_class[item.school_class]
            found = by_sid.get(item.sid) or by_key.get((student, klass, item.begins_on))
            if found is None and item.ends_on is None:
                found = open_by_pair.get((student, klass))
            if found is not None and found[0] in claimed:
                found = None
            end_reason = item.end_reason if item.end_reason is not None else (found[6] if found else "")
            wanted = (item.sid, student, klass, item.begins_on, item.ends_on, end_reason)
            if found is None:
                new.append(Enrolment(**dict(zip(fields, wanted, strict=True))))
                self.dirty.add(self.school[item.school])
                continue
            claimed.add(found[0])
            self.enrolment[item.sid] = found[0]
            if wanted != found[1:]:
                changed.append(Enrolment(pk=found[0], **dict(zip(fields, wanted, strict=True))))
                self.dirty.add(self.school[item.school])
        self._update("enrolments", Enrolment, changed, fields)
        for obj in self._create("enrolments", Enrolment, new):
            self.enrolment[obj.sourced_id] = obj.pk

    def _registry(self) -> None:
        items = self.plan.registry
        fields = ["school_id", "reason", "status", "left_on", "restore_enrolment_id"]
        existing = {
            (row[1], row[2]): row
            for row in _fetch(
                RegistryEntry,
                "student_id",
                {self.person[r.student] for r in items},
                "pk",
                "student_id",
                "school_class_id",
                *fields,
            )
        }
        new: list[RegistryEntry] = []
        changed: list[RegistryEntry] = []
        for item in items:
            student, klass = self.person[item.student], self.school_class[item.school_class]
            restore = self.enrolment[item.restored_by] if item.restored_by else None
            status = RegistryStatus.RESTORED if restore else RegistryStatus.IN_REGISTRY
            wanted = (self.school[item.school], item.reason, status, item.left_on, restore)
            found = existing.get((student, klass))
            if found is None:
                new.append(
                    RegistryEntry(
                        student_id=student, school_class_id=klass, **dict(zip(fields, wanted, strict=True))
                    )
                )
            elif wanted != found[3:]:
                changed.append(RegistryEntry(pk=found[0], **dict(zip(fields, wanted, strict=True))))
            else:
                continue
            self.dirty.add(self.school[item.school])
        self._update("registry", RegistryEntry, changed, fields)
        for batch in chunks(new, BATCH):
            RegistryEntry.objects.bulk_create(batch, batch_size=BATCH)
            self.created["registry"] += len(batch)

    # staff and guardianship

    def _staff(self) -> None:
        items = self.plan.staff
        rows = list(
            _fetch(
                StaffAssignment,
                "person_id",
                {self.person[s.person] for s in items},
                "pk",
                "person_id",
                "school_id",
                "role",
                "begins_on",
                "ends_on",
            )
        )
        by_begin = {(r[1], r[2], r[3], r[4]): r for r in rows}
        open_by_role = {(r[1], r[2], r[3]): r for r in rows if r[5] is None}
        today = timezone.localdate()
        claimed: set[int] = set()
        new: list[StaffAssignment] = []
        changed: list[StaffAssignment] = []
        for item in items:
            person, school = self.person[item.person], self.school[item.school]
            found = by_begin.get((person, school, item.role, item.begins_on)) if item.begins_on else None
            if found is None and item.ends_on is None:
                found = open_by_role.get((person, school, item.role))
            if found is not None and found[0] in claimed:
                found = None
            if found is None:
                new.append(
                    StaffAssignment(
                        person_id=person,
                        school_id=school,
                        role=item.role,
                        begins_on=item.begins_on or today,
                        ends_on=item.ends_on,
                    )
                )
                self.dirty.add(school)
                continue
            claimed.add(found[0])
            begins_on = item.begins_on or found[4]
            if (begins_on, item.ends_on) != (found[4], found[5]):
                changed.append(StaffAssignment(pk=found[0], begins_on=begins_on, ends_on=item.ends_on))
                self.dirty.add(school)
        self._update("staff", StaffAssignment, changed, ["begins_on", "ends_on"])
        for batch in chunks(new, BATCH):
            StaffAssignment.objects.bulk_create(batch, batch_size=BATCH)
            self.created["staff"] += len(batch)

    def _guardianships(self) -> None:
        items = self.plan.guardianships
        existing = {
            (guardian, student): (pk, kind)
            for pk, guardian, student, kind in _fetch(
                Guardianship,
                "student_id",
                {self.person[g.student] for g in items},
                "pk",
                "guardian_id",
                "student_id",
                "kind",
            )
        }
        new: list[Guardianship] = []
        changed: list[Guardianship] = []
        for item in items:
            guardian, student = self.person[item.guardian], self.person[item.student]
            found = existing.get((guardian, student))
            if found is None:
                new.append(Guardianship(guardian_id=guardian, student_id=student, kind=item.kind))
            elif found[1] != item.kind:
                changed.append(Guardianship(pk=found[0], kind=item.kind))
            else:
                continue
            self._touch_person(item.student)
        self._update("guardianships", Guardianship, changed, ["kind"])
        for batch in chunks(new, BATCH):
            Guardianship.objects.bulk_create(batch, batch_size=BATCH)
            self.created["guardianships"] += len(batch)

    # the outbox

    def emit(self) -> list[int]:
        """One ``roster.imported`` event per school whose roster changed (and one region-wide if needed)."""
        schools = sorted(self.dirty)
        for school in schools:
            outbox_emit(kind="roster.imported", school_id=school, source="oneroster")
        if self.region_wide:
            outbox_emit(kind="roster.imported", school_id=None, source="oneroster")
        return schools
