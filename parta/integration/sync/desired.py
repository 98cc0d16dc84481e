"""The desired state of one school's chats: groups and their members by profile ``sub``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from parta.core.functions import Epoch
from parta.integration.conf import pending_stale_after
from parta.integration.models import Binding, BindingState
from parta.journal.public import SchoolRoster, school_roster

KIND_LABELS = {
    "staff": "Учительская",
    "class": "Классный чат",
    "parents": "Родительский чат",
    "subject": "Предметный чат",
}

DEFAULT_TITLES = {
    "staff": "Учительская — {school}",
    "class": "{class_title} класс",
    "parents": "{class_title} Родители",
    "subject": "{class_title} {subject}",
}


def titles() -> dict[str, str]:
    configured = dict(getattr(settings, "PARTA_SYNC_TITLES", {}) or {})
    return {key: str(configured.get(key) or default) for key, default in DEFAULT_TITLES.items()}


def subject_chats_enabled() -> bool:
    return bool(getattr(settings, "PARTA_SYNC_SUBJECT_CHATS", False))


class Applied(NamedTuple):  # a named tuple, not a frozen dataclass: a region makes millions of them
    """A member of a chat by its ``sub``: as the journal wants it (``DesiredGroup.members``) and as the
    ledger has it applied (``plan.ledger_of``), the same type, so one chat's two are compared at once."""

    account_id: int
    person_id: int | None
    admin: bool


@dataclass
class DesiredGroup:
    ref: str
    kind: str
    title: str
    subject: str = ""
    members: dict[str, Applied] = field(default_factory=dict)  # by sub

    def put(self, *, sub: str, account_id: int, person_id: int | None, admin: bool) -> None:
        found = self.members.get(sub)
        self.members[sub] = Applied(account_id, person_id, admin or (found.admin if found else False))


class Linked(NamedTuple):
    sub: str
    linked_at_ts: float  # POSIX seconds, 0 when unknown


@dataclass
class DesiredSchool:
    school_id: int
    org_ref: str
    name: str
    year: int | None
    groups: dict[str, DesiredGroup]  # by ref
    linked: dict[int, Linked]  # account id → its profile, for every account of the roster that is linked
    # account id → the roles it holds a live binding for in this school (active, or pending and younger
    # than ``pending_stale_after()``: ``live_bindings()``), read with ``linked``; None when not read
    bound_roles: dict[int, set[str]] | None = None


def group_refs(cohort_ref: str) -> tuple[str, str]:
    return f"class-{cohort_ref}", f"parents-{cohort_ref}"


def active_subs(account_ids: set[int]) -> dict[int, Linked]:
    """Account id → its linked profile, for the accounts with an active binding."""
    return bindings_read(account_ids, org_ref=None)[0]


def bindings_read(
    account_ids: set[int], *, org_ref: str | None
) -> tuple[dict[int, Linked], dict[int, set[str]]]:
    """In one pass over the accounts' bindings: account id → its linked profile (the accounts with an active
    binding), and account id → the roles it holds a live binding for in the school ``org_ref``."""
    found: dict[int, Linked] = {}
    roles: defaultdict[int, set[str]] = defaultdict(set)
    # the times are compared in SQL: a timezone-aware datetime per row was most of this read's cost
    live = Q(state=BindingState.ACTIVE) | Q(created_at__gte=timezone.now() - pending_stale_after())
    active = BindingState.ACTIVE.value
    ids = sorted(account_ids)
    for start in range(0, len(ids), 5000):
        for account_id, sub, linked_at, state, is_live, org, role in (
            Binding.objects.filter(
                account_id__any=ids[start : start + 5000],
                state__in=[BindingState.ACTIVE, BindingState.PENDING],
            )
            .order_by("pk")
            .values_list(
                "account_id",
                "profile_sub",
                Epoch("linked_at"),
                "state",
                ExpressionWrapper(live, output_field=BooleanField()),
                "org_ref",
                "role",
            )
        ):
            if state == active:
                found[account_id] = Linked(sub, linked_at or 0.0)
            if is_live and org == org_ref:
                roles[account_id].add(role)
    return found, dict(roles)


