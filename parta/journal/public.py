"""What the rest of the journal side (the integration) may use of the journal.

Plain functions and frozen dataclasses only. The integration registers itself as a partner service of
the journal here; the journal's pages («Партнеры», «Внешние аккаунты», the chats icon in the header)
show what the registered partners say.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from django.db.models import QuerySet


@dataclass(frozen=True)
class PartnerStatus:
    connected: bool
    external_id: str = ""
    external_label: str = ""  # e.g. the masked phone of the linked profile
    connect_url: str = ""
    manage_url: str = ""
    unlink_url: str = ""


class PartnerService(Protocol):
    """A service the journal account can be connected to, e.g. the «Сферум» integration."""

    key: str
    name: str
    description: str

    def status(self, *, account_id: int) -> PartnerStatus: ...

    def chats_url(self, *, account_id: int) -> str: ...


_partners: dict[str, PartnerService] = {}


def partner_register(*, partner: PartnerService) -> None:
    """Called by a plugin's ``AppConfig.ready``; registering the same key again replaces it."""
    _partners[partner.key] = partner


def partner_unregister(*, key: str) -> None:
    _partners.pop(key, None)


def partners() -> list[PartnerService]:
    return list(_partners.values())


@dataclass(frozen=True)
class RosterEvent:
    """One roster change from the journal's outbox (see ``parta/journal/models/outbox.py``)."""

    id: int
    kind: str
    school_id: int | None
    payload: dict[str, object]


def roster_events_after(*, after_id: int, limit: int = 1000) -> list[RosterEvent]:
    """Roster changes with an id greater than ``after_id``, oldest first.

    A consumer keeps the last id it has handled. Ids of committed rows may appear out of order for a
    moment while concurrent transactions commit, so a consumer should re-read a little behind its
    cursor and act idempotently (it reconciles whole schools, so a repeat changes nothing).
    """
    from parta.journal.models import OutboxEvent

    rows = OutboxEvent.objects.filter(pk__gt=after_id).order_by("pk")[:limit]
    return [
        RosterEvent(id=row.pk, kind=row.kind, school_id=row.school_id, payload=dict(row.payload))
        for row in rows
    ]


# --- accounts, as the integration needs them for linking -----------------------------------------------


@dataclass(frozen=True)
class PersonInfo:
    """A person as the integration compares it with an educational profile."""

    id: int
    last_name: str
    first_name: str
    middle_name: str
    birth_date: dt.date | None
    phone: str = ""  # +79XXXXXXXXX as the school entered it, or empty

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)


@dataclass(frozen=True)
class AccountRole:
    """One role of a journal account at one school: ``role`` is teacher|administrator|parent|student."""

    role: str
    label: str
    school_ref: str  # the school's sourcedId, the organization's ref on the platform
    school_name: str


@dataclass(frozen=True)
class AccountInfo:
    id: int
    username: str
    person: PersonInfo | None
    roles: tuple[AccountRole, ...]
    wards: tuple[PersonInfo, ...]  # the children (and other wards) of a parent
    guardians: tuple[PersonInfo, ...]  # the parents of a student

    @property
    def display_name(self) -> str:
        return self.person.full_name if self.person else self.username


def _person_info(person: Any) -> PersonInfo:
    return PersonInfo(
        id=person.pk,
        last_name=person.last_name,
        first_name=person.first_name,
        middle_name=person.middle_name,
        birth_date=person.birth_date,
        phone=person.phone,
    )


def _teaching_schools(person_id: int) -> list[Any]:
    """The schools where the person is a class teacher or teaches a subject in a class this year."""
    from django.db.models import Q

    from parta.journal.models import AcademicYear, School, SchoolClass, TeachingAssignment

    year = AcademicYear.objects.filter(is_current=True).values_list("pk", flat=True).first()
    if year is None:
        return []
    homerooms = SchoolClass.objects.filter(class_teacher_id=person_id, year_id=year).values("school_id")
    subjects = TeachingAssignment.objects.filter(teacher_id=person_id, school_class__year_id=year).values(
        "school_class__school_id"
    )
    return list(
        School.objects.filter(Q(pk__in=homerooms) | Q(pk__in=subjects)).order_by("name", "pk").distinct()
    )


