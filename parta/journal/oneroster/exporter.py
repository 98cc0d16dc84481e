"""OneRoster 1.2 CSV export of the whole journal, into a folder or a .zip (UTF-8 without BOM, bulk).

Rows are streamed from the database in chunks and written as they come; only the small maps that join
people to their roles, agents and current grade are held in memory. Passwords are never exported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from django.db.models import Count, Max, Min, Q

from parta.journal.models import (
    AcademicYear,
    EndReason,
    Enrolment,
    GuardianKind,
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
from parta.journal.oneroster.spec import (
    ACADEMIC_SESSIONS,
    CLASSES,
    COURSES,
    DEMOGRAPHICS,
    ENROLLMENTS,
    HOMEROOM_COURSE_CODE,
    HOMEROOM_COURSE_TITLE,
    MANIFEST,
    MANIFEST_COLUMNS,
    MANIFEST_FILES,
    META_COHORT,
    META_END_REASON,
    META_FINAL_GRADE,
    META_RESTORED_BY,
    META_SHORT_NAME,
    ONEROSTER_VERSION,
    ORGS,
    ROLES,
    USERS,
    TableSpec,
    derived_id,
    grade_code,
)
from parta.journal.oneroster.writer import chunks

Progress = Callable[[int], None]
STREAM_CHUNK = 5000
# The tables whose rows the progress counts (one call per row, see export_progress_total).
_COUNTED = (Region, School, AcademicYear, Subject, SchoolClass, TeachingAssignment, Person, Enrolment)


@dataclass
class ExportReport:
    target: Path
    files: dict[str, int] = field(default_factory=dict)  # rows written per file

    def lines(self) -> list[str]:
        out = [f"Выгружено в {self.target}:"]
        out.extend(f"  {name}: строк {rows}" for name, rows in self.files.items())
        return out


def export_progress_total() -> int:
    """What the ``progress`` calls of :func:`oneroster_export` add up to."""
    return sum(model._default_manager.count() for model in _COUNTED)


def oneroster_export(*, target: Path, progress: Progress | None = None) -> ExportReport:
    """Write the journal as a OneRoster 1.2 CSV set: a folder, or a .zip if ``target`` ends in ``.zip``.

    ``progress`` is called with numbers of rows written (regions, schools, years, subjects, classes,
    subject teaching, people, enrolments; see :func:`export_progress_total`).
    """
    report = ExportReport(target=target)
    with _Sink(target) as sink:
        ticker = _Ticker(progress)
        export = _Export(sink, ticker, report)
        export.orgs()
        export.sessions()
        export.courses()
        export.classes()
        export.users_and_roles()
        export.enrollments()
        export.demographics()
        export.manifest()
        ticker.flush()
    return report


class _Ticker:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.pending = 0

    def __call__(self) -> None:
        self.pending += 1
        if self.pending >= 1000:
            self.flush()

    def flush(self) -> None:
        if self.progress is not None and self.pending:
            self.progress(self.pending)
        self.pending = 0


class _Sink:
    """A folder, or a .zip written beside the target and moved into place when complete."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.is_zip = target.suffix.lower() == ".zip"
        self._zip: zipfile.ZipFile | None = None
        self._partial = target.with_name(target.name + ".partial")

    def __enter__(self) -> _Sink:
        if self.is_zip:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._zip = zipfile.ZipFile(self._partial, "w", compression=zipfile.ZIP_DEFLATED)
        else:
            self.target.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._zip is None:
            return
        self._zip.close()
        if error is None:
            os.replace(self._partial, self.target)
        else:
            self._partial.unlink(missing_ok=True)

    @contextmanager
    def _open(self, name: str) -> Iterator[IO[str]]:
        if self._zip is not None:
            with self._zip.open(name, "w", force_zip64=True) as raw:
                wrapper = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                yield wrapper
                wrapper.flush()
                wrapper.detach()
        else:
            with (self.target / name).open("w", encoding="utf-8", newline="") as text:
                yield text

    @contextmanager
    def table(
        self, columns: tuple[str, ...], name: str, counts: dict[str, int]
    ) -> Iterator[Callable[[dict[str, Any]], None]]:
        """A function that writes one row given as column → value; missing columns are empty."""
        with self._open(name) as text:
            writer = csv.writer(text)
            writer.writerow(columns)
            counts[name] = 0

            def write(row: dict[str, Any]) -> None:
                writer.writerow(["" if row.get(column) is None else row[column] for column in columns])
                counts[name] += 1

            yield write


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