def desired_from_roster(roster: SchoolRoster, linked: dict[int, Linked]) -> DesiredSchool:
    names = titles()
    groups: dict[str, DesiredGroup] = {}
    staff = DesiredGroup(ref="staff", kind="staff", title=names["staff"].format(school=roster.school_name))
    groups[staff.ref] = staff
    for person in roster.staff:
        if person.account_id in linked:
            staff.put(
                sub=linked[person.account_id].sub,
                account_id=person.account_id,
                person_id=person.person_id,
                admin=False,
            )
    by_class: dict[int, tuple[DesiredGroup, DesiredGroup]] = {}
    for school_class in roster.classes:
        class_ref, parents_ref = group_refs(school_class.cohort_ref)
        pair = (
            DesiredGroup(
                ref=class_ref,
                kind="class",
                title=names["class"].format(class_title=school_class.title, school=roster.school_name),
            ),
            DesiredGroup(
                ref=parents_ref,
                kind="parents",
                title=names["parents"].format(class_title=school_class.title, school=roster.school_name),
            ),
        )
        by_class[school_class.id] = pair
        for group in pair:
            groups[group.ref] = group
            teacher = school_class.class_teacher_account_id
            if teacher is not None and teacher in linked and school_class.class_teacher_person_id is not None:
                group.put(
                    sub=linked[teacher].sub,
                    account_id=teacher,
                    person_id=school_class.class_teacher_person_id,
                    admin=True,
                )
    # The students and parents are most of a region's members: a loop each, without a method call per
    # person (``put`` does the same: a member already there as an admin stays one).
    for role, side in ((roster.students, 0), (roster.guardians, 1)):
        members_of = {class_id: pair[side].members for class_id, pair in by_class.items()}
        for class_id, person_id, account_id in role:
            found = linked.get(account_id)
            members = members_of.get(class_id)  # type: ignore[arg-type]
            if found is None or members is None:
                continue
            old = members.get(found.sub)
            members[found.sub] = Applied(account_id, person_id, old is not None and old.admin)
    if subject_chats_enabled():
        cohort_of = {c.id: c for c in roster.classes}
        for teaching in roster.teaching:
            taught = cohort_of.get(teaching.class_id)
            if taught is None:
                continue
            school_class = taught
            group = DesiredGroup(
                ref=f"subject-{school_class.cohort_ref}-{teaching.subject_ref}",
                kind="subject",
                title=names["subject"].format(
                    class_title=school_class.title, subject=teaching.subject_name, school=roster.school_name
                ),
                subject=teaching.subject_name,
            )
            groups[group.ref] = group
            for sub, member in by_class[teaching.class_id][0].members.items():
                if not member.admin:
                    group.put(sub=sub, account_id=member.account_id, person_id=member.person_id, admin=False)
            if teaching.teacher_account_id is not None and teaching.teacher_account_id in linked:
                group.put(
                    sub=linked[teaching.teacher_account_id].sub,
                    account_id=teaching.teacher_account_id,
                    person_id=teaching.teacher_person_id,
                    admin=True,
                )
    return DesiredSchool(
        school_id=roster.school_id,
        org_ref=roster.school_ref,
        name=roster.school_name,
        year=roster.year,
        groups=groups,
        linked=linked,
    )


def desired_school(school_id: int) -> DesiredSchool | None:
    """What the school's chats should be now: a few set-wise queries, whatever the school's size."""
    roster = school_roster(school_id=school_id)
    if roster is None:
        return None
    accounts = {p.account_id for p in (*roster.staff, *roster.students, *roster.guardians)}
    accounts |= {c.class_teacher_account_id for c in roster.classes if c.class_teacher_account_id is not None}
    accounts |= {t.teacher_account_id for t in roster.teaching if t.teacher_account_id is not None}
    linked, bound = bindings_read(accounts, org_ref=roster.school_ref)
    desired = desired_from_roster(roster, linked)
    desired.bound_roles = bound
    return desired