def account_info(*, account_id: int) -> AccountInfo | None:
    """The account's person, its roles with their schools (current year), its wards and guardians."""
    from parta.journal import queries
    from parta.journal.models import Account, Guardianship, Person, StaffAssignment

    account = Account.objects.filter(pk=account_id, is_active=True).select_related("person").first()
    if account is None:
        return None
    person = account.person
    roles: list[AccountRole] = []
    wards: tuple[PersonInfo, ...] = ()
    guardians: tuple[PersonInfo, ...] = ()
    if person is not None:
        role_keys = queries.account_roles(account)
        staff = list(
            StaffAssignment.objects.filter(person_id=person.pk, ends_on__isnull=True)
            .select_related("school")
            .order_by("school__name", "pk")
        )
        # Teaching this year — a class's class teacher or a subject in a class — is a teacher role in
        # that school, with or without a staff assignment there (the chats count them as teachers).
        teaching = _teaching_schools(person.pk)
        if teaching and queries.ROLE_TEACHER not in role_keys:
            role_keys = [queries.ROLE_TEACHER, *role_keys]
        for key in role_keys:
            schools: list[Any] = []
            if key in queries.STAFF_ROLES:
                schools = [a.school for a in staff if a.role == key]
                if key == queries.ROLE_TEACHER:
                    schools += teaching
            elif key == queries.ROLE_STUDENT:
                school_class = queries.current_class_of(person.pk)
                schools = [school_class.school] if school_class else []
            elif key == queries.ROLE_PARENT:
                for child in queries.children_of(person.pk):
                    school_class = queries.current_class_of(child.pk)
                    if school_class is not None:
                        schools.append(school_class.school)
            seen: set[int] = set()
            for school in schools:
                if school.pk not in seen:
                    seen.add(school.pk)
                    roles.append(
                        AccountRole(
                            role=key,
                            label=queries.ROLE_LABELS[key],
                            school_ref=school.sourced_id,
                            school_name=school.name,
                        )
                    )
        wards = tuple(_person_info(p) for p in queries.children_of(person.pk))
        guardians = tuple(
            _person_info(p)
            for p in Person.objects.filter(
                pk__in=Guardianship.objects.filter(student_id=person.pk).values("guardian_id")
            ).order_by("pk")
        )
    return AccountInfo(
        id=account.pk,
        username=account.username,
        person=_person_info(person) if person is not None else None,
        roles=tuple(roles),
        wards=wards,
        guardians=guardians,
    )


def account_active_role(*, session: Any, account_id: int) -> str | None:
    """The role chosen in the header's switcher (kept in the session), or the account's first role."""
    from parta.journal import queries
    from parta.journal.models import Account

    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return None
    roles = queries.account_roles(account)
    chosen = session.get("journal_role")
    return str(chosen) if chosen in roles else (roles[0] if roles else None)


# --- chats: the desired state of a school's chats (the integration's roster → chats sync) --------------


# The chats' rows are named tuples: a region builds millions of them, and a frozen dataclass costs about
# twice as much to make.
class ChatClass(NamedTuple):
    """A class of the current year as its chats need it. ``cohort_ref`` is stable across years (5А → 6А)."""

    id: int
    cohort_ref: str
    title: str  # «5А»
    class_teacher_person_id: int | None
    class_teacher_account_id: int | None  # only an active account


class ChatPerson(NamedTuple):
    """A person with an active journal account in a role of one class (or of the school for staff)."""

    class_id: int | None  # None for staff
    person_id: int
    account_id: int


class ChatTeaching(NamedTuple):
    class_id: int
    subject_ref: str
    subject_name: str
    teacher_person_id: int
    teacher_account_id: int | None


