"""The new school year: ``year_rollover`` and the command ``parta journal rollover``."""

from __future__ import annotations

import datetime as dt
import io
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from parta import cli
from parta.journal.actions import rollover as rollover_module
from parta.journal.actions.enrolments import registry_restore, student_leave
from parta.journal.actions.errors import JournalError
from parta.journal.actions.outbox import outbox_emit
from parta.journal.actions.rollover import year_rollover
from parta.journal.models import (
    AcademicYear,
    EndReason,
    Enrolment,
    OutboxEvent,
    Person,
    RegistryEntry,
    RegistryReason,
    RegistryStatus,
    School,
    SchoolClass,
    TeachingAssignment,
)
from parta.journal.tests import factories


@dataclass
class World:
    school: School  # final grade 11
    nine: School  # final grade 9
    class_5a: SchoolClass
    class_11a: SchoolClass
    class_8a: SchoolClass
    class_9a: SchoolClass
    teacher: Person
    fifth: list[Person]
    eleventh: list[Person]
    ninth: list[Person]
    eighth: list[Person]


@pytest.fixture
def world(db: None) -> World:
    factories.year(2026)
    school = factories.school("Школа № 1")
    nine = factories.school("Основная школа № 2", final_grade=9)
    teacher = factories.teacher(school)
    class_5a = factories.school_class(school, grade=5, letter="А", teacher=teacher)
    class_11a = factories.school_class(school, grade=11, letter="А")
    class_8a = factories.school_class(nine, grade=8, letter="А")
    class_9a = factories.school_class(nine, grade=9, letter="А")
    TeachingAssignment.objects.create(school_class=class_5a, subject=factories.subject(), teacher=teacher)
    return World(
        school=school,
        nine=nine,
        class_5a=class_5a,
        class_11a=class_11a,
        class_8a=class_8a,
        class_9a=class_9a,
        teacher=teacher,
        fifth=[factories.student(class_5a, "Петров", "Пётр"), factories.student(class_5a, "Орлова", "Вера")],
        eleventh=[factories.student(class_11a, "Ершов", "Глеб"), factories.student(class_11a, "Лис", "Ада")],
        ninth=[factories.student(class_9a, "Котов", "Лев")],
        eighth=[factories.student(class_8a, "Рыбина", "Ия")],
    )


def open_class(student: Person) -> str | None:
    """«6А 2027/2028» for the one class the student is in now, ``None`` if none."""
    enrolments = list(
        Enrolment.objects.filter(student=student, ends_on__isnull=True).select_related("school_class__year")
    )
    assert len(enrolments) <= 1, "a student is never in two classes at once"
    if not enrolments:
        return None
    school_class = enrolments[0].school_class
    return f"{school_class.title} {school_class.year.title}"


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def current_year() -> int:
    return AcademicYear.objects.get(is_current=True).start_year


# --- what the rollover does -----------------------------------------------------------------------


def test_5a_becomes_6a_with_its_cohort_class_teacher_students_and_teachers(world: World) -> None:
    year_rollover(to_start_year=2027)

    assert current_year() == 2027
    class_6a = SchoolClass.objects.get(school=world.school, year__start_year=2027, grade=6, letter="А")
    assert class_6a.cohort_id == world.class_5a.cohort_id
    assert class_6a.class_teacher == world.teacher
    assert [open_class(pupil) for pupil in world.fifth] == ["6А 2027/2028", "6А 2027/2028"]
    assert TeachingAssignment.objects.get(school_class=class_6a).teacher == world.teacher
    old = Enrolment.objects.get(student=world.fifth[0], school_class=world.class_5a)
    assert (old.ends_on, old.end_reason) == (dt.date(2027, 5, 31), EndReason.PROMOTED)
    new = Enrolment.objects.get(student=world.fifth[0], school_class=class_6a)
    assert new.begins_on == dt.date(2027, 9, 1)
    # Last year's class stays as it was: the journal of 2026/2027 still shows 5А with its teacher.
    assert SchoolClass.objects.get(pk=world.class_5a.pk).class_teacher == world.teacher


