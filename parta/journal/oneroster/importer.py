"""OneRoster 1.2 CSV import: read and check every file first, then write everything in one transaction.

Nothing is written unless every file is right. :func:`oneroster_import` raises
:class:`~parta.journal.oneroster.errors.OneRosterImportError` with every problem found (up to 200), each
``file:line:field — reason`` in Russian. See ``docs/oneroster.md`` for what maps to what.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from parta.core.phones import PhoneError, phone_normalize
from parta.journal.models import EndReason, GuardianKind, RegistryReason, StaffRole
from parta.journal.oneroster.errors import Problems, Warnings
from parta.journal.oneroster.plan import (
    AccountItem,
    ClassItem,
    EnrolmentItem,
    GuardianshipItem,
    PersonItem,
    Plan,
    RegionItem,
    RegistryItem,
    SchoolItem,
    StaffItem,
    SubjectItem,
    TeachingItem,
    YearItem,
)
from parta.journal.oneroster.reader import Progress, Reader, Row, Source, check_common
from parta.journal.oneroster.spec import (
    ACADEMIC_SESSIONS,
    ADMINISTRATOR_ROLES,
    CLASS_TYPES,
    CLASSES,
    COURSES,
    DEMOGRAPHICS,
    ENROLLMENT_ROLES,
    ENROLLMENTS,
    MANIFEST,
    MANIFEST_FILES,
    META_COHORT,
    META_END_REASON,
    META_FINAL_GRADE,
    META_RESTORED_BY,
    META_SHORT_NAME,
    ONEROSTER_VERSION,
    OPTIONAL_TABLES,
    ORG_TYPES,
    ORGS,
    PARENT_ROLES,
    ROLE_TYPES,
    ROLES,
    SESSION_TYPES,
    SEXES,
    TABLES,
    USER_ROLES,
    USERS,
)
from parta.journal.oneroster.writer import ImportReport, plan_write

_USERNAME = re.compile(r"[\w.@+-]+")
_E164 = re.compile(r"\+\d{10,15}")
_CLASS_NAME = re.compile(r"(\d{1,2})\s*[-–—]?\s*[«\"']?([^\W\d_]{0,4})[»\"']?(?:\s+класс)?", re.IGNORECASE)


def oneroster_import(
    *, source: Path, progress: Progress | None = None, dry_run: bool = False
) -> ImportReport:
    """Import a OneRoster 1.2 CSV set (a folder or a .zip) into the journal, all or nothing.

    Records are matched by sourcedId (and by natural keys where the journal has them), so importing the
    same files again changes nothing. ``progress`` is called with numbers of rows: each data row once
    when it is read and once when it is written (see :func:`import_progress_total`). With ``dry_run``
    everything is checked and written, then rolled back.
    """
    problems = Problems()
    warnings = Warnings()
    with Source(source) as opened:
        reader = Reader(opened, problems, progress)
        files = _read(reader, warnings)
    if files.unreadable:
        problems.raise_if_any()  # a missing or unreadable file: checking references would only repeat it
    plan = _Resolver(files, problems, warnings).plan()
    plan.rows_by_file = dict(files.rows_by_file)
    del files  # the rows as read: a region's files are large, only the plan is needed from here on
    problems.raise_if_any()
    return plan_write(plan=plan, warnings=warnings, progress=progress, dry_run=dry_run)


def import_progress_total(*, source: Path) -> int:
    """What the ``progress`` calls of :func:`oneroster_import` add up to, from counting lines (cheap)."""
    with Source(source) as opened:
        return 2 * sum(opened.data_rows(spec.name) for spec in TABLES)


# --- reading ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Org:
    line: int
    sid: str
    name: str
    type: str
    identifier: str
    parent: str
    short_name: str | None
    final_grade: int | None


@dataclass(slots=True)
class _Session:
    line: int
    sid: str
    type: str
    start: dt.date | None
    end: dt.date | None
    parent: str


@dataclass(slots=True)
class _Course:
    line: int
    sid: str
    title: str
    code: str
    org: str
    school_year: str


@dataclass(slots=True)
class _Class:
    line: int
    sid: str
    title: str
    grades: tuple[str, ...]
    course: str
    code: str
    type: str
    school: str
    terms: tuple[str, ...]
    cohort: str


@dataclass(slots=True)
class _User:
    line: int
    sid: str
    enabled: bool
    username: str
    given: str
    family: str
    middle: str
    email: str
    phone: str
    agents: tuple[str, ...]
    password: str
    primary_org: str


@dataclass(slots=True)
class _Role:
    line: int
    user: str
    role: str
    begin: dt.date | None
    end: dt.date | None
    org: str


@dataclass(slots=True)
class _Enrollment:
    line: int
    sid: str
    class_sid: str
    school: str
    user: str
    role: str
    primary: bool
    begin: dt.date | None
    end: dt.date | None
    end_reason: str | None
    restored_by: str


@dataclass(slots=True)
class _Demographic:
    line: int
    sid: str
    birth: dt.date | None
    sex: str


@dataclass
class _Files:
    orgs: dict[str, _Org] = field(default_factory=dict)
    sessions: dict[str, _Session] = field(default_factory=dict)
    courses: dict[str, _Course] = field(default_factory=dict)
    classes: dict[str, _Class] = field(default_factory=dict)
    users: dict[str, _User] = field(default_factory=dict)
    roles: list[_Role] = field(default_factory=list)
    enrollments: dict[str, _Enrollment] = field(default_factory=dict)
    demographics: dict[str, _Demographic] = field(default_factory=dict)
    rows_by_file: dict[str, int] = field(default_factory=dict)
    unreadable: bool = False  # a file is missing, refused by the manifest, or could not be read


def _read(reader: Reader, warnings: Warnings) -> _Files:
    files = _Files()
    tables = _tables_to_read(reader, warnings)
    files.unreadable = bool(reader.problems)
    readers: dict[str, Callable[[Iterable[Row], _Files], None]] = {
        ORGS.name: _read_orgs,
        ACADEMIC_SESSIONS.name: _read_sessions,
        COURSES.name: _read_courses,
        CLASSES.name: _read_classes,
        USERS.name: _read_users,
        ROLES.name: _read_roles,
        ENROLLMENTS.name: _read_enrollments,
        DEMOGRAPHICS.name: _read_demographics,
    }
    for spec in TABLES:
        if spec.name in tables:
            before = reader.rows_read
            readers[spec.name](reader.rows(spec), files)
            files.rows_by_file[spec.name] = reader.rows_read - before
    files.unreadable = files.unreadable or bool(reader.broken)
    return files


def _tables_to_read(reader: Reader, warnings: Warnings) -> set[str]:
    """The tables the manifest supplies; problems for a wrong version, delta files, missing files."""
    problems = reader.problems
    properties = reader.manifest()
    if properties is None:
        return set()
    version = properties.get("oneroster.version")
    if version is None:
        problems.add(
            MANIFEST, None, "oneroster.version", f"не указана версия OneRoster: ожидается {ONEROSTER_VERSION}"
        )
    elif version[1] != ONEROSTER_VERSION:
        problems.add(
            MANIFEST,
            version[0],
            "oneroster.version",
            f"поддерживается OneRoster {ONEROSTER_VERSION}, а указана версия «{version[1]}»",
        )
    tables: set[str] = set()
    for spec in TABLES:
        line, mode = properties.get(spec.key, (None, ""))
        present = reader.source.has(spec.name)
        mode = mode.lower() or ("bulk" if present else "absent")
        if mode == "bulk":
            if present:
                tables.add(spec.name)
            else:
                problems.add(spec.name, None, None, "файл не найден, а в manifest.csv он указан как bulk")
        elif mode == "delta":
            problems.add(
                MANIFEST,
                line,
                spec.key,
                "поддерживается только полная выгрузка (bulk), а не выгрузка изменений (delta)",
            )
        elif mode == "absent":
            if spec.name in OPTIONAL_TABLES:
                continue
            if present:
                problems.add(
                    MANIFEST,
                    line,
                    spec.key,
                    f"{spec.name} указан как absent, а для импорта в журнал он нужен",
                )
            else:
                problems.add(spec.name, None, None, "файл не найден, а для импорта в журнал он обязателен")
        else:
            problems.add(
                MANIFEST, line, spec.key, f"недопустимое значение «{mode}»: ожидается bulk, delta или absent"
            )
    read = {spec.key for spec in TABLES}
    for name in MANIFEST_FILES:
        key = f"file.{name}"
        line, mode = properties.get(key, (None, "absent"))
        if key not in read and mode.lower() != "absent":
            warnings.add(MANIFEST, line, key, f"файл {name}.csv журнал не импортирует — он пропущен")
    return tables


def _read_orgs(rows: Iterable[Row], files: _Files) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        sid = check_common(row, seen)
        name = row.text("name", required=True, max_length=255)
        kind = row.choice("type", ORG_TYPES)
        identifier = row.text("identifier", max_length=64)
        parent = row.ref("parentSourcedId")
        short_name = row.text(META_SHORT_NAME, max_length=120) if row.has(META_SHORT_NAME) else None
        final_grade = None
        if row.get(META_FINAL_GRADE):
            final_grade = _grade(row, META_FINAL_GRADE, row.get(META_FINAL_GRADE))
        if sid:
            files.orgs[sid] = _Org(row.line, sid, name, kind, identifier, parent, short_name, final_grade)


def _read_sessions(rows: Iterable[Row], files: _Files) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        sid = check_common(row, seen)
        row.text("title", required=True)
        kind = row.choice("type", SESSION_TYPES)
        start = row.date("startDate", required=kind == "schoolYear")
        end = row.date("endDate", required=kind == "schoolYear")
        if start and end and end <= start:
            row.error(
                "endDate",
                f"период заканчивается ({end:%Y-%m-%d}) не позже, чем начинается ({start:%Y-%m-%d})",
            )
        if sid:
            files.sessions[sid] = _Session(row.line, sid, kind, start, end, row.ref("parentSourcedId"))


def _read_courses(rows: Iterable[Row], files: _Files) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        sid = check_common(row, seen, max_length=None)  # only subject courses are stored: checked later
        title = row.text("title", required=True)
        if sid:
            files.courses[sid] = _Course(
                row.line,
                sid,
                title,
                row.get("courseCode"),
                row.ref("orgSourcedId"),
                row.ref("schoolYearSourcedId"),
            )


def _read_classes(rows: Iterable[Row], files: _Files) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        sid = check_common(row, seen)
        title = row.text("title", required=True)
        course = row.ref("courseSourcedId", required=True)
        kind = row.choice("classType", CLASS_TYPES)
        school = row.ref("schoolSourcedId", required=True)
        terms = row.ids("termSourcedIds")
        if not terms:
            row.error(
                "termSourcedIds", "поле обязательно, а оно пустое: укажите учебный год (academicSession)"
            )
        cohort = row.text(META_COHORT, max_length=64)
        if sid:
            files.classes[sid] = _Class(
                row.line,
                sid,
                title,
                row.ids("grades"),
                course,
                row.get("classCode"),
                kind,
                school,
                terms,
                cohort,
            )


def _read_users(rows: Iterable[Row], files: _Files) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        sid = check_common(row, seen)
        username = row.text("username", max_length=150)
        if username and _USERNAME.fullmatch(username) is None:
            row.error(
                "username",
                f"имя пользователя «{username}» может содержать только буквы, цифры и символы @ . + - _",
            )
        email = row.text("email", max_length=254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row.error("email", f"адрес «{email}» не похож на адрес электронной почты")
        user = _User(
            row.line,
            sid or "",
            row.boolean("enabledUser", default=True),
            username,
            row.text("givenName", required=True, max_length=100),
            row.text("familyName", required=True, max_length=100),
            row.text("middleName", max_length=100),
            email,
            _phone(row),
            row.ids("agentSourcedIds"),
            row.get("password"),
            row.ref("primaryOrgSourcedId"),
        )
        if sid:
            files.users[sid] = user


def _phone(row: Row) -> str:
    column = "phone" if row.get("phone") else "sms"
    raw = row.get(column)
    if not raw or _E164.fullmatch(raw):
        return raw
    try:
        return phone_normalize(raw, russian_mobile_only=False)
    except PhoneError as error:
        row.error(column, f"телефон «{raw}» не распознан: {error}")
        return ""


def _read_roles(rows: Iterable[Row], files: _Files) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        sid = check_common(row, seen, max_length=None)
        user = row.ref("userSourcedId", required=True)
        row.choice("roleType", ROLE_TYPES)
        role = row.choice("role", USER_ROLES)
        begin = row.date("beginDate")
        end = row.date("endDate")
        if begin and end and end < begin:
            row.error("endDate", "дата окончания раньше даты начала")
        org = row.ref("orgSourcedId", required=True)
        if sid and user and role:
            files.roles.append(_Role(row.line, user, role, begin, end, org))


def _read_enrollments(rows: Iterable[Row], files: _Files) -> None:
    seen: dict[str, int] = {}
    reasons = set(EndReason.values)
    for row in rows:
        sid = check_common(row, seen)
        class_sid = row.ref("classSourcedId", required=True)
        school = row.ref("schoolSourcedId", required=True)
        user = row.ref("userSourcedId", required=True)
        role = row.choice("role", ENROLLMENT_ROLES)
        begin = row.date("beginDate")
        end = row.date("endDate")
        if begin and end and end < begin:
            row.error("endDate", "дата выбытия раньше даты зачисления")
        end_reason: str | None = None
        if row.has(META_END_REASON):
            end_reason = row.choice(META_END_REASON, reasons, required=False)
            if end_reason and end is None:
                row.error(META_END_REASON, "причина выбытия указана, а даты выбытия (endDate) нет")
        if sid:
            files.enrollments[sid] = _Enrollment(
                row.line,
                sid,
                class_sid,
                school,
                user,
                role,
                row.boolean("primary", default=False),
                begin,
                end,
                end_reason,
                row.ref(META_RESTORED_BY),
            )


def _read_demographics(rows: Iterable[Row], files: _Files) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        sid = check_common(row, seen, max_length=None)
        birth = row.date("birthDate")
        sex = row.choice("sex", SEXES, required=False)
        if sid:
            files.demographics[sid] = _Demographic(row.line, sid, birth, sex)


def _grade(row: Row, column: str, code: str) -> int | None:
    """A grade code (``05``, ``5``) → 5; a problem for grades the journal does not keep."""
    if code.isdigit() and 1 <= int(code) <= 11:
        return int(code)
    row.error(column, f"класс (параллель) «{code}» журнал не ведёт: ожидается число от 01 до 11")
    return None


def parse_class_name(text: str) -> tuple[int, str] | None:
    """«5А», «5 А», «5-а», «11 «Б» класс» → (5, "А"); None if it is not a class name."""
    match = _CLASS_NAME.fullmatch(text.strip())
    if match is None:
        return None
    return int(match[1]), match[2].upper()


# --- checking and resolving ---------------------------------------------------------------------------


class _Resolver:
    """Checks the references between the files and turns the rows into a :class:`Plan`."""

    def __init__(self, files: _Files, problems: Problems, warnings: Warnings) -> None:
        self.f = files
        self.problems = problems
        self.warnings = warnings
        self.out = Plan()
        self.years: dict[str, YearItem] = {}
        self.homerooms: dict[str, ClassItem] = {}
        self.homeroom_by_name: dict[tuple[str, str, int, str], ClassItem] = {}
        self.scheduled: dict[str, tuple[ClassItem, str]] = {}  # class sid → (homeroom, subject name)
        self.subject_of_course: dict[str, str] = {}
        self.roles_of: dict[str, frozenset[str]] = {}
        self._sets: dict[frozenset[str], frozenset[str]] = {}  # equal sets shared: people repeat them
        self.enrolled_students: set[str] = set()

    def error(self, file: str, line: int, column: str | None, reason: str) -> None:
        self.problems.add(file, line, column, reason)

    def plan(self) -> Plan:
        self._orgs()
        self._sessions()
        self._courses()
        self._classes()
        self._people()
        self._roles()
        self._enrollments()
        self._guardianships()
        return self.out

    def _missing(self, file: str, line: int, column: str, what: str, sid: str, table: str) -> None:
        self.error(file, line, column, f"нет {what} с sourcedId «{sid}» в {table}")

    # orgs → regions and schools

    def _orgs(self) -> None:
        orgs = self.f.orgs
        for org in orgs.values():
            if org.parent and org.parent not in orgs:
                self._missing(ORGS.name, org.line, "parentSourcedId", "организации", org.parent, ORGS.name)
            if org.type == "district":
                self.out.regions.append(RegionItem(org.sid, org.name))
        for org in orgs.values():
            if org.type != "school":
                continue
            region = self._district_of(org)
            if region is None:
                if not org.parent or org.parent in orgs:
                    self.error(
                        ORGS.name,
                        org.line,
                        "parentSourcedId",
                        "школа должна входить в организацию типа district (регион, муниципалитет)",
                    )
                continue
            self.out.schools.append(
                SchoolItem(org.sid, region, org.name, org.identifier, org.short_name, org.final_grade)
            )

    def _district_of(self, org: _Org) -> str | None:
        seen = {org.sid}
        parent = self.f.orgs.get(org.parent)
        while parent is not None and parent.sid not in seen:
            if parent.type == "district":
                return parent.sid
            seen.add(parent.sid)
            parent = self.f.orgs.get(parent.parent)
        return None

    def _is_school(self, sid: str) -> bool:
        org = self.f.orgs.get(sid)
        return org is not None and org.type == "school"

    # academic sessions → years

    def _sessions(self) -> None:
        by_start: dict[int, int] = {}
        for session in self.f.sessions.values():
            if session.parent and session.parent not in self.f.sessions:
                self._missing(
                    ACADEMIC_SESSIONS.name,
                    session.line,
                    "parentSourcedId",
                    "учебного периода",
                    session.parent,
                    ACADEMIC_SESSIONS.name,
                )
            if session.type != "schoolYear" or session.start is None or session.end is None:
                continue
            start_year = session.start.year
            first = by_start.get(start_year)
            if first is not None:
                self.error(
                    ACADEMIC_SESSIONS.name,
                    session.line,
                    "startDate",
                    f"учебный год {start_year}/{start_year + 1} уже задан в строке {first}",
                )
                continue
            by_start[start_year] = session.line
            item = YearItem(session.sid, start_year, session.start, session.end)
            self.years[session.sid] = item
            self.out.years.append(item)

    def _year_of(self, sid: str) -> str | None:
        """The school year a session belongs to: itself, a parent, or the year its dates fall in."""
        seen: set[str] = set()
        current = sid
        while current and current not in seen:
            if current in self.years:
                return current
            seen.add(current)
            session = self.f.sessions.get(current)
            current = session.parent if session else ""
        session = self.f.sessions.get(sid)
        if session is not None and session.start is not None:
            for year in self.years.values():
                if year.starts_on <= session.start <= year.ends_on:
                    return year.sid
        return None

    # courses → subjects (a course is a subject unless only homeroom classes use it)

    def _courses(self) -> None:
        homeroom_only = {c.course for c in self.f.classes.values() if c.type == "homeroom"} - {
            c.course for c in self.f.classes.values() if c.type == "scheduled"
        }
        by_title: dict[str, SubjectItem] = {}
        for course in self.f.courses.values():
            if course.org and course.org not in self.f.orgs:
                self._missing(COURSES.name, course.line, "orgSourcedId", "организации", course.org, ORGS.name)
            if course.school_year and course.school_year not in self.f.sessions:
                self._missing(
                    COURSES.name,
                    course.line,
                    "schoolYearSourcedId",
                    "учебного периода",
                    course.school_year,
                    ACADEMIC_SESSIONS.name,
                )
            if course.sid in homeroom_only or not course.title:
                continue
            if len(course.sid) > 64:
                self.error(
                    COURSES.name,
                    course.line,
                    "sourcedId",
                    f"не длиннее 64 символов, а здесь {len(course.sid)}",
                )
            if len(course.title) > 120:
                self.error(
                    COURSES.name,
                    course.line,
                    "title",
                    f"не длиннее 120 символов, а здесь {len(course.title)}",
                )
            if len(course.code) > 32:
                self.error(
                    COURSES.name,
                    course.line,
                    "courseCode",
                    f"не длиннее 32 символов, а здесь {len(course.code)}",
                )
            subject = by_title.get(course.title)
            if subject is None:
                subject = by_title[course.title] = SubjectItem(course.title, course.code, [], course.line)
                self.out.subjects.append(subject)
            elif not subject.code:
                subject.code = course.code
            subject.course_sids.append(course.sid)
            self.subject_of_course[course.sid] = subject.name

    # classes → homeroom classes (with their cohort) and subject teaching

    def _classes(self) -> None:
        for klass in self.f.classes.values():
            school_ok = self._class_school(klass)
            if klass.course and klass.course not in self.f.courses:
                self._missing(
                    CLASSES.name, klass.line, "courseSourcedId", "курса", klass.course, COURSES.name
                )
            year = self._class_year(klass)
            if klass.type == "homeroom" and school_ok and year is not None:
                self._homeroom(klass, year)
        for klass in self.f.classes.values():
            if klass.type == "scheduled" and self._is_school(klass.school):
                year = self._class_year(klass, report=False)
                if year is not None:
                    self._scheduled(klass, year)

    def _class_school(self, klass: _Class) -> bool:
        if not klass.school:
            return False
        org = self.f.orgs.get(klass.school)
        if org is None:
            self._missing(CLASSES.name, klass.line, "schoolSourcedId", "организации", klass.school, ORGS.name)
            return False
        if org.type != "school":
            self.error(
                CLASSES.name,
                klass.line,
                "schoolSourcedId",
                f"организация «{klass.school}» — не школа (type={org.type}), "
                "а класс должен относиться к школе",
            )
            return False
        return True

    def _class_year(self, klass: _Class, *, report: bool = True) -> YearItem | None:
        years: set[str] = set()
        for term in klass.terms:
            if term not in self.f.sessions:
                if report:
                    self._missing(
                        CLASSES.name,
                        klass.line,
                        "termSourcedIds",
                        "учебного периода",
                        term,
                        ACADEMIC_SESSIONS.name,
                    )
                return None
            year = self._year_of(term)
            if year is None:
                if report:
                    self.error(
                        CLASSES.name,
                        klass.line,
                        "termSourcedIds",
                        f"учебный период «{term}» не относится ни к одному учебному году (schoolYear)",
                    )
                return None
            years.add(year)
        if len(years) > 1:
            if report:
                self.error(
                    CLASSES.name, klass.line, "termSourcedIds", "периоды класса из разных учебных годов"
                )
            return None
        return self.years[years.pop()] if years else None

    def _homeroom(self, klass: _Class, year: YearItem) -> None:
        file, line = CLASSES.name, klass.line
        name = parse_class_name(klass.title)
        if name is None:
            self.error(
                file,
                line,
                "title",
                f"не удалось понять номер и литеру класса из «{klass.title}»: ожидается, например, «5А»",
            )
            return
        grade, letter = name
        if len(klass.grades) > 1:
            self.error(
                file,
                line,
                "grades",
                f"у класса одна параллель, а указано несколько: {', '.join(klass.grades)}",
            )
            return
        if klass.grades:
            row_grade = klass.grades[0]
            if not (row_grade.isdigit() and 1 <= int(row_grade) <= 11):
                self.error(
                    file,
                    line,
                    "grades",
                    f"класс (параллель) «{row_grade}» журнал не ведёт: ожидается от 01 до 11",
                )
                return
            if int(row_grade) != grade:
                self.error(
                    file, line, "grades", f"параллель «{row_grade}» не совпадает с названием «{klass.title}»"
                )
                return
        if not 1 <= grade <= 11:
            self.error(file, line, "title", f"класс «{klass.title}»: номер класса должен быть от 1 до 11")
            return
        key = (klass.school, year.sid, grade, letter)
        other = self.homeroom_by_name.get(key)
        if other is not None:
            first = self.f.classes[other.sid].line
            self.error(
                file,
                line,
                "title",
                f"класс «{grade}{letter}» этой школы в этом учебном году уже задан в строке {first}",
            )
            return
        item = ClassItem(
            klass.sid,
            klass.school,
            year.sid,
            grade,
            letter,
            year.start_year - grade + 1,
            klass.cohort,
            None,
        )
        self.homerooms[klass.sid] = item
        self.homeroom_by_name[key] = item

    def _scheduled(self, klass: _Class, year: YearItem) -> None:
        name = parse_class_name(klass.code) if klass.code else None
        if name is None and klass.title.split():
            name = parse_class_name(klass.title.split()[-1])
        homeroom = self.homeroom_by_name.get((klass.school, year.sid, *name)) if name else None
        if homeroom is None:
            self.warnings.add(
                CLASSES.name,
                klass.line,
                "classCode",
                "предметный класс пропущен: в его школе и учебном году нет класса-коллектива (homeroom) с "
                "названием из classCode",
            )
            return
        subject = self.subject_of_course.get(klass.course)
        if subject is not None:
            self.scheduled[klass.sid] = (homeroom, subject)

    # users → people and accounts; demographics → birth date and sex

    def _people(self) -> None:
        usernames: dict[str, int] = {}
        for user in self.f.users.values():
            if user.primary_org and user.primary_org not in self.f.orgs:
                self._missing(
                    USERS.name, user.line, "primaryOrgSourcedId", "организации", user.primary_org, ORGS.name
                )
            self.out.people.append(
                PersonItem(user.sid, user.line, user.family, user.given, user.middle, user.email, user.phone)
            )
            if user.username:
                first = usernames.get(user.username)
                if first is not None:
                    self.error(
                        USERS.name,
                        user.line,
                        "username",
                        f"имя пользователя «{user.username}» уже есть в строке {first}",
                    )
                    continue
                usernames[user.username] = user.line
                self.out.accounts.append(
                    AccountItem(user.sid, user.line, user.username, user.enabled, user.password)
                )
        people = {person.sid: person for person in self.out.people}
        for row in self.f.demographics.values():
            person = people.get(row.sid)
            if person is None:
                self._missing(DEMOGRAPHICS.name, row.line, "sourcedId", "пользователя", row.sid, USERS.name)
                continue
            person.birth_date = row.birth
            person.gender = row.sex if row.sex in {"male", "female"} else ""

    # roles → staff; who is a student, who is a parent

    def _roles(self) -> None:
        open_staff: dict[tuple[str, str, str], int] = {}
        dated_staff: dict[tuple[str, str, str, dt.date], int] = {}
        for role in self.f.roles:
            file, line = ROLES.name, role.line
            if role.user not in self.f.users:
                self._missing(file, line, "userSourcedId", "пользователя", role.user, USERS.name)
                continue
            org = self.f.orgs.get(role.org)
            if org is None:
                if role.org:
                    self._missing(file, line, "orgSourcedId", "организации", role.org, ORGS.name)
                continue
            self._add(self.roles_of, role.user, role.role)
            if org.type == "school":
                self._touch(role.user, org.sid)
            if role.role != "teacher" and role.role not in ADMINISTRATOR_ROLES:
                if role.role not in {"student"} | PARENT_ROLES:
                    self.warnings.add(
                        file, line, "role", f"роль «{role.role}» журнал не хранит — она пропущена"
                    )
                continue
            if org.type != "school":
                self.warnings.add(
                    file, line, "orgSourcedId", "роль сотрудника вне школы журнал не хранит — она пропущена"
                )
                continue
            staff_role = StaffRole.TEACHER if role.role == "teacher" else StaffRole.ADMINISTRATOR
            if role.end is None:
                key = (role.user, org.sid, str(staff_role))
                first = open_staff.get(key)
                if first is not None:
                    self.error(
                        file,
                        line,
                        "endDate",
                        f"эта роль в этой школе уже открыта в строке {first}: закройте одну",
                    )
                    continue
                open_staff[key] = line
            if role.begin is not None:
                dated = (role.user, org.sid, str(staff_role), role.begin)
                first = dated_staff.get(dated)
                if first is not None:
                    self.error(
                        file, line, "beginDate", f"эта роль с той же датой начала уже задана в строке {first}"
                    )
                    continue
                dated_staff[dated] = line
            self.out.staff.append(StaffItem(role.user, org.sid, staff_role, role.begin, role.end))

    def _add(self, sets: dict[str, frozenset[str]], key: str, value: str) -> None:
        current = sets.get(key, frozenset())
        if value not in current:
            bigger = current | {value}
            sets[key] = self._sets.setdefault(bigger, bigger)

    def _touch(self, person: str, school: str) -> None:
        self._add(self.out.person_schools, person, school)

    # enrollments → enrolments, the registry, class teachers, subject teachers

    def _enrollments(self) -> None:
        open_by_school: dict[tuple[str, str], int] = {}
        teachers: dict[str, list[tuple[int, str, bool]]] = defaultdict(list)
        left: dict[tuple[str, str], _Enrollment] = {}
        enrolments: dict[str, EnrolmentItem] = {}
        for row in self.f.enrollments.values():
            file, line = ENROLLMENTS.name, row.line
            klass = self.f.classes.get(row.class_sid)
            ok = True
            if klass is None and row.class_sid:
                self._missing(file, line, "classSourcedId", "класса", row.class_sid, CLASSES.name)
                ok = False
            if row.user not in self.f.users and row.user:
                self._missing(file, line, "userSourcedId", "пользователя", row.user, USERS.name)
                ok = False
            if row.school and row.school not in self.f.orgs:
                self._missing(file, line, "schoolSourcedId", "организации", row.school, ORGS.name)
                ok = False
            elif klass is not None and row.school and row.school != klass.school:
                self.error(
                    file,
                    line,
                    "schoolSourcedId",
                    f"школа «{row.school}» не совпадает со школой класса «{klass.school}»",
                )
                ok = False
            if not ok or klass is None:
                continue
            self._touch(row.user, klass.school)
            if row.role == "teacher":
                teachers[row.class_sid].append((line, row.user, row.primary))
            elif row.role != "student":
                self.warnings.add(
                    file, line, "role", f"роль «{row.role}» в классе журнал не хранит — строка пропущена"
                )
            elif row.class_sid in self.homerooms:
                self.enrolled_students.add(row.user)
                homeroom = self.homerooms[row.class_sid]
                if row.end is None:
                    key = (row.user, klass.school)
                    first = open_by_school.get(key)
                    if first is not None:
                        self.error(
                            file,
                            line,
                            "endDate",
                            f"ученик уже учится в этой школе по строке {first}: в школе открыто только одно "
                            "зачисление — у другого укажите endDate",
                        )
                        continue
                    open_by_school[key] = line
                item = EnrolmentItem(
                    row.sid,
                    row.user,
                    row.class_sid,
                    klass.school,
                    row.begin or self.years[homeroom.year].starts_on,
                    row.end,
                    row.end_reason,
                )
                enrolments[row.sid] = item
                self.out.enrolments.append(item)
                if row.end_reason in {EndReason.GRADUATED, EndReason.EXPELLED} and row.end is not None:
                    pair = (row.user, row.class_sid)
                    earlier = left.get(pair)
                    if earlier is None or (earlier.end or row.end, earlier.line) < (row.end, line):
                        left[pair] = row
            else:
                self.enrolled_students.add(row.user)  # a subject class: the homeroom enrolment is what counts
        self._registry(left, enrolments)
        self._class_teachers(teachers)
        self._teaching(teachers)

    def _registry(
        self, left: dict[tuple[str, str], _Enrollment], enrolments: dict[str, EnrolmentItem]
    ) -> None:
        for (student, class_sid), row in left.items():
            restored_by = row.restored_by
            if restored_by:
                restore = enrolments.get(restored_by)
                if restore is None or restore.student != student:
                    self.error(
                        ENROLLMENTS.name,
                        row.line,
                        META_RESTORED_BY,
                        f"нет зачисления «{restored_by}» этого ученика в {ENROLLMENTS.name}",
                    )
                    continue
            assert row.end is not None
            reason = (
                RegistryReason.GRADUATED if row.end_reason == EndReason.GRADUATED else RegistryReason.EXPELLED
            )
            school = self.f.classes[class_sid].school
            self.out.registry.append(RegistryItem(student, class_sid, school, reason, row.end, restored_by))

    def _class_teachers(self, teachers: dict[str, list[tuple[int, str, bool]]]) -> None:
        for class_sid, homeroom in self.homerooms.items():
            rows = teachers.get(class_sid, [])
            primary: dict[str, int] = {}
            for line, user, is_primary in rows:
                if is_primary and user not in primary:
                    if primary:
                        first = next(iter(primary.values()))
                        self.error(
                            ENROLLMENTS.name,
                            line,
                            "primary",
                            f"у класса уже есть классный руководитель (основной учитель) в строке {first}",
                        )
                    primary[user] = line
            candidates = list(primary) or list(dict.fromkeys(user for _, user, _ in rows))
            if len(candidates) == 1:
                homeroom.teacher = candidates[0]
            elif len(candidates) > 1:
                self.warnings.add(
                    ENROLLMENTS.name,
                    rows[0][0],
                    "primary",
                    "у класса несколько учителей и ни один не отмечен primary=true — "
                    "классный руководитель не назначен",
                )
            self.out.classes.append(homeroom)

    def _teaching(self, teachers: dict[str, list[tuple[int, str, bool]]]) -> None:
        taken: dict[tuple[str, str], tuple[str, int]] = {}
        for class_sid, (homeroom, subject) in self.scheduled.items():
            klass = self.f.classes[class_sid]
            rows = sorted(teachers.get(class_sid, []), key=lambda row: (not row[2], row[0]))
            if not rows:
                self.warnings.add(
                    CLASSES.name,
                    klass.line,
                    None,
                    "у предметного класса нет учителя — преподавание не записано",
                )
                continue
            teacher = rows[0][1]
            if len({user for _, user, _ in rows}) > 1:
                self.warnings.add(
                    ENROLLMENTS.name,
                    rows[1][0],
                    "userSourcedId",
                    "у предметного класса несколько учителей — журнал записывает одного, основного (primary)",
                )
            key = (homeroom.sid, subject)
            first = taken.get(key)
            if first is not None:
                if first[0] != teacher:
                    self.warnings.add(
                        CLASSES.name,
                        klass.line,
                        "courseSourcedId",
                        f"предмет в этом классе уже задан в строке {first[1]} — журнал хранит одного учителя "
                        "на предмет в классе",
                    )
                continue
            taken[key] = (teacher, klass.line)
            self.out.teaching.append(TeachingItem(class_sid, homeroom.sid, homeroom.school, subject, teacher))

    # agentSourcedIds → guardianship

    def _guardianships(self) -> None:
        users = self.f.users

        def is_student(sid: str) -> bool:
            return "student" in self.roles_of.get(sid, ()) or sid in self.enrolled_students

        def is_parent(sid: str) -> bool:
            return bool(self.roles_of.get(sid, frozenset()) & PARENT_ROLES)

        pairs: dict[tuple[str, str], None] = {}
        for user in users.values():
            for agent in user.agents:
                if agent not in users:
                    self._missing(USERS.name, user.line, "agentSourcedIds", "пользователя", agent, USERS.name)
                    continue
                if agent == user.sid:
                    self.error(
                        USERS.name,
                        user.line,
                        "agentSourcedIds",
                        "пользователь указан в своих же agentSourcedIds",
                    )
                    continue
                forward = is_parent(user.sid) and is_student(agent)
                backward = is_student(user.sid) and is_parent(agent)
                if forward and backward:
                    self.error(
                        USERS.name,
                        user.line,
                        "agentSourcedIds",
                        f"не понять, кто родитель: и «{user.sid}», и «{agent}» — и ученики, и родители",
                    )
                elif forward or backward:
                    pairs[(user.sid, agent) if forward else (agent, user.sid)] = None
                else:
                    self.error(
                        USERS.name,
                        user.line,
                        "agentSourcedIds",
                        f"связь с «{agent}» возможна только между учеником (роль student) и родителем или "
                        "законным представителем (роль parent, guardian или relative в roles.csv)",
                    )
        for guardian, student in pairs:
            roles = self.roles_of.get(guardian, frozenset())
            legal = "guardian" in roles and not roles & {"parent", "relative"}
            kind = GuardianKind.LEGAL if legal else GuardianKind.PARENT
            self.out.guardianships.append(GuardianshipItem(guardian, student, kind))
            for school in self.out.person_schools.get(student, ()):
                self._touch(guardian, school)