@dataclass(frozen=True)
class SchoolRoster:
    """Everything the chats of one school are made of, read set-wise (a fixed number of queries)."""

    school_id: int
    school_ref: str  # sourcedId, the organization's ref on the platform
    school_name: str
    year: int | None  # start year of the current school year
    year_ref: str  # its sourcedId
    classes: tuple[ChatClass, ...]
    staff: tuple[ChatPerson, ...]
    students: tuple[ChatPerson, ...]
    guardians: tuple[ChatPerson, ...]  # class_id = the class of the ward
    teaching: tuple[ChatTeaching, ...]


@dataclass(frozen=True)
class SchoolRef:
    id: int
    ref: str
    name: str


def schools_all() -> list[SchoolRef]:
    """Every school of the journal, by id."""
    from parta.journal.models import School

    return [
        SchoolRef(id=pk, ref=ref, name=name)
        for pk, ref, name in School.objects.order_by("pk").values_list("pk", "sourced_id", "name")
    ]


def school_ids_by_ref(*, refs: list[str]) -> dict[str, int]:
    from parta.journal.models import School

    return dict(School.objects.filter(sourced_id__in=refs).values_list("sourced_id", "pk"))


def _chat_classes(classes: QuerySet[Any]) -> tuple[ChatClass, ...]:
    """These classes (a queryset of SchoolClass) as the chats see them, with their class teacher."""
    return tuple(
        ChatClass(
            id=pk,
            cohort_ref=cohort_ref,
            title=f"{grade}{letter}",
            class_teacher_person_id=teacher_id,
            class_teacher_account_id=account_id if active else None,
        )
        for pk, cohort_ref, grade, letter, teacher_id, account_id, active in classes.order_by(
            "grade", "letter"
        ).values_list(
            "pk",
            "cohort__sourced_id",
            "grade",
            "letter",
            "class_teacher_id",
            "class_teacher__account__id",
            "class_teacher__account__is_active",
        )
    )


def _chat_teaching(assignments: QuerySet[Any]) -> tuple[ChatTeaching, ...]:
    """These teaching assignments (a queryset of TeachingAssignment) as the subject chats see them."""
    return tuple(
        ChatTeaching(
            class_id=class_id,
            subject_ref=subject_ref,
            subject_name=subject_name,
            teacher_person_id=teacher_id,
            teacher_account_id=account_id if active else None,
        )
        for class_id, subject_ref, subject_name, teacher_id, account_id, active in assignments.values_list(
            "school_class_id",
            "subject__sourced_id",
            "subject__name",
            "teacher_id",
            "teacher__account__id",
            "teacher__account__is_active",
        )
    )


# The roster's people in hand-written SQL: from an enrolment, a guardianship or a staff assignment straight to
# the person's account by ``account.person_id``. The ORM's way goes through the person table for each row
# (a reverse one-to-one cannot skip it), and a region has millions of persons. Only active accounts: the
# chats are made of linked accounts. No DISTINCT: a parent of twins in one class comes twice and is one
# member of the chat all the same. The same SQL on SQLite and PostgreSQL.
_STUDENTS_SQL = """
    SELECT e.school_class_id, e.student_id, a.id
    FROM journal_enrolment e
    JOIN journal_schoolclass c ON c.id = e.school_class_id
    JOIN journal_account a ON a.person_id = e.student_id
    WHERE c.school_id = %s AND c.year_id = %s AND e.ends_on IS NULL AND a.is_active
"""
_GUARDIANS_SQL = """
    SELECT e.school_class_id, g.guardian_id, a.id
    FROM journal_enrolment e
    JOIN journal_schoolclass c ON c.id = e.school_class_id
    JOIN journal_guardianship g ON g.student_id = e.student_id
    JOIN journal_account a ON a.person_id = g.guardian_id
    WHERE c.school_id = %s AND c.year_id = %s AND e.ends_on IS NULL AND a.is_active
"""
_STAFF_SQL = """
    SELECT DISTINCT s.person_id, a.id
    FROM journal_staffassignment s
    JOIN journal_account a ON a.person_id = s.person_id
    WHERE s.school_id = %s AND s.ends_on IS NULL AND a.is_active
"""


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _chat_people(sql: str, params: list[Any]) -> tuple[ChatPerson, ...]:
    return tuple(map(ChatPerson._make, _rows(sql, params)))


