"""The deterministic generator of journal data: the demo school up to a region of a million students.

``generate(preset="demo")`` loads one small district whose first school holds the demo logins
(``teacher``, ``parent``, ``student``, ``admin``, password ``parta-demo``); ``preset="region"`` loads a
million students. The plan is made in memory one school at a time (:mod:`.plan`) and written in big
batches (:mod:`.writer`) — ``COPY`` on PostgreSQL — inside one transaction: all or nothing.

No outbox events are written: a seed is an initial load, and the integration's full reconcile of a
school reads the roster as it is. See docs/generator.md.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from tqdm import tqdm

from parta.journal.demo import DEMO_PASSWORD
from parta.journal.generator import names
from parta.journal.generator.plan import (
    DEMO_USERNAMES,
    PRESETS,
    START_YEAR,
    Ids,
    Preset,
    SchoolPlan,
    plan_region,
    seed_key,
    sourced_id,
)
from parta.journal.generator.writer import (
    BulkWriter,
    PostgresBulkMode,
    Row,
    Table,
    lock_tables,
    max_ids,
    reset_sequences,
)
from parta.journal.models import (
    AcademicYear,
    Account,
    Cohort,
    Enrolment,
    Guardianship,
    Lesson,
    Person,
    Region,
    School,
    SchoolClass,
    StaffAssignment,
    Subject,
    TeachingAssignment,
)

__all__ = [
    "BULK_MIN_STUDENTS",
    "DEMO_PASSWORD",
    "DEMO_USERNAMES",
    "PRESETS",
    "GenerationError",
    "GenerationReport",
    "generate",
    "journal_has_schools",
    "plan_region",
]

BULK_MIN_STUDENTS = (
    50_000  # from this size on PostgreSQL, indexes and foreign keys are rebuilt after the load
)
# Every generated account joined on the eve of the 2026/2027 school year (09:00 in Moscow).
JOINED = dt.datetime(2026, 8, 25, 6, 0, tzinfo=dt.UTC)


class GenerationError(Exception):
    """The generation cannot start; the message is in Russian, fit to show the operator."""


@dataclass(frozen=True)
class GenerationReport:
    preset: str
    seed: int
    students: int
    schools: int
    classes: int
    people: int
    lessons: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    vendor: str = ""
    bulk: bool = False
    timetable_conflicts: int = 0
    load_seconds: float = 0.0  # planning and copying
    index_seconds: float = 0.0  # rebuilding indexes and foreign keys after a bulk load

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0


def journal_has_schools(using: str = DEFAULT_DB_ALIAS) -> bool:
    return School.objects.using(using).exists()


def _tables() -> dict[str, Table]:
    """The tables the generator fills, in the order their rows are written."""
    return {
        "school": Table(
            School, ["id", "sourced_id", "region", "name", "short_name", "identifier", "final_grade"]
        ),
        "cohort": Table(Cohort, ["id", "sourced_id", "school", "letter", "entry_year"]),
        "person": Table(
            Person,
            [
                "id", "sourced_id", "last_name", "first_name", "middle_name", "birth_date", "gender",
                "phone", "email",
            ],
        ),
        "schoolclass": Table(
            SchoolClass, ["id", "sourced_id", "school", "year", "cohort", "grade", "letter", "class_teacher"]
        ),
        "account": Table(
            Account,
            [
                "id", "password", "last_login", "is_superuser", "username", "person", "is_staff",
                "is_active", "date_joined",
            ],
        ),
        "staffassignment": Table(StaffAssignment, ["id", "person", "school", "role", "begins_on", "ends_on"]),
        "teachingassignment": Table(
            TeachingAssignment, ["id", "sourced_id", "school_class", "subject", "teacher"]
        ),
        "enrolment": Table(
            Enrolment, ["id", "sourced_id", "student", "school_class", "begins_on", "ends_on", "end_reason"]
        ),
        "guardianship": Table(Guardianship, ["id", "guardian", "student", "kind"]),
        "lesson": Table(
            Lesson,
            [
                "id", "sourced_id", "date", "number", "starts_at", "ends_at", "school_class", "subject",
                "teacher", "room", "topic", "homework", "online",
            ],
        ),
    }  # fmt: skip


_BELLS = tuple((dt.time.fromisoformat(start), dt.time.fromisoformat(end)) for start, end in names.BELLS)


@dataclass
class _Context:
    key: int
    ids: Ids
    region_id: int
    year_id: int
    year_start: dt.date
    subject_ids: dict[str, int]
    password: str


def school_rows(plan: SchoolPlan, context: _Context) -> Iterator[tuple[str, list[Row]]]:
    """The rows of one planned school, table by table; ids of rows nobody refers to are given here."""
    key, ids = context.key, context.ids
    yield (
        "school",
        [
            (
                plan.id, sourced_id(key, "school", plan.id), context.region_id, plan.name, plan.short_name,
                plan.identifier, 11,
            )
        ],
    )  # fmt: skip
    yield (
        "cohort",
        [
            (c.cohort_id, sourced_id(key, "cohort", c.cohort_id), plan.id, c.letter, c.entry_year)
            for c in plan.classes
        ],
    )
    people = plan.people
    yield (
        "person",
        [
            (
                p.id, sourced_id(key, "person", p.id), p.last, p.first, p.middle, p.birth, p.gender, p.phone,
                p.email,
            )
            for p in people
        ],
    )  # fmt: skip
    yield (
        "schoolclass",
        [
            (
                c.id, sourced_id(key, "schoolclass", c.id), plan.id, context.year_id, c.cohort_id, c.grade,
                c.letter, c.class_teacher.id if c.class_teacher else None,
            )
            for c in plan.classes
        ],
    )  # fmt: skip
    password = context.password
    accounts = ids.block("account", len(people))
    yield (
        "account",
        [
            (
                account_id, password, None, p.superuser, p.username or f"u{p.id}", p.id, p.superuser, True,
                JOINED,
            )
            for account_id, p in zip(accounts, people, strict=True)
        ],
    )  # fmt: skip
    staff_ids = ids.block("staffassignment", len(plan.staff))
    yield (
        "staffassignment",
        [
            (staff_id, person_id, plan.id, role, since, None)
            for staff_id, (person_id, role, since) in zip(staff_ids, plan.staff, strict=True)
        ],
    )
    subject_ids = context.subject_ids
    teaching = [
        (c.id, subject_ids[subject], teacher.id)
        for c in plan.classes
        for subject, teacher in c.teachers.items()
    ]
    teaching_ids = ids.block("teachingassignment", len(teaching))
    yield (
        "teachingassignment",
        [
            (row_id, sourced_id(key, "teachingassignment", row_id), *row)
            for row_id, row in zip(teaching_ids, teaching, strict=True)
        ],
    )
    enrolled = [(student.id, c.id) for c in plan.classes for student in c.students]
    enrolment_ids = ids.block("enrolment", len(enrolled))
    begins = context.year_start
    yield (
        "enrolment",
        [
            (row_id, sourced_id(key, "enrolment", row_id), student_id, class_id, begins, None, "")
            for row_id, (student_id, class_id) in zip(enrolment_ids, enrolled, strict=True)
        ],
    )
    guardianship_ids = ids.block("guardianship", len(plan.guardianships))
    yield (
        "guardianship",
        [
            (row_id, guardian_id, student_id, "parent")
            for row_id, (guardian_id, student_id) in zip(guardianship_ids, plan.guardianships, strict=True)
        ],
    )
    lesson_ids = ids.block("lesson", len(plan.lessons))
    bells = _BELLS
    yield (
        "lesson",
        [
            (
                row_id, sourced_id(key, "lesson", row_id), date, number, bells[number - 1][0],
                bells[number - 1][1], class_id, subject_ids[subject], teacher_id, room, topic, homework,
                online,
            )
            for row_id, (date, number, class_id, subject, teacher_id, room, topic, homework, online) in zip(
                lesson_ids, plan.lessons, strict=True
            )
        ],
    )  # fmt: skip


def _year(using: str) -> AcademicYear:
    year = AcademicYear.objects.using(using).filter(start_year=START_YEAR).first()
    if year is None:
        year = AcademicYear.objects.using(using).create(
            start_year=START_YEAR,
            starts_on=dt.date(START_YEAR, 9, 1),
            ends_on=dt.date(START_YEAR + 1, 5, 31),
            is_current=not AcademicYear.objects.using(using).filter(is_current=True).exists(),
        )
    return year


def _subjects(using: str) -> dict[str, int]:
    found = dict(Subject.objects.using(using).values_list("name", "id"))
    for name, code in names.SUBJECTS:
        if name not in found:
            found[name] = Subject.objects.using(using).create(name=name, code=code).pk
    return found


def generate(
    *,
    preset: str = "demo",
    students: int | None = None,
    seed: int = 42,
    today: dt.date | None = None,
    progress: bool = False,
    using: str = DEFAULT_DB_ALIAS,
    bulk: bool | None = None,
) -> GenerationReport:
    """Plan and write a region in one transaction; returns what was written and how fast.

    ``students`` overrides the preset's size; ``today`` (default: the local date) fixes the two weeks of
    lessons; ``bulk`` (default: PostgreSQL and at least :data:`BULK_MIN_STUDENTS` students) rebuilds the
    indexes and foreign keys after the load instead of keeping them up to date row by row.
    """
    if preset not in PRESETS:
        raise GenerationError(f"Нет такой заготовки «{preset}»: {', '.join(PRESETS)}.")
    chosen: Preset = PRESETS[preset]
    size = chosen.students if students is None else students
    if size < 1:
        raise GenerationError("Число учеников должно быть положительным.")
    today = today or timezone.localdate()
    connection = connections[using]
    bulk = (connection.vendor == "postgresql" and size >= BULK_MIN_STUDENTS) if bulk is None else bulk
    if bulk and connection.vendor != "postgresql":
        raise GenerationError("Быстрая загрузка с перестройкой индексов есть только на PostgreSQL.")
    started = time.perf_counter()
    tables = _tables()
    bar = tqdm(total=size, unit=" уч.", desc=f"Генерация ({preset})", disable=not progress, file=sys.stderr)
    schools = classes = people = lessons = conflicts = students_written = 0
    try:
        with transaction.atomic(using=using):
            lock_tables(connection, tables.values())
            if chosen.demo and Account.objects.using(using).filter(username__in=DEMO_USERNAMES).exists():
                raise GenerationError(
                    "В журнале уже есть демо-пользователи (teacher, parent, student, admin): "
                    "демо уже загружено."
                )
            # One hash for every account: millions of Argon2 runs would take days.
            password = make_password(DEMO_PASSWORD)
            year = _year(using)
            region = Region.objects.using(using).create(name=chosen.region_name)
            ids = Ids(max_ids(connection, tables))
            context = _Context(
                key=seed_key(seed),
                ids=ids,
                region_id=region.pk,
                year_id=year.pk,
                year_start=year.starts_on,
                subject_ids=_subjects(using),
                password=password,
            )
            bulk_mode = PostgresBulkMode(connection, tables.values()) if bulk else None
            if bulk_mode:
                bulk_mode.drop()
            writer = BulkWriter(connection, tables)
            plans = plan_region(
                preset=chosen, students=size, seed=seed, today=today, ids=ids, start_year=year.start_year
            )
            try:
                for plan in plans:
                    for key, table_rows in school_rows(plan, context):
                        writer.add(key, table_rows)
                    schools += 1
                    classes += len(plan.classes)
                    people += len(plan.people)
                    lessons += len(plan.lessons)
                    conflicts += plan.timetable_conflicts
                    students_written += plan.students
                    bar.update(plan.students)
                writer.close()
            except BaseException:
                writer.abort()
                raise
            bar.close()
            loaded = time.perf_counter()
            if bulk_mode:
                if progress:
                    tqdm.write("Строю индексы и проверяю внешние ключи…", file=sys.stderr)
                bulk_mode.rebuild()
            reset_sequences(connection, tables.values())
            indexed = time.perf_counter()
    finally:
        bar.close()
    rows = {"region": 1, **writer.written}
    return GenerationReport(
        preset=preset,
        seed=seed,
        students=students_written,
        schools=schools,
        classes=classes,
        people=people,
        lessons=lessons,
        rows=rows,
        seconds=time.perf_counter() - started,
        vendor=connection.vendor,
        bulk=bulk,
        timetable_conflicts=conflicts,
        load_seconds=loaded - started,
        index_seconds=indexed - loaded,
    )