def test_the_final_grade_graduates_into_the_registry(world: World) -> None:
    year_rollover(to_start_year=2027)

    for pupil in world.eleventh + world.ninth:
        assert open_class(pupil) is None
        entry = RegistryEntry.objects.get(student=pupil)
        assert (entry.reason, entry.status, entry.left_on) == (
            RegistryReason.GRADUATED,
            RegistryStatus.IN_REGISTRY,
            dt.date(2027, 5, 31),
        )
        assert Enrolment.objects.get(student=pupil).end_reason == EndReason.GRADUATED
    assert RegistryEntry.objects.get(student=world.ninth[0]).school == world.nine
    # In the school whose final grade is 9, 8А moves on into 9А; no 10th or 12th class appears.
    assert open_class(world.eighth[0]) == "9А 2027/2028"
    assert not SchoolClass.objects.filter(year__start_year=2027, grade__in=[10, 12]).exists()
    assert not SchoolClass.objects.filter(school=world.nine, year__start_year=2027, grade=10).exists()


def test_a_restored_student_of_the_final_grade_graduates_too(world: World) -> None:
    pupil = world.eleventh[0]
    entry = student_leave(student=pupil, school_class=world.class_11a, reason=RegistryReason.EXPELLED)
    registry_restore(entry=entry)

    year_rollover(to_start_year=2027)

    entry.refresh_from_db()
    assert (entry.reason, entry.status, entry.restore_enrolment) == (
        RegistryReason.GRADUATED,
        RegistryStatus.IN_REGISTRY,
        None,
    )
    assert open_class(pupil) is None


def test_a_second_run_changes_nothing(world: World) -> None:
    year_rollover(to_start_year=2027)
    before = row_counts()
    enrolments = list(Enrolment.objects.order_by("pk").values_list("pk", "ends_on", "end_reason"))

    plan = year_rollover(to_start_year=2027)

    assert row_counts() == before
    assert list(Enrolment.objects.order_by("pk").values_list("pk", "ends_on", "end_reason")) == enrolments
    assert plan.changes == 0
    assert current_year() == 2027


def test_a_new_enrolment_keeps_sourced_ids_unique_with_one_index_for_them(world: World) -> None:
    year_rollover(to_start_year=2027)
    moved = Enrolment.objects.filter(ends_on__isnull=True).first()
    assert moved is not None

    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(
            sourced_id=moved.sourced_id,
            student=moved.student,
            school_class=moved.school_class,
            begins_on=moved.begins_on,
            ends_on=moved.begins_on,
            end_reason=EndReason.EXPELLED,
        )
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Enrolment._meta.db_table)
    on_sourced_id = [name for name, c in indexes.items() if c["columns"] == ["sourced_id"]]
    # one unique index: no second, ``varchar_pattern_ops`` one for every rollover insert to pay for
    assert len(on_sourced_id) == 1, on_sourced_id


def test_dry_run_writes_nothing_and_tells_the_plan(world: World) -> None:
    before = row_counts()

    plan = year_rollover(to_start_year=2027, dry_run=True)

    assert row_counts() == before
    assert current_year() == 2026
    lines = plan.lines()
    assert lines[0] == "Перевод на новый учебный год: 2026/2027 → 2027/2028"
    assert "  5А → 6А: учеников 2" in lines
    assert "  11А — выпуск: учеников 2" in lines
    assert "  9А — выпуск: учеников 1" in lines
    assert lines[-1] == "Текущим станет учебный год 2027/2028."


def test_only_the_next_year_can_be_opened(world: World) -> None:
    with pytest.raises(JournalError, match="Перевести можно только на следующий год"):
        year_rollover(to_start_year=2028)
    assert current_year() == 2026
    assert not AcademicYear.objects.filter(start_year=2028).exists()


def test_an_earlier_year_than_the_current_one_changes_nothing(world: World) -> None:
    before = row_counts()
    plan = year_rollover(to_start_year=2026)
    assert plan.changes == 0
    assert row_counts() == before