def school_roster(*, school_id: int) -> SchoolRoster | None:
    """The people of one school's chats in the current school year: six queries whatever its size.

    Only people with an **active** journal account are listed: the chats are made of linked accounts.
    """
    from parta.journal.models import (
        AcademicYear,
        School,
        SchoolClass,
        TeachingAssignment,
    )

    school = School.objects.filter(pk=school_id).values("pk", "sourced_id", "name").first()
    if school is None:
        return None
    year = AcademicYear.objects.filter(is_current=True).values("pk", "start_year", "sourced_id").first()
    staff = tuple(
        ChatPerson(None, person_id, account_id) for person_id, account_id in _rows(_STAFF_SQL, [school_id])
    )
    if year is None:
        return SchoolRoster(school_id, school["sourced_id"], school["name"], None, "", (), staff, (), (), ())
    classes = _chat_classes(SchoolClass.objects.filter(school_id=school_id, year_id=year["pk"]))
    students = _chat_people(_STUDENTS_SQL, [school_id, year["pk"]])
    guardians = _chat_people(_GUARDIANS_SQL, [school_id, year["pk"]])
    teaching = _chat_teaching(
        TeachingAssignment.objects.filter(school_class__school_id=school_id, school_class__year_id=year["pk"])
    )
    return SchoolRoster(
        school_id=school_id,
        school_ref=school["sourced_id"],
        school_name=school["name"],
        year=year["start_year"],
        year_ref=year["sourced_id"],
        classes=classes,
        staff=staff,
        students=students,
        guardians=guardians,
        teaching=teaching,
    )


def roster_leave_reasons(*, school_id: int, person_ids: list[int]) -> dict[int, str]:
    """Why people are no longer in a school's roster, as far as the journal knows: per person the
    latest ``end_reason`` of their enrolments in the school (``expelled``, ``graduated``,
    ``restore_cancelled``, ``transferred``, ``promoted``) or ``staff_left`` for staff who left; a parent
    gets the reason of their ward who left most recently. People with nothing to say are missing."""
    from parta.journal.models import Enrolment, Guardianship, StaffAssignment

    reasons: dict[int, str] = {}
    ids = list(person_ids)
    for person_id, reason in (
        Enrolment.objects.filter(
            student_id__any=ids, school_class__school_id=school_id, ends_on__isnull=False
        )
        .order_by("ends_on", "pk")
        .values_list("student_id", "end_reason")
    ):
        reasons[person_id] = reason
    for person_id in StaffAssignment.objects.filter(
        person_id__any=ids, school_id=school_id, ends_on__isnull=False
    ).values_list("person_id", flat=True):
        reasons.setdefault(person_id, "staff_left")
    missing = [pid for pid in ids if pid not in reasons]
    if missing:
        # the wards first, then their closed enrolments: two lookups by index, no join through the
        # person table for each row (a region has millions of persons)
        guardians_of: defaultdict[int, list[int]] = defaultdict(list)
        for guardian_id, student_id in Guardianship.objects.filter(guardian_id__any=missing).values_list(
            "guardian_id", "student_id"
        ):
            guardians_of[student_id].append(guardian_id)
        for student_id, reason in (
            Enrolment.objects.filter(
                student_id__any=sorted(guardians_of), school_class__school_id=school_id, ends_on__isnull=False
            )
            .order_by("ends_on", "pk")
            .values_list("student_id", "end_reason")
            if guardians_of
            else ()
        ):
            for guardian_id in guardians_of[student_id]:
                reasons[guardian_id] = reason
    return reasons


def roster_restored(*, school_id: int, person_ids: list[int]) -> set[int]:
    """Of these people, the students whose open enrolment in the school came from «Восстановить», and the
    guardians of such students."""
    from parta.journal.models import Guardianship, RegistryEntry, RegistryStatus

    restored = set(
        RegistryEntry.objects.filter(
            school_id=school_id,
            status=RegistryStatus.RESTORED,
            restore_enrolment__ends_on__isnull=True,
            restore_enrolment__isnull=False,
        ).values_list("student_id", flat=True)
    )
    wanted = set(person_ids)
    guardians = set(
        Guardianship.objects.filter(
            student_id__any=list(restored), guardian_id__any=list(wanted)
        ).values_list("guardian_id", flat=True)
    )
    return (restored & wanted) | guardians


