"""The OneRoster 1.2 CSV binding as far as the journal uses it: file names, columns, enumerations.

Every table starts with ``sourcedId,status,dateLastModified``. The export writes every column of the 1.2
binding in the binding's order; the import accepts the columns in any order, requires the ones listed
as required, ignores ``metadata.*`` extension columns it does not know and refuses any other column.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

ONEROSTER_VERSION = "1.2"
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("propertyName", "value")

# Extension columns the journal writes and reads (the binding allows ``metadata.*`` columns at the end).
META_SHORT_NAME = "metadata.parta.shortName"
META_FINAL_GRADE = "metadata.parta.finalGrade"
META_COHORT = "metadata.parta.cohortSourcedId"
META_END_REASON = "metadata.parta.endReason"
META_RESTORED_BY = "metadata.parta.restoredBy"


@dataclass(frozen=True)
class TableSpec:
    name: str  # "users.csv"
    columns: tuple[str, ...]  # every column of the 1.2 binding, in its order
    optional: frozenset[str] = frozenset()  # columns an imported file may leave out
    extensions: tuple[str, ...] = ()  # the journal's metadata.parta.* columns

    @property
    def key(self) -> str:
        """The manifest's name for the file: ``file.users``."""
        return "file." + self.name.removesuffix(".csv")

    @property
    def export_columns(self) -> tuple[str, ...]:
        return self.columns + self.extensions

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column for column in self.columns if column not in self.optional)


_BASE = ("sourcedId", "status", "dateLastModified")

ORGS = TableSpec(
    "orgs.csv",
    (*_BASE, "name", "type", "identifier", "parentSourcedId"),
    extensions=(META_SHORT_NAME, META_FINAL_GRADE),
)
ACADEMIC_SESSIONS = TableSpec(
    "academicSessions.csv",
    (*_BASE, "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"),
)
COURSES = TableSpec(
    "courses.csv",
    (
        *_BASE,
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ),
)
CLASSES = TableSpec(
    "classes.csv",
    (
        *_BASE,
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ),
    extensions=(META_COHORT,),
)
_USERS_12 = (
    "password",
    "userMasterIdentifier",
    "resourceSourcedIds",
    "preferredGivenName",
    "preferredMiddleName",
    "preferredFamilyName",
    "primaryOrgSourcedId",
    "pronouns",
)
USERS = TableSpec(
    "users.csv",
    (
        *_BASE,
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        *_USERS_12,
    ),
    optional=frozenset(_USERS_12),
)
ROLES = TableSpec(
    "roles.csv",
    (
        *_BASE,
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ),
    optional=frozenset({"userProfileSourcedId"}),
)
ENROLLMENTS = TableSpec(
    "enrollments.csv",
    (
        *_BASE,
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),
    extensions=(META_END_REASON, META_RESTORED_BY),
)
_DEMOGRAPHICS_REST = (
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
)
DEMOGRAPHICS = TableSpec(
    "demographics.csv",
    (*_BASE, "birthDate", "sex", *_DEMOGRAPHICS_REST),
    optional=frozenset(_DEMOGRAPHICS_REST),
)

# The tables the journal reads, in the order they are read. All but demographics are required.
TABLES = (ORGS, ACADEMIC_SESSIONS, COURSES, CLASSES, USERS, ROLES, ENROLLMENTS, DEMOGRAPHICS)
OPTIONAL_TABLES = frozenset({DEMOGRAPHICS.name})

# Every file a 1.2 manifest may name (``file.<name>``); the journal writes "absent" for the rest.
MANIFEST_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
)

ORG_TYPES = frozenset({"department", "district", "local", "national", "school", "state"})
SESSION_TYPES = frozenset({"gradingPeriod", "semester", "schoolYear", "term"})
CLASS_TYPES = frozenset({"homeroom", "scheduled"})
USER_ROLES = frozenset(
    {
        "administrator",
        "aide",
        "counselor",
        "districtAdministrator",
        "guardian",
        "parent",
        "principal",
        "proctor",
        "relative",
        "siteAdministrator",
        "student",
        "systemAdministrator",
        "teacher",
    }
)
ADMINISTRATOR_ROLES = frozenset(
    {"administrator", "districtAdministrator", "principal", "siteAdministrator", "systemAdministrator"}
)
PARENT_ROLES = frozenset({"parent", "guardian", "relative"})
ENROLLMENT_ROLES = frozenset({"administrator", "aide", "proctor", "student", "teacher"})
ROLE_TYPES = frozenset({"primary", "secondary"})
SEXES = frozenset({"male", "female", "other", "unspecified"})

HOMEROOM_COURSE_TITLE = "Классный коллектив"
HOMEROOM_COURSE_CODE = "homeroom"

# Ids the journal does not store (roles, homeroom courses, teacher enrollments) are derived from the
# ids it does store, so an export of the same journal always writes the same ids.
_NAMESPACE = uuid.UUID("5b0f6c1e-2f57-4d8c-9a57-70a27a9b1c3e")


def derived_id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(str(part) for part in parts)))


def grade_code(grade: int) -> str:
    """The CEDS grade code the binding uses: 5 → ``05``."""
    return f"{grade:02d}"
