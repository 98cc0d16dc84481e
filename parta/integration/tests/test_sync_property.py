"""Property: after any sequence of roster changes and links, one reconcile makes the platform's chats
exactly the desired state — computed here independently, straight from the journal's tables."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from parta.integration.actions.sync import sync_school
from parta.integration.models import Binding, BindingState, SyncChange
from parta.integration.tests.sync_fakes import SyncPlatform, sync_platform  # noqa: F401 -- the fixture
from parta.journal.actions import enrolments
from parta.journal.actions import staff as staff_actions
from parta.journal.actions.errors import JournalError
from parta.journal.models import (
    Enrolment,
    Guardianship,
    Person,
    RegistryEntry,
    RegistryReason,
    SchoolClass,
    StaffAssignment,
)
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "enrol",
                "link",
                "unlink",
                "expel",
                "restore",
                "cancel",
                "teacher",
                "hire",
                "leave",
                "parent",
                "move",
            ]
        ),
        st.integers(min_value=0, max_value=1000),
    ),
    max_size=10,
)


def _link(fake: SyncPlatform, school: Any, person: Person) -> None:
    account = factories.account(person) if not hasattr(person, "account") else person.account
    if Binding.objects.filter(account=account, state=BindingState.ACTIVE).exists():
        return
    sub, link_id = str(uuid.uuid4()), str(uuid.uuid4())
    Binding.objects.create(
        account=account,
        role="x",
        org_ref=school.sourced_id,
        profile_sub=sub,
        link_id=link_id,
        state=BindingState.ACTIVE,
    )
    fake.links[link_id] = {
        "id": link_id,
        "profile_sub": sub,
        "org_ref": school.sourced_id,
        "journal_account_ref": str(account.pk),
        "roles": ["student"],
    }


def _unlink(fake: SyncPlatform, person: Person) -> None:
    for binding in Binding.objects.filter(account__person=person, state=BindingState.ACTIVE):
        fake.api("DELETE", f"/links/{binding.link_id}", {}, None)  # the platform's own DELETE /links
        binding.state = BindingState.ENDED
        binding.save(update_fields=["state"])


def _apply(fake: SyncPlatform, school: Any, classes: list[SchoolClass], op: str, n: int) -> None:
    people = list(Person.objects.order_by("pk"))
    person = people[n % len(people)]
    open_enrolments = list(Enrolment.objects.filter(ends_on__isnull=True).order_by("pk"))
    try:
        if op == "enrol":
            pupil = factories.person("Ученик", f"№{n}", birth_date=dt.date(2015, 1, 1))
            enrolments.enrolment_create(student=pupil, school_class=classes[n % 2])
        elif op == "link":
            _link(fake, school, person)
        elif op == "unlink":
            _unlink(fake, person)
        elif op == "expel" and open_enrolments:
            e = open_enrolments[n % len(open_enrolments)]
            enrolments.student_leave(
                student=e.student, school_class=e.school_class, reason=RegistryReason.EXPELLED
            )
        elif op in ("restore", "cancel"):
            entries = list(RegistryEntry.objects.order_by("pk"))
            if entries:
                entry = entries[n % len(entries)]
                if op == "restore":
                    enrolments.registry_restore(entry=entry)
                else:
                    enrolments.registry_cancel_restore(entry=entry)
        elif op == "teacher":
            teachers = [None, *Person.objects.filter(staff_assignments__ends_on__isnull=True).distinct()]
            staff_actions.class_teacher_set(school_class=classes[n % 2], teacher=teachers[n % len(teachers)])
        elif op == "hire":
            staff_actions.staff_hire(
                person=factories.person("Учитель", f"№{n}"), school=school, role="teacher"
            )
        elif op == "leave":
            assignments = list(StaffAssignment.objects.filter(ends_on__isnull=True).order_by("pk"))
            if assignments:
                staff_actions.staff_leave(assignment=assignments[n % len(assignments)])
        elif op == "parent" and open_enrolments:
            staff_actions.guardianship_add(
                guardian=person, student=open_enrolments[n % len(open_enrolments)].student
            )
        elif op == "move" and open_enrolments:
            e = open_enrolments[n % len(open_enrolments)]
            enrolments.enrolment_transfer(student=e.student, to_class=classes[(n + 1) % 2])
    except JournalError:
        pass  # refused by the journal, as a user would be


def _sub(person_id: int | None) -> str | None:
    if person_id is None:
        return None
    binding = Binding.objects.filter(
        account__person_id=person_id, account__is_active=True, state=BindingState.ACTIVE
    ).first()
    return binding.profile_sub if binding else None


def _expected(school: Any, classes: list[SchoolClass]) -> dict[str, tuple[set[str], set[str]]]:
    """Group ref → (members, admins), read straight from the tables."""
    staff = {_sub(a.person_id) for a in StaffAssignment.objects.filter(school=school, ends_on__isnull=True)}
    expected = {"staff": ({s for s in staff if s}, set())}
    for school_class in SchoolClass.objects.filter(pk__in=[c.pk for c in classes]):
        teacher = _sub(school_class.class_teacher_id)
        admins = {teacher} if teacher else set()
        pupils = [
            e.student_id for e in Enrolment.objects.filter(school_class=school_class, ends_on__isnull=True)
        ]
        students = {_sub(p) for p in pupils}
        parents = {_sub(g.guardian_id) for g in Guardianship.objects.filter(student_id__in=pupils)}
        ref = school_class.cohort.sourced_id
        expected[f"class-{ref}"] = ({s for s in students if s} | admins, admins)
        expected[f"parents-{ref}"] = ({s for s in parents if s} | admins, admins)
    return expected


@pytest.fixture
def region(sync_platform: SyncPlatform, settings: Any) -> dict[str, Any]:  # noqa: F811
    settings.PARTA_SYNC_HOLD_MIN = 10**6
    school = factories.school("Школа № 3")
    teacher = factories.teacher(school)
    classes = [factories.school_class(school, teacher=teacher), factories.school_class(school, letter="Б")]
    for i in range(3):
        pupil = factories.student(classes[i % 2], "Ученик", f"Первый{i}")
        factories.parent_of(pupil)
    for person in Person.objects.all():
        _link(sync_platform, school, person)
    return {"school": school, "classes": classes, "fake": sync_platform}


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_reconcile_makes_the_platform_equal_the_desired_state(region: dict[str, Any], ops: list[Any]) -> None:
    fake, school, classes = region["fake"], region["school"], region["classes"]
    for op, n in ops:
        _apply(fake, school, classes, op, n)
    assert sync_school(school_id=school.pk, force=True).status == "ok"
    for ref, (members, admins) in _expected(school, classes).items():
        chat = fake.groups[(school.sourced_id, ref)]
        assert (chat.members, chat.admins) == (members, admins), ref
    # and a second reconcile has nothing left to do
    before = SyncChange.objects.count()
    assert sync_school(school_id=school.pk, force=True).plan.changes == 0  # type: ignore[union-attr]
    assert SyncChange.objects.count() == before