def roster_events_subscribe(*, callback: Any, key: str) -> None:
    """Call ``callback(event)`` with a :class:`RosterEvent` whenever an outbox row is written (inside the
    writer's transaction: use ``transaction.on_commit`` for work that must see the commit). Subscribing the
    same ``key`` again replaces nothing and adds nothing."""
    from django.db.models.signals import post_save

    from parta.journal.models import OutboxEvent

    def receiver(sender: Any, instance: Any, created: bool, **_: Any) -> None:
        if created:
            callback(
                RosterEvent(
                    id=instance.pk,
                    kind=instance.kind,
                    school_id=instance.school_id,
                    payload=dict(instance.payload),
                )
            )

    post_save.connect(receiver, sender=OutboxEvent, dispatch_uid=f"roster-events:{key}", weak=False)


# --- the new school year, as the integration's «Сферум» section tells it ---------------------------------


@dataclass(frozen=True)
class YearMove:
    """The current school year into which the rollover moved the account's person (or a child)."""

    year_ref: str  # the year's sourcedId
    year_title: str  # «2027/2028»


def account_year_move(*, account_id: int) -> YearMove | None:
    """The current year, if the rollover promoted the account's student (or one of a parent's children)
    with the class into it (an enrolment ended ``promoted`` in the previous year and one is open now);
    else ``None``. Graduates, newcomers and teachers were not moved."""
    from parta.journal import queries
    from parta.journal.models import AcademicYear, Account, EndReason, Enrolment

    account = Account.objects.filter(pk=account_id).first()
    current = AcademicYear.objects.filter(is_current=True).first()
    if account is None or account.person_id is None or current is None:
        return None
    people = [account.person_id, *(child.pk for child in queries.children_of(account.person_id))]
    moved = Enrolment.objects.filter(
        student_id__in=people,
        end_reason=EndReason.PROMOTED,
        school_class__year__start_year=current.start_year - 1,
        student__enrolments__ends_on__isnull=True,
        student__enrolments__school_class__year=current,
    ).exists()
    return YearMove(year_ref=current.sourced_id, year_title=current.title) if moved else None


def account_names(*, account_ids: list[int]) -> dict[int, str]:
    """Account id → the person's short name («Петров П. С.») or the login, for plans and histories."""
    from parta.journal.models import Account

    names: dict[int, str] = {}
    for pk, username, last, first, middle in Account.objects.filter(pk__in=list(account_ids)).values_list(
        "pk", "username", "person__last_name", "person__first_name", "person__middle_name"
    ):
        initials = " ".join(f"{part[0]}." for part in (first, middle) if part)
        names[pk] = f"{last} {initials}".strip() if last else username
    return names


# --- the sync's fast paths: one account's roster, the roster's versions, online lessons (issue 6) -------


