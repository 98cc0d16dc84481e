"""What an import will write, resolved and checked, keyed by sourcedIds: the bridge from the files to the
database. Building it needs no database; writing it (``writer.py``) matches it against the journal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(slots=True)
class RegionItem:
    sid: str
    name: str


@dataclass(slots=True)
class SchoolItem:
    sid: str
    region: str
    name: str
    identifier: str
    short_name: str | None  # None: the file does not say, keep what the journal has
    final_grade: int | None


@dataclass(slots=True)
class YearItem:
    sid: str
    start_year: int
    starts_on: dt.date
    ends_on: dt.date


@dataclass(slots=True)
class SubjectItem:
    """One subject: every subject course of the files with this title (courses are often per school)."""

    name: str
    code: str
    course_sids: list[str]
    line: int  # the first course's line in courses.csv


@dataclass(slots=True)
class PersonItem:
    sid: str
    line: int
    last_name: str
    first_name: str
    middle_name: str
    email: str
    phone: str
    birth_date: dt.date | None = None
    gender: str | None = None  # None: no demographics row, keep what the journal has


@dataclass(slots=True)
class AccountItem:
    person: str
    line: int
    username: str
    is_active: bool
    password: str  # empty: an unusable password (only when the account is created)


@dataclass(slots=True)
class ClassItem:
    sid: str
    school: str
    year: str
    grade: int
    letter: str
    entry_year: int
    cohort_sid: str
    teacher: str | None


@dataclass(slots=True)
class TeachingItem:
    sid: str
    school_class: str
    school: str
    subject: str  # SubjectItem.name
    teacher: str


@dataclass(slots=True)
class EnrolmentItem:
    sid: str
    student: str
    school_class: str
    school: str
    begins_on: dt.date
    ends_on: dt.date | None
    end_reason: str | None  # None: the file does not say, keep what the journal has


@dataclass(slots=True)
class RegistryItem:
    student: str
    school_class: str
    school: str
    reason: str
    left_on: dt.date
    restored_by: str  # sourcedId of the enrolment that restored the student, or ""


@dataclass(slots=True)
class StaffItem:
    person: str
    school: str
    role: str
    begins_on: dt.date | None
    ends_on: dt.date | None


@dataclass(slots=True)
class GuardianshipItem:
    guardian: str
    student: str
    kind: str


@dataclass
class Plan:
    rows_by_file: dict[str, int] = field(default_factory=dict)
    regions: list[RegionItem] = field(default_factory=list)
    schools: list[SchoolItem] = field(default_factory=list)
    years: list[YearItem] = field(default_factory=list)
    subjects: list[SubjectItem] = field(default_factory=list)
    people: list[PersonItem] = field(default_factory=list)
    accounts: list[AccountItem] = field(default_factory=list)
    classes: list[ClassItem] = field(default_factory=list)
    teaching: list[TeachingItem] = field(default_factory=list)
    enrolments: list[EnrolmentItem] = field(default_factory=list)
    registry: list[RegistryItem] = field(default_factory=list)
    staff: list[StaffItem] = field(default_factory=list)
    guardianships: list[GuardianshipItem] = field(default_factory=list)
    person_schools: dict[str, frozenset[str]] = field(
        default_factory=dict
    )  # whose change touches which school
