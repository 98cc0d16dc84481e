"""Enrolling, moving, expelling and the registry «Выпускники и отчисленные» with restore and its cancel."""

from __future__ import annotations

import datetime as dt

import pytest

from parta.journal.actions.enrolments import (
    enrolment_create,
    enrolment_transfer,
    registry_cancel_restore,
    registry_restore,
    student_leave,
)
from parta.journal.actions.errors import JournalError
from parta.journal.actions.rollover import year_rollover
from parta.journal.models import (
    EndReason,
    Enrolment,
    OutboxEvent,
    Person,
    RegistryEntry,
    RegistryReason,
    RegistryStatus,
    SchoolClass,
)
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db

EXPELLED_ON = dt.date(2026, 11, 20)


def open_classes(student: Person) -> list[str]:
    """The classes the student is in now, as the journal shows them («5А»)."""
    return [
        e.school_class.title
        for e in Enrolment.objects.filter(student=student, ends_on__isnull=True).select_related(
            "school_class"
        )
    ]


def registry_of(student: Person) -> list[tuple[str, str, str]]:
    return [
        (entry.school_class.title, entry.reason, entry.status)
        for entry in RegistryEntry.objects.filter(student=student).select_related("school_class")
    ]


@pytest.fixture
def class_5a() -> SchoolClass:
    return factories.school_class(grade=5, letter="А")


@pytest.fixture
def pupil(class_5a: SchoolClass) -> Person:
    return factories.student(class_5a)


# --- enrolment ------------------------------------------------------------------------------------


def test_enrolment_create_puts_the_student_into_the_class(class_5a: SchoolClass) -> None:
    newcomer = factories.person("Сидорова", "Мария", "Олеговна")
    enrolment = enrolment_create(student=newcomer, school_class=class_5a, on=dt.date(2026, 10, 1))
    assert open_classes(newcomer) == ["5А"]
    assert enrolment.begins_on == dt.date(2026, 10, 1)


def test_enrolling_into_the_same_class_again_changes_nothing(class_5a: SchoolClass, pupil: Person) -> None:
    enrolment = enrolment_create(student=pupil, school_class=class_5a)
    assert Enrolment.objects.filter(student=pupil).count() == 1
    assert enrolment.school_class == class_5a


def test_a_student_is_in_one_class_of_a_school_at_a_time(class_5a: SchoolClass, pupil: Person) -> None:
    class_5b = factories.school_class(class_5a.school, grade=5, letter="Б")
    with pytest.raises(JournalError, match="уже учится в 5А классе"):
        enrolment_create(student=pupil, school_class=class_5b)
    assert open_classes(pupil) == ["5А"]


def test_transfer_moves_the_student_to_another_class(class_5a: SchoolClass, pupil: Person) -> None:
    class_5b = factories.school_class(class_5a.school, grade=5, letter="Б")
    enrolment_transfer(student=pupil, to_class=class_5b, on=dt.date(2026, 12, 1))
    assert open_classes(pupil) == ["5Б"]
    old = Enrolment.objects.get(student=pupil, school_class=class_5a)
    assert (old.ends_on, old.end_reason) == (dt.date(2026, 12, 1), EndReason.TRANSFERRED)


def test_transfer_of_a_student_not_at_the_school_is_refused(class_5a: SchoolClass) -> None:
    stranger = factories.person("Кузнецов", "Олег", "Игоревич")
    with pytest.raises(JournalError, match="не учится в этой школе"):
        enrolment_transfer(student=stranger, to_class=class_5a)


# --- expel, graduate ------------------------------------------------------------------------------


def test_expelled_student_goes_to_the_registry(class_5a: SchoolClass, pupil: Person) -> None:
    entry = student_leave(
        student=pupil, school_class=class_5a, reason=RegistryReason.EXPELLED, on=EXPELLED_ON
    )

    assert open_classes(pupil) == []
    assert registry_of(pupil) == [("5А", RegistryReason.EXPELLED, RegistryStatus.IN_REGISTRY)]
    assert entry.left_on == EXPELLED_ON
    assert entry.school == class_5a.school
    enrolment = Enrolment.objects.get(student=pupil)
    assert (enrolment.ends_on, enrolment.end_reason) == (EXPELLED_ON, EndReason.EXPELLED)


def test_graduated_student_goes_to_the_registry_as_a_graduate() -> None:
    class_11a = factories.school_class(grade=11, letter="А")
    pupil = factories.student(class_11a)
    student_leave(student=pupil, school_class=class_11a, reason=RegistryReason.GRADUATED)
    assert registry_of(pupil) == [("11А", RegistryReason.GRADUATED, RegistryStatus.IN_REGISTRY)]
    assert Enrolment.objects.get(student=pupil).end_reason == EndReason.GRADUATED


def test_expelling_a_student_who_is_not_in_the_class_is_refused(class_5a: SchoolClass, pupil: Person) -> None:
    class_5b = factories.school_class(class_5a.school, grade=5, letter="Б")
    with pytest.raises(JournalError, match="не учится в 5Б классе"):
        student_leave(student=pupil, school_class=class_5b, reason=RegistryReason.EXPELLED)
    assert open_classes(pupil) == ["5А"]
    assert not RegistryEntry.objects.exists()


# --- restore and its cancel -----------------------------------------------------------------------


@pytest.fixture
def expelled(class_5a: SchoolClass, pupil: Person) -> RegistryEntry:
    return student_leave(student=pupil, school_class=class_5a, reason=RegistryReason.EXPELLED, on=EXPELLED_ON)