def account_roster(*, school_id: int, account_id: int) -> SchoolRoster | None:
    """The part of :func:`school_roster` that concerns one account: its person's rows (staff, student,
    guardian) and the classes of those rows and of its class-teacher and teaching roles, each with its
    class teacher and teaching. A few indexed queries, whatever the size of the school and the region;
    an inactive account has no rows. ``None`` when the school does not exist."""
    from parta.journal.models import (
        AcademicYear,
        Account,
        Enrolment,
        Guardianship,
        School,
        SchoolClass,
        StaffAssignment,
        TeachingAssignment,
    )

    school = School.objects.filter(pk=school_id).values("pk", "sourced_id", "name").first()
    if school is None:
        return None
    account = Account.objects.filter(pk=account_id).values("person_id", "is_active").first()
    year = AcademicYear.objects.filter(is_current=True).values("pk", "start_year", "sourced_id").first()
    empty = SchoolRoster(
        school_id, school["sourced_id"], school["name"], year["start_year"] if year else None,
        year["sourced_id"] if year else "", (), (), (), (), (),
    )  # fmt: skip
    if account is None or not account["is_active"] or account["person_id"] is None:
        return empty
    person_id = int(account["person_id"])
    staff = tuple(
        ChatPerson(class_id=None, person_id=person_id, account_id=account_id)
        for _ in StaffAssignment.objects.filter(
            school_id=school_id, person_id=person_id, ends_on__isnull=True
        ).values_list("pk")[:1]
    )
    if year is None:
        return SchoolRoster(school_id, school["sourced_id"], school["name"], None, "", (), staff, (), (), ())
    in_school = {"school_class__school_id": school_id, "school_class__year_id": year["pk"]}
    students = tuple(
        ChatPerson(class_id=class_id, person_id=person_id, account_id=account_id)
        for class_id in Enrolment.objects.filter(
            student_id=person_id, ends_on__isnull=True, **in_school
        ).values_list("school_class_id", flat=True)
    )
    wards = Guardianship.objects.filter(guardian_id=person_id).values_list("student_id", flat=True)
    guardians = tuple(
        ChatPerson(class_id=class_id, person_id=person_id, account_id=account_id)
        for class_id in Enrolment.objects.filter(student_id__in=wards, ends_on__isnull=True, **in_school)
        .values_list("school_class_id", flat=True)
        .distinct()
    )
    class_ids = {p.class_id for p in (*students, *guardians) if p.class_id is not None}
    class_ids |= set(
        SchoolClass.objects.filter(
            school_id=school_id, year_id=year["pk"], class_teacher_id=person_id
        ).values_list("pk", flat=True)
    )
    class_ids |= set(
        TeachingAssignment.objects.filter(teacher_id=person_id, **in_school).values_list(
            "school_class_id", flat=True
        )
    )
    classes = _chat_classes(SchoolClass.objects.filter(pk__in=sorted(class_ids)))
    teaching = _chat_teaching(TeachingAssignment.objects.filter(school_class_id__in=sorted(class_ids)))
    return SchoolRoster(
        school_id=school_id,
        school_ref=school["sourced_id"],
        school_name=school["name"],
        year=year["start_year"],
        year_ref=year["sourced_id"],
        classes=classes,
        staff=staff,
        students=students,
        guardians=guardians,
        teaching=teaching,
    )


def roster_versions() -> tuple[dict[int, int], int]:
    """The outbox's newest event id per school and the newest region-wide one (no school): one
    aggregate query. A school whose number has not grown since a run had no roster change since."""
    from django.db.models import Max

    from parta.journal.models import OutboxEvent

    per_school: dict[int, int] = {}
    region = 0
    for school_id, newest in OutboxEvent.objects.order_by().values_list("school_id").annotate(Max("pk")):
        if school_id is None:
            region = int(newest)
        else:
            per_school[int(school_id)] = int(newest)
    return per_school, region


@dataclass(frozen=True)
class OnlineLesson:
    """A lesson marked «онлайн-урок» in the current year, as its conference needs it."""

    id: int
    ref: str  # the lesson's sourcedId
    class_id: int
    cohort_ref: str
    class_title: str  # «5А»
    subject_name: str
    teacher_account_id: int | None  # only an active account
    starts_at: dt.datetime  # aware, in the journal's time zone
    ends_at: dt.datetime