@pytest.mark.django_db(transaction=True)
def test_a_crash_midway_then_a_rerun_completes_without_duplicates(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = max(world.school.pk, world.nine.pk)

    def crash_at_the_second_school(*, kind: str, school_id: int | None, **payload: Any) -> OutboxEvent:
        # The last write of a school's transaction: everything before it for that school is undone.
        if kind == "year.rollover" and school_id == second:
            raise RuntimeError("сервер перезагрузили")
        return outbox_emit(kind=kind, school_id=school_id, **payload)

    monkeypatch.setattr(rollover_module, "outbox_emit", crash_at_the_second_school)
    with pytest.raises(RuntimeError):
        year_rollover(to_start_year=2027)

    assert current_year() == 2026  # the year is switched only when every school is done
    assert not SchoolClass.objects.filter(school_id=second, year__start_year=2027).exists()
    assert open_class(world.eighth[0]) == "8А 2026/2027"
    assert open_class(world.fifth[0]) == "6А 2027/2028"  # the first school is done

    monkeypatch.undo()
    year_rollover(to_start_year=2027)

    assert current_year() == 2027
    for pupil in world.fifth:
        assert open_class(pupil) == "6А 2027/2028"
    assert open_class(world.eighth[0]) == "9А 2027/2028"
    assert SchoolClass.objects.filter(year__start_year=2027).count() == 2  # 6А and 9А, once each
    assert Enrolment.objects.filter(school_class__year__start_year=2027).count() == 3
    assert RegistryEntry.objects.filter(reason=RegistryReason.GRADUATED).count() == 3
    rollover_events = OutboxEvent.objects.filter(kind="year.rollover")
    assert sorted(rollover_events.values_list("school_id", flat=True)) == sorted(
        [world.school.pk, world.nine.pk]
    )
    assert OutboxEvent.objects.filter(kind="year.opened").count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_jobs_move_schools_at_once_with_the_same_result(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one transaction at a time: there the rollover moves schools one by one")
    # Both schools must be inside their transactions at the same time, or the barrier breaks.
    both_started = threading.Barrier(2, timeout=10)
    apply_school = rollover_module._apply_school

    def together(*args: Any) -> rollover_module.SchoolPlan:
        both_started.wait()
        return apply_school(*args)

    monkeypatch.setattr(rollover_module, "_apply_school", together)

    output = run("--to", "2027", "--jobs", "2")

    assert "Готово: текущий учебный год — 2027/2028." in output
    assert current_year() == 2027
    assert [open_class(pupil) for pupil in world.fifth] == ["6А 2027/2028", "6А 2027/2028"]
    assert open_class(world.eighth[0]) == "9А 2027/2028"
    assert RegistryEntry.objects.filter(reason=RegistryReason.GRADUATED).count() == 3
    assert OutboxEvent.objects.filter(kind="year.rollover").count() == 2
    assert OutboxEvent.objects.filter(kind="year.opened").count() == 1


def test_on_sqlite_jobs_are_taken_one_by_one(world: World) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the jobs run in threads, which this test's transaction would hide from")
    year_rollover(to_start_year=2027, jobs=4)
    assert current_year() == 2027
    assert open_class(world.eighth[0]) == "9А 2027/2028"


# --- the command ----------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("rollover", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_command_dry_run_prints_the_plan(world: World) -> None:
    before = row_counts()
    output = run("--to", "2027", "--dry-run")
    assert "Перевод на новый учебный год: 2026/2027 → 2027/2028" in output
    assert "5А → 6А: учеников 2" in output
    assert "ничего не изменено" in output
    assert row_counts() == before


def test_command_in_november_of_the_current_year_has_nothing_to_do(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(2026, 11, 15))
    before = row_counts()
    output = run()
    assert "Текущий учебный год 2026/2027 уже открыт" in output
    assert row_counts() == before


def test_command_in_september_opens_the_new_year(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(2027, 9, 1))
    errors = io.StringIO()
    out = io.StringIO()
    call_command("rollover", stdout=out, stderr=errors)
    assert current_year() == 2027
    assert "Готово: текущий учебный год — 2027/2028." in out.getvalue()
    assert "2/2" in errors.getvalue()  # the progress bar went over both schools


def test_command_refusal_is_a_command_error_in_russian(world: World) -> None:
    with pytest.raises(CommandError, match="Перевести можно только на следующий год"):
        run("--to", "2029")
    assert current_year() == 2026


def test_command_refuses_fewer_than_one_job(world: World) -> None:
    with pytest.raises(CommandError, match="--jobs: укажите число школ не меньше 1"):
        run("--to", "2027", "--jobs", "0")
    assert current_year() == 2026


def test_command_without_a_current_year_says_so(db: None) -> None:
    with pytest.raises(CommandError, match="Текущий учебный год не задан"):
        run("--to", "2027")


@pytest.mark.django_db(transaction=True)
def test_parta_rollover_reaches_the_command(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["rollover", "--to", "2027", "--dry-run"])
    assert "5А → 6А: учеников 2" in capsys.readouterr().out
    assert current_year() == 2026
