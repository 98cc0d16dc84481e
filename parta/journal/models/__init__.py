from parta.journal.models.classes import (
    Cohort,
    EndReason,
    Enrolment,
    RegistryEntry,
    RegistryReason,
    RegistryStatus,
    SchoolClass,
    Subject,
    TeachingAssignment,
)
from parta.journal.models.lessons import Lesson
from parta.journal.models.orgs import AcademicYear, Region, School, new_sourced_id
from parta.journal.models.outbox import OutboxEvent
from parta.journal.models.people import (
    Account,
    Gender,
    GuardianKind,
    Guardianship,
    LoginThrottle,
    Person,
    StaffAssignment,
    StaffRole,
)

__all__ = [
    "AcademicYear",
    "Account",
    "Cohort",
    "EndReason",
    "Enrolment",
    "Gender",
    "GuardianKind",
    "Guardianship",
    "Lesson",
    "LoginThrottle",
    "OutboxEvent",
    "Person",
    "Region",
    "RegistryEntry",
    "RegistryReason",
    "RegistryStatus",
    "School",
    "SchoolClass",
    "StaffAssignment",
    "StaffRole",
    "Subject",
    "TeachingAssignment",
    "new_sourced_id",
]