def school_online_lessons(*, school_id: int, since: dt.date) -> list[OnlineLesson]:
    """The school's online lessons of the current year on ``since`` and later, in one query."""
    from django.utils import timezone

    from parta.journal.models import AcademicYear, Lesson

    year = AcademicYear.objects.filter(is_current=True).values_list("pk", flat=True).first()
    if year is None:
        return []
    zone = timezone.get_default_timezone()
    rows = (
        Lesson.objects.filter(
            school_class__school_id=school_id, school_class__year_id=year, online=True, date__gte=since
        )
        .order_by("date", "number", "pk")
        .values_list(
            "pk",
            "sourced_id",
            "school_class_id",
            "school_class__cohort__sourced_id",
            "school_class__grade",
            "school_class__letter",
            "subject__name",
            "teacher__account__id",
            "teacher__account__is_active",
            "date",
            "starts_at",
            "ends_at",
        )
    )
    return [
        OnlineLesson(
            id=pk,
            ref=ref,
            class_id=class_id,
            cohort_ref=cohort_ref,
            class_title=f"{grade}{letter}",
            subject_name=subject,
            teacher_account_id=teacher_account if active else None,
            starts_at=dt.datetime.combine(day, start, tzinfo=zone),
            ends_at=dt.datetime.combine(day, end, tzinfo=zone),
        )
        for (
            pk,
            ref,
            class_id,
            cohort_ref,
            grade,
            letter,
            subject,
            teacher_account,
            active,
            day,
            start,
            end,
        ) in rows
    ]


def lessons_subscribe(*, callback: Any, key: str) -> None:
    """Call ``callback(school_id)`` whenever a lesson is saved or deleted (inside the writer's
    transaction: use ``transaction.on_commit`` for work that must see the commit)."""
    from django.db.models.signals import post_delete, post_save

    from parta.journal.models import Lesson, SchoolClass

    def receiver(sender: Any, instance: Any, **_: Any) -> None:
        school_id = (
            SchoolClass.objects.filter(pk=instance.school_class_id)
            .values_list("school_id", flat=True)
            .first()
        )
        if school_id is not None:
            callback(int(school_id))

    post_save.connect(receiver, sender=Lesson, dispatch_uid=f"lessons:{key}:save", weak=False)
    post_delete.connect(receiver, sender=Lesson, dispatch_uid=f"lessons:{key}:delete", weak=False)


def account_school_ids(*, account_id: int) -> set[int]:
    """The schools whose chats the account's person belongs to this year: staff, student, a ward's
    school, class teacher, teacher. A few indexed queries."""
    from parta.journal.models import (
        AcademicYear,
        Account,
        Enrolment,
        Guardianship,
        SchoolClass,
        StaffAssignment,
        TeachingAssignment,
    )

    person_id = Account.objects.filter(pk=account_id).values_list("person_id", flat=True).first()
    if person_id is None:
        return set()
    ids = set(
        StaffAssignment.objects.filter(person_id=person_id, ends_on__isnull=True).values_list(
            "school_id", flat=True
        )
    )
    year = AcademicYear.objects.filter(is_current=True).values_list("pk", flat=True).first()
    if year is None:
        return ids
    people = [
        person_id,
        *Guardianship.objects.filter(guardian_id=person_id).values_list("student_id", flat=True),
    ]
    ids |= set(
        Enrolment.objects.filter(
            student_id__in=people, ends_on__isnull=True, school_class__year_id=year
        ).values_list("school_class__school_id", flat=True)
    )
    ids |= set(
        SchoolClass.objects.filter(class_teacher_id=person_id, year_id=year).values_list(
            "school_id", flat=True
        )
    )
    ids |= set(
        TeachingAssignment.objects.filter(teacher_id=person_id, school_class__year_id=year).values_list(
            "school_class__school_id", flat=True
        )
    )
    return ids


def school_roster_version(*, school_id: int) -> tuple[int, int]:
    """:func:`roster_versions` for one school: (its newest outbox event id, the newest region-wide one)."""
    from django.db.models import Max

    from parta.journal.models import OutboxEvent

    found = OutboxEvent.objects.filter(school_id=school_id).aggregate(newest=Max("pk"))["newest"]
    region = OutboxEvent.objects.filter(school_id__isnull=True).aggregate(newest=Max("pk"))["newest"]
    return int(found or 0), int(region or 0)


def student_family_accounts(*, person_id: int) -> list[int]:
    """The active accounts of a student and of their parents and legal representatives."""
    from django.db.models import Q

    from parta.journal.models import Account

    return sorted(
        Account.objects.filter(is_active=True)
        .filter(Q(person_id=person_id) | Q(person__wards__student_id=person_id))
        .values_list("pk", flat=True)
        .distinct()
    )