class _Export:
    def __init__(self, sink: _Sink, tick: _Ticker, report: ExportReport) -> None:
        self.sink = sink
        self.tick = tick
        self.report = report
        first_region = Region.objects.order_by("pk").values_list("sourced_id", flat=True).first()
        self.region_sid = first_region or ""

    def _table(self, spec: TableSpec) -> Any:
        return self.sink.table(spec.export_columns, spec.name, self.report.files)

    def orgs(self) -> None:
        with self._table(ORGS) as write:
            for sid, name in (
                Region.objects.order_by("pk").values_list("sourced_id", "name").iterator(STREAM_CHUNK)
            ):
                write({"sourcedId": sid, "name": name, "type": "district"})
                self.tick()
            schools = School.objects.order_by("pk").values_list(
                "sourced_id", "name", "identifier", "region__sourced_id", "short_name", "final_grade"
            )
            for sid, name, identifier, region, short_name, final_grade in schools.iterator(STREAM_CHUNK):
                write(
                    {
                        "sourcedId": sid,
                        "name": name,
                        "type": "school",
                        "identifier": identifier,
                        "parentSourcedId": region,
                        META_SHORT_NAME: short_name,
                        META_FINAL_GRADE: final_grade,
                    }
                )
                self.tick()

    def sessions(self) -> None:
        with self._table(ACADEMIC_SESSIONS) as write:
            for year in AcademicYear.objects.order_by("start_year"):
                write(
                    {
                        "sourcedId": year.sourced_id,
                        "title": year.title,
                        "type": "schoolYear",
                        "startDate": _date(year.starts_on),
                        "endDate": _date(year.ends_on),
                        "schoolYear": year.start_year + 1,  # the binding names a school year by its end
                    }
                )
                self.tick()

    def courses(self) -> None:
        with self._table(COURSES) as write:
            for sid, name, code in Subject.objects.order_by("pk").values_list("sourced_id", "name", "code"):
                write(
                    {
                        "sourcedId": sid,
                        "title": name,
                        "courseCode": code,
                        "orgSourcedId": self.region_sid,
                        "subjects": name,
                    }
                )
                self.tick()
            pairs = (
                SchoolClass.objects.order_by("school_id", "year__start_year")
                .values_list("school__sourced_id", "year__sourced_id")
                .distinct()
            )
            for school, year in pairs:
                write(
                    {
                        "sourcedId": derived_id("homeroom", school, year),
                        "schoolYearSourcedId": year,
                        "title": HOMEROOM_COURSE_TITLE,
                        "courseCode": HOMEROOM_COURSE_CODE,
                        "orgSourcedId": school,
                    }
                )

    def classes(self) -> None:
        with self._table(CLASSES) as write:
            homerooms = SchoolClass.objects.order_by("pk").values_list(
                "sourced_id",
                "grade",
                "letter",
                "school__sourced_id",
                "year__sourced_id",
                "cohort__sourced_id",
            )
            for sid, grade, letter, school, year, cohort in homerooms.iterator(STREAM_CHUNK):
                write(
                    {
                        "sourcedId": sid,
                        "title": f"{grade}{letter}",
                        "grades": grade_code(grade),
                        "courseSourcedId": derived_id("homeroom", school, year),
                        "classCode": f"{grade}{letter}",
                        "classType": "homeroom",
                        "schoolSourcedId": school,
                        "termSourcedIds": year,
                        META_COHORT: cohort,
                    }
                )
                self.tick()
            scheduled = TeachingAssignment.objects.order_by("pk").values_list(
                "sourced_id",
                "school_class__grade",
                "school_class__letter",
                "school_class__school__sourced_id",
                "school_class__year__sourced_id",
                "subject__sourced_id",
                "subject__name",
            )
            for sid, grade, letter, school, year, subject, subject_name in scheduled.iterator(STREAM_CHUNK):
                write(
                    {
                        "sourcedId": sid,
                        "title": f"{subject_name} {grade}{letter}",
                        "grades": grade_code(grade),
                        "courseSourcedId": subject,
                        "classCode": f"{grade}{letter}",
                        "classType": "scheduled",
                        "schoolSourcedId": school,
                        "termSourcedIds": year,
                        "subjects": subject_name,
                    }
                )
                self.tick()

    def _roles(
        self,
    ) -> tuple[dict[int, list[tuple[str, str, dt.date | None, dt.date | None]]], dict[int, str]]:
        """Person pk → roles (role, org sourcedId, begin, end) in the order staff, student, parent."""
        roles: dict[int, list[tuple[str, str, dt.date | None, dt.date | None]]] = defaultdict(list)
        owner: dict[int, str] = {}
        staff = StaffAssignment.objects.order_by("person_id", "begins_on", "pk").values_list(
            "person_id", "person__sourced_id", "role", "school__sourced_id", "begins_on", "ends_on"
        )
        for person, sid, role, school, begins_on, ends_on in staff.iterator(STREAM_CHUNK):
            owner[person] = sid
            roles[person].append((role, school, begins_on, ends_on))
        schools_of: dict[int, list[str]] = defaultdict(list)
        studies = (
            Enrolment.objects.values("student_id", "student__sourced_id", "school_class__school__sourced_id")
            .annotate(
                begin=Min("begins_on"), end=Max("ends_on"), open=Count("pk", filter=Q(ends_on__isnull=True))
            )
            .order_by("student_id", "school_class__school__sourced_id")
        )
        for row in studies.iterator(STREAM_CHUNK):
            person, school = row["student_id"], row["school_class__school__sourced_id"]
            owner[person] = row["student__sourced_id"]
            roles[person].append(("student", school, row["begin"], None if row["open"] else row["end"]))
            schools_of[person].append(school)
        kinds: dict[int, set[str]] = defaultdict(set)
        ward_schools: dict[int, set[str]] = defaultdict(set)
        links = Guardianship.objects.order_by("pk").values_list(
            "guardian_id", "guardian__sourced_id", "kind", "student_id"
        )
        for guardian, sid, kind, student in links.iterator(STREAM_CHUNK):
            owner[guardian] = sid
            kinds[guardian].add("guardian" if kind == GuardianKind.LEGAL else "parent")
            ward_schools[guardian].update(schools_of.get(student, ()))
        for guardian, guardian_kinds in kinds.items():
            for kind in sorted(guardian_kinds, reverse=True):  # parent before guardian
                for school in sorted(ward_schools[guardian]) or [self.region_sid]:
                    roles[guardian].append((kind, school, None, None))
        return roles, owner

    def users_and_roles(self) -> None:
        roles, owner = self._roles()
        agents: dict[int, list[str]] = defaultdict(list)
        links = Guardianship.objects.order_by("pk").values_list(
            "guardian_id", "guardian__sourced_id", "student_id", "student__sourced_id"
        )
        for guardian, guardian_sid, student, student_sid in links.iterator(STREAM_CHUNK):
            agents[student].append(guardian_sid)
            agents[guardian].append(student_sid)
        grades = dict(
            Enrolment.objects.filter(ends_on__isnull=True, school_class__year__is_current=True).values_list(
                "student_id", "school_class__grade"
            )
        )
        people = Person.objects.order_by("pk").values_list(
            "pk",
            "sourced_id",
            "first_name",
            "last_name",
            "middle_name",
            "email",
            "phone",
            "account__username",
            "account__is_active",
        )
        with self._table(USERS) as write:
            for pk, sid, first, last, middle, email, phone, username, is_active in people.iterator(
                STREAM_CHUNK
            ):
                grade = grades.get(pk)
                person_roles = roles.get(pk)
                write(
                    {
                        "sourcedId": sid,
                        "enabledUser": "true" if username and is_active else "false",
                        "username": username,
                        "givenName": first,
                        "familyName": last,
                        "middleName": middle,
                        "email": email,
                        "phone": phone,
                        "agentSourcedIds": ",".join(agents.get(pk, ())),
                        "grades": grade_code(grade) if grade else "",
                        "primaryOrgSourcedId": person_roles[0][1] if person_roles else "",
                    }
                )
                self.tick()
        with self._table(ROLES) as write:
            for person in sorted(roles):
                sid = owner[person]
                written: set[str] = set()
                for position, (role, org, begins_on, ends_on) in enumerate(roles[person]):
                    role_id = derived_id("role", sid, role, org, _date(begins_on), _date(ends_on))
                    if role_id in written:
                        continue
                    written.add(role_id)
                    write(
                        {
                            "sourcedId": role_id,
                            "userSourcedId": sid,
                            "roleType": "primary" if position == 0 else "secondary",
                            "role": role,
                            "beginDate": _date(begins_on),
                            "endDate": _date(ends_on),
                            "orgSourcedId": org,
                        }
                    )

    def _restored_by(self) -> dict[int, str]:
        """Enrolment pk → sourcedId of the enrolment that restored the student (on the latest leaving)."""
        restored = {
            (student, klass): restore
            for student, klass, restore in RegistryEntry.objects.filter(
                status=RegistryStatus.RESTORED, restore_enrolment__isnull=False
            ).values_list("student_id", "school_class_id", "restore_enrolment__sourced_id")
        }
        latest: dict[tuple[int, int], tuple[dt.date, int]] = {}
        for chunk in chunks(sorted({student for student, _ in restored})):
            leavings = Enrolment.objects.filter(
                student_id__in=chunk,
                end_reason__in=[EndReason.GRADUATED, EndReason.EXPELLED],
                ends_on__isnull=False,
            ).values_list("pk", "student_id", "school_class_id", "ends_on")
            for pk, student, klass, ends_on in leavings:
                pair = (student, klass)
                if (
                    ends_on is not None
                    and pair in restored
                    and (ends_on, pk) > latest.get(pair, (dt.date.min, 0))
                ):
                    latest[pair] = (ends_on, pk)
        return {pk: restored[pair] for pair, (_, pk) in latest.items()}

    def enrollments(self) -> None:
        restored_by = self._restored_by()
        with self._table(ENROLLMENTS) as write:
            rows = Enrolment.objects.order_by("pk").values_list(
                "pk",
                "sourced_id",
                "school_class__sourced_id",
                "school_class__school__sourced_id",
                "student__sourced_id",
                "begins_on",
                "ends_on",
                "end_reason",
            )
            for pk, sid, klass, school, student, begins_on, ends_on, end_reason in rows.iterator(
                STREAM_CHUNK
            ):
                write(
                    {
                        "sourcedId": sid,
                        "classSourcedId": klass,
                        "schoolSourcedId": school,
                        "userSourcedId": student,
                        "role": "student",
                        "primary": "false",
                        "beginDate": _date(begins_on),
                        "endDate": _date(ends_on),
                        META_END_REASON: end_reason,
                        META_RESTORED_BY: restored_by.get(pk, ""),
                    }
                )
                self.tick()
            class_teachers = (
                SchoolClass.objects.filter(class_teacher__isnull=False)
                .order_by("pk")
                .values_list("sourced_id", "school__sourced_id", "class_teacher__sourced_id")
            )
            for klass, school, teacher in class_teachers.iterator(STREAM_CHUNK):
                write(self._teacher_row(derived_id("class-teacher", klass), klass, school, teacher))
            subject_teachers = TeachingAssignment.objects.order_by("pk").values_list(
                "sourced_id", "school_class__school__sourced_id", "teacher__sourced_id"
            )
            for klass, school, teacher in subject_teachers.iterator(STREAM_CHUNK):
                write(self._teacher_row(derived_id("subject-teacher", klass), klass, school, teacher))

    @staticmethod
    def _teacher_row(sid: str, klass: str, school: str, teacher: str) -> dict[str, Any]:
        return {
            "sourcedId": sid,
            "classSourcedId": klass,
            "schoolSourcedId": school,
            "userSourcedId": teacher,
            "role": "teacher",
            "primary": "true",
        }

    def demographics(self) -> None:
        with self._table(DEMOGRAPHICS) as write:
            people = (
                Person.objects.filter(Q(birth_date__isnull=False) | ~Q(gender=""))
                .order_by("pk")
                .values_list("sourced_id", "birth_date", "gender")
            )
            for sid, birth_date, gender in people.iterator(STREAM_CHUNK):
                write({"sourcedId": sid, "birthDate": _date(birth_date), "sex": gender})

    def manifest(self) -> None:
        written = {name.removesuffix(".csv") for name in self.report.files}
        counts: dict[str, int] = {}
        with self.sink.table(MANIFEST_COLUMNS, MANIFEST, counts) as write:
            write({"propertyName": "manifest.version", "value": "1.0"})
            write({"propertyName": "oneroster.version", "value": ONEROSTER_VERSION})
            for name in MANIFEST_FILES:
                write({"propertyName": f"file.{name}", "value": "bulk" if name in written else "absent"})
            write({"propertyName": "source.systemName", "value": "Parta"})
            write({"propertyName": "source.systemCode", "value": "parta"})