def test_restore_brings_the_student_back_into_their_class(expelled: RegistryEntry, pupil: Person) -> None:
    entry = registry_restore(entry=expelled, on=dt.date(2026, 12, 1))

    assert open_classes(pupil) == ["5А"]
    assert entry.status == RegistryStatus.RESTORED
    assert entry.restore_enrolment is not None
    assert entry.restore_enrolment.begins_on == dt.date(2026, 12, 1)
    assert registry_of(pupil) == [("5А", RegistryReason.EXPELLED, RegistryStatus.RESTORED)]


def test_restore_after_the_rollover_goes_into_the_cohorts_class_of_this_year(
    expelled: RegistryEntry, pupil: Person, class_5a: SchoolClass
) -> None:
    year_rollover(to_start_year=2027)

    registry_restore(entry=expelled)

    assert open_classes(pupil) == ["6А"]
    sixth = Enrolment.objects.get(student=pupil, ends_on__isnull=True).school_class
    assert sixth.cohort_id == class_5a.cohort_id
    assert sixth.year.start_year == 2027


def test_restore_is_refused_when_the_class_no_longer_exists() -> None:
    class_11a = factories.school_class(grade=11, letter="А")
    pupil = factories.student(class_11a)
    entry = student_leave(student=pupil, school_class=class_11a, reason=RegistryReason.EXPELLED)
    year_rollover(to_start_year=2027)

    with pytest.raises(JournalError, match="Класс 11А в текущем учебном году не существует"):
        registry_restore(entry=entry)
    assert open_classes(pupil) == []
    assert RegistryEntry.objects.get(pk=entry.pk).status == RegistryStatus.IN_REGISTRY


def test_cancel_restore_returns_the_student_to_the_registry(expelled: RegistryEntry, pupil: Person) -> None:
    registry_restore(entry=expelled)
    entry = registry_cancel_restore(entry=expelled, on=dt.date(2026, 12, 5))

    assert open_classes(pupil) == []
    assert entry.status == RegistryStatus.IN_REGISTRY
    assert entry.restore_enrolment is None
    assert registry_of(pupil) == [("5А", RegistryReason.EXPELLED, RegistryStatus.IN_REGISTRY)]
    cancelled = Enrolment.objects.filter(student=pupil).order_by("pk").last()
    assert cancelled is not None
    assert (cancelled.ends_on, cancelled.end_reason) == (dt.date(2026, 12, 5), EndReason.RESTORE_CANCELLED)


def test_cancel_restore_after_the_rollover_takes_the_student_out_of_the_new_class(
    expelled: RegistryEntry, pupil: Person
) -> None:
    registry_restore(entry=expelled)
    year_rollover(to_start_year=2027)  # the restored student moves 5А → 6А with the class
    assert open_classes(pupil) == ["6А"]

    registry_cancel_restore(entry=expelled)

    assert open_classes(pupil) == []
    assert registry_of(pupil) == [("5А", RegistryReason.EXPELLED, RegistryStatus.IN_REGISTRY)]
    last = Enrolment.objects.filter(student=pupil).order_by("pk").last()
    assert last is not None
    assert last.school_class.title == "6А"
    assert last.end_reason == EndReason.RESTORE_CANCELLED


def test_restoring_twice_is_a_no_op(expelled: RegistryEntry, pupil: Person) -> None:
    registry_restore(entry=expelled)
    events = OutboxEvent.objects.count()
    enrolments = Enrolment.objects.filter(student=pupil).count()

    registry_restore(entry=expelled)

    assert open_classes(pupil) == ["5А"]
    assert Enrolment.objects.filter(student=pupil).count() == enrolments
    assert OutboxEvent.objects.count() == events


def test_cancelling_twice_is_a_no_op(expelled: RegistryEntry, pupil: Person) -> None:
    registry_restore(entry=expelled)
    registry_cancel_restore(entry=expelled)
    events = OutboxEvent.objects.count()
    ends = list(Enrolment.objects.filter(student=pupil).values_list("ends_on", "end_reason"))

    registry_cancel_restore(entry=expelled)

    assert registry_of(pupil) == [("5А", RegistryReason.EXPELLED, RegistryStatus.IN_REGISTRY)]
    assert list(Enrolment.objects.filter(student=pupil).values_list("ends_on", "end_reason")) == ends
    assert OutboxEvent.objects.count() == events


def test_cancel_of_an_entry_never_restored_changes_nothing(expelled: RegistryEntry, pupil: Person) -> None:
    registry_cancel_restore(entry=expelled)
    assert registry_of(pupil) == [("5А", RegistryReason.EXPELLED, RegistryStatus.IN_REGISTRY)]
    assert not OutboxEvent.objects.filter(kind="registry.restore_cancelled").exists()


def test_restoring_a_student_who_is_already_enrolled_is_refused(
    expelled: RegistryEntry, pupil: Person, class_5a: SchoolClass
) -> None:
    class_5b = factories.school_class(class_5a.school, grade=5, letter="Б")
    enrolment_create(student=pupil, school_class=class_5b)

    with pytest.raises(JournalError, match="уже учится в 5Б классе"):
        registry_restore(entry=expelled)

    assert open_classes(pupil) == ["5Б"]
    assert RegistryEntry.objects.get(pk=expelled.pk).status == RegistryStatus.IN_REGISTRY


def test_expelled_again_after_restore_is_back_in_the_registry(expelled: RegistryEntry, pupil: Person) -> None:
    registry_restore(entry=expelled)
    student_leave(student=pupil, school_class=expelled.school_class, reason=RegistryReason.EXPELLED)
    assert open_classes(pupil) == []
    assert registry_of(pupil) == [("5А", RegistryReason.EXPELLED, RegistryStatus.IN_REGISTRY)]
    assert RegistryEntry.objects.get(pk=expelled.pk).restore_enrolment is None
