"""The outbox: every roster change writes its event in its own transaction, and only if it commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction

from parta.journal.actions.enrolments import (
    enrolment_create,
    enrolment_transfer,
    registry_cancel_restore,
    registry_restore,
    student_leave,
)
from parta.journal.actions.errors import JournalError
from parta.journal.actions.outbox import outbox_emit
from parta.journal.actions.rollover import year_rollover
from parta.journal.actions.staff import (
    class_teacher_set,
    guardianship_add,
    guardianship_remove,
    staff_hire,
    staff_leave,
    teaching_set,
)
from parta.journal.models import (
    AcademicYear,
    Enrolment,
    Guardianship,
    OutboxEvent,
    Person,
    RegistryEntry,
    RegistryReason,
    School,
    SchoolClass,
    StaffAssignment,
    StaffRole,
)
from parta.journal.public import roster_events_after
from parta.journal.tests import factories


@dataclass
class World:
    school: School
    quiet_school: School  # no classes: the rollover has nothing to do there
    class_5a: SchoolClass
    class_5b: SchoolClass
    teacher: Person
    pupil: Person
    parent: Person
    newcomer: Person

    @property
    def entry(self) -> RegistryEntry:
        return RegistryEntry.objects.get(student=self.pupil)


@pytest.fixture
def world(db: None) -> World:
    school = factories.school("Школа № 1")
    quiet_school = factories.school("Школа № 2")
    class_5a = factories.school_class(school, grade=5, letter="А")
    pupil = factories.student(class_5a)
    return World(
        school=school,
        quiet_school=quiet_school,
        class_5a=class_5a,
        class_5b=factories.school_class(school, grade=5, letter="Б"),
        teacher=factories.teacher(school),
        pupil=pupil,
        parent=factories.parent_of(pupil),
        newcomer=factories.person("Сидорова", "Мария", "Олеговна"),
    )


def new_events(action: Callable[[], object]) -> list[tuple[str, int | None]]:
    """The outbox rows the action wrote, as (kind, school_id)."""
    last = OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    action()
    return list(OutboxEvent.objects.filter(pk__gt=last).order_by("pk").values_list("kind", "school_id"))


def expel(w: World) -> None:
    student_leave(student=w.pupil, school_class=w.class_5a, reason=RegistryReason.EXPELLED)


def restore(w: World) -> None:
    registry_restore(entry=w.entry)


def set_class_teacher(w: World) -> None:
    class_teacher_set(school_class=w.class_5a, teacher=w.teacher)


def set_teaching(w: World) -> None:
    teaching_set(school_class=w.class_5a, subject=factories.subject(), teacher=w.teacher)


# (name, what happened before, the action, the kind it writes; the school is always ``world.school``)
ACTIONS: list[tuple[str, Callable[[World], None], Callable[[World], object], str]] = [
    (
        "enrolment_create",
        lambda w: None,
        lambda w: enrolment_create(student=w.newcomer, school_class=w.class_5a),
        "enrolment.created",
    ),
    (
        "enrolment_transfer",
        lambda w: None,
        lambda w: enrolment_transfer(student=w.pupil, to_class=w.class_5b),
        "enrolment.transferred",
    ),
    ("student_leave", lambda w: None, expel, "registry.added"),
    ("registry_restore", expel, restore, "registry.restored"),
    (
        "registry_cancel_restore",
        lambda w: (expel(w), restore(w)),
        lambda w: registry_cancel_restore(entry=w.entry),
        "registry.restore_cancelled",
    ),
    ("class_teacher_set", lambda w: None, set_class_teacher, "class.teacher_changed"),
    (
        "staff_hire",
        lambda w: None,
        lambda w: staff_hire(person=w.newcomer, school=w.school, role=StaffRole.ADMINISTRATOR),
        "staff.hired",
    ),
    (
        "staff_leave",
        lambda w: None,
        lambda w: staff_leave(assignment=StaffAssignment.objects.get(person=w.teacher)),
        "staff.left",
    ),
    ("teaching_set", lambda w: None, set_teaching, "teaching.changed"),
    (
        "guardianship_add",
        lambda w: None,
        lambda w: guardianship_add(guardian=w.newcomer, student=w.pupil),
        "guardianship.added",
    ),
    (
        "guardianship_remove",
        lambda w: None,
        lambda w: guardianship_remove(guardian=w.parent, student=w.pupil),
        "guardianship.removed",
    ),
]


@pytest.mark.parametrize(("name", "before", "action", "kind"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_action_writes_exactly_its_event(
    world: World,
    name: str,
    before: Callable[[World], None],
    action: Callable[[World], object],
    kind: str,
) -> None:
    before(world)
    assert new_events(lambda: action(world)) == [(kind, world.school.pk)]


# Every action but «Отчислить» may be repeated: the repeat changes nothing and says nothing.
REPEATABLE = [a for a in ACTIONS if a[0] != "student_leave"]


@pytest.mark.parametrize(("name", "before", "action", "kind"), REPEATABLE, ids=[a[0] for a in REPEATABLE])
def test_repeating_an_action_writes_nothing_more(
    world: World,
    name: str,
    before: Callable[[World], None],
    action: Callable[[World], object],
    kind: str,
) -> None:
    before(world)
    action(world)
    assert new_events(lambda: action(world)) == []


def test_event_payload_names_the_rows(world: World) -> None:
    enrolment_create(student=world.newcomer, school_class=world.class_5a)
    event = OutboxEvent.objects.get()
    assert event.payload == {"student": world.newcomer.pk, "school_class": world.class_5a.pk}


def test_guardianship_writes_one_event_per_school_of_the_student(world: World) -> None:
    other_school_class = factories.school_class(world.quiet_school, grade=7, letter="В")
    Enrolment.objects.create(
        student=world.pupil, school_class=other_school_class, begins_on=factories.year().starts_on
    )
    events = new_events(lambda: guardianship_add(guardian=world.newcomer, student=world.pupil))
    assert sorted(events) == sorted(
        [("guardianship.added", world.school.pk), ("guardianship.added", world.quiet_school.pk)]
    )


def test_guardianship_of_a_child_at_no_school_is_a_region_wide_event(world: World) -> None:
    child = factories.person("Малышев", "Тимур", "Ильич")
    assert new_events(lambda: guardianship_add(guardian=world.parent, student=child)) == [
        ("guardianship.added", None)
    ]


def test_the_rollover_writes_one_event_per_changed_school_and_one_for_the_year(world: World) -> None:
    events = new_events(lambda: year_rollover(to_start_year=2027))
    assert events == [("year.rollover", world.school.pk), ("year.opened", None)]
    rollover = OutboxEvent.objects.get(kind="year.rollover")
    assert rollover.payload["promoted"] == 1


# --- only what commits ----------------------------------------------------------------------------

REFUSALS: list[tuple[str, Callable[[World], object], str]] = [
    (
        "enrolment_create",
        lambda w: enrolment_create(student=w.pupil, school_class=w.class_5b),
        "уже учится в 5А классе",
    ),
    (
        "student_leave",
        lambda w: student_leave(student=w.pupil, school_class=w.class_5b, reason=RegistryReason.EXPELLED),
        "не учится в 5Б классе",
    ),
    (
        "class_teacher_set",
        lambda w: class_teacher_set(school_class=w.class_5a, teacher=w.newcomer),
        "не работает в этой школе",
    ),
    (
        "teaching_set",
        lambda w: teaching_set(school_class=w.class_5a, subject=factories.subject(), teacher=w.newcomer),
        "не работает в этой школе",
    ),
    (
        "guardianship_add",
        lambda w: guardianship_add(guardian=w.pupil, student=w.pupil),
        "не может быть родителем самому себе",
    ),
    ("year_rollover", lambda w: year_rollover(to_start_year=2030), "только на следующий год"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("name", "action", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_action_writes_no_event(
    world: World, name: str, action: Callable[[World], object], message: str
) -> None:
    before = OutboxEvent.objects.count()
    with pytest.raises(JournalError, match=message):
        action(world)
    assert OutboxEvent.objects.count() == before


FAILING: list[tuple[str, Callable[[World], object]]] = [
    ("enrolment_create", lambda w: enrolment_create(student=w.newcomer, school_class=w.class_5a)),
    ("student_leave", expel),
    ("class_teacher_set", set_class_teacher),
    ("guardianship_add", lambda w: guardianship_add(guardian=w.newcomer, student=w.pupil)),
    ("year_rollover", lambda w: year_rollover(to_start_year=2027)),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("name", "action"), FAILING, ids=[f[0] for f in FAILING])
def test_a_failed_transaction_leaves_no_event(
    world: World, name: str, action: Callable[[World], object]
) -> None:
    before = OutboxEvent.objects.count()
    enrolments = list(Enrolment.objects.values_list("pk", "ends_on"))
    guardianships = Guardianship.objects.count()

    written_inside = 0

    def fail_after_the_action() -> None:
        nonlocal written_inside
        with transaction.atomic():
            action(world)
            written_inside = OutboxEvent.objects.count() - before
            raise RuntimeError("сбой после действия")

    with pytest.raises(RuntimeError, match="сбой после действия"):
        fail_after_the_action()

    assert written_inside >= 1  # the event was written inside the transaction…

    assert OutboxEvent.objects.count() == before  # …and gone with it, together with the change
    assert list(Enrolment.objects.values_list("pk", "ends_on")) == enrolments
    assert Guardianship.objects.count() == guardianships
    assert SchoolClass.objects.get(pk=world.class_5a.pk).class_teacher is None
    assert AcademicYear.objects.get(is_current=True).start_year == 2026


@pytest.mark.django_db(transaction=True)
def test_a_committed_action_always_leaves_its_event(world: World) -> None:
    assert not transaction.get_connection().in_atomic_block  # a real commit, not a test's savepoint
    last = OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    enrolment_create(student=world.newcomer, school_class=world.class_5a)

    events = roster_events_after(after_id=last)
    assert [(e.kind, e.school_id) for e in events] == [("enrolment.created", world.school.pk)]
    assert events[0].payload == {"student": world.newcomer.pk, "school_class": world.class_5a.pk}


@pytest.mark.django_db(transaction=True)
def test_outbox_emit_outside_a_transaction_is_refused(world: World) -> None:
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError, match="must run inside the transaction"):
        outbox_emit(kind="enrolment.created", school_id=world.school.pk, student=world.pupil.pk)
    assert OutboxEvent.objects.count() == before
