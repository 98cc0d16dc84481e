"""``parta sync`` (dry run with reasons, --all, held schools) and the administration's sync pages."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from parta.integration.actions.sync import sync_school
from parta.integration.management.commands import sync as sync_command
from parta.integration.models import Binding, BindingState, SyncChange, SyncSchool, SyncStatus
from parta.integration.tests.sync_fakes import SyncPlatform, sync_platform  # noqa: F401 -- the fixture
from parta.integration.tests.test_sync_cases import chat, fake_school_ref, link, refs
from parta.journal.actions import enrolments
from parta.journal.models import RegistryReason
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(sync_platform: SyncPlatform) -> dict[str, Any]:  # noqa: F811
    school = factories.school("Школа № 9")
    fake_school_ref[0] = school.sourced_id
    teacher = factories.teacher(school)
    five_a = factories.school_class(school, teacher=teacher)
    pupil = factories.student(five_a, "Кузнецов", "Артём")
    for person in (teacher, pupil):
        factories.account(person)
        link(sync_platform, person)
    return {"school": school, "five_a": five_a, "pupil": pupil, "fake": sync_platform}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("sync", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_dry_run_prints_the_plan_per_chat_with_reasons_and_changes_nothing(school: dict[str, Any]) -> None:
    out = run("--all", "--dry-run")
    assert "Школа № 9" in out
    assert "«Учительская — Школа № 9» — новый чат" in out
    assert "«5А класс» — новый чат" in out
    assert "+ Кузнецов А. С.: добавить — зачислен" in out
    assert "+ Смирнова А. П.: добавить — новый классный руководитель" in out
    assert "Это план: ничего не изменено." in out
    assert not school["fake"].groups
    assert not SyncChange.objects.exists()
    assert "Школ синхронизировано: 1" in run("--school", str(school["school"].pk))
    enrolments.student_leave(
        student=school["pupil"], school_class=school["five_a"], reason=RegistryReason.EXPELLED
    )
    out = run("--school", school["school"].sourced_id, "--dry-run")
    assert "− Кузнецов А. С.: удалить — отчислен" in out
    assert run("--all", "--dry-run").count("изменений нет") == 0


def test_held_school_is_reported_and_approved_by_the_flag(school: dict[str, Any], settings: Any) -> None:
    settings.PARTA_SYNC_HOLD_MIN = 0
    settings.PARTA_SYNC_HOLD_SHARE = 0.0
    run("--all")
    Binding.objects.update(state=BindingState.ENDED)  # behind the sync's back: only --deep sees it
    with pytest.raises(CommandError, match="Не все школы синхронизированы"):
        run("--all", "--deep")
    assert SyncSchool.objects.get().status == SyncStatus.HELD
    assert "Школ синхронизировано: 1" in run("--all", "--approve-removals")
    assert all(not chat.members for chat in school["fake"].groups.values())


def three_schools(fake: SyncPlatform) -> list[tuple[Any, Any, Any]]:
    """Three schools, each with a linked class teacher and a linked pupil in 5А."""
    made = []
    for number in (1, 2, 3):
        school = factories.school(f"Школа № {number}")
        fake_school_ref[0] = school.sourced_id
        teacher = factories.teacher(school)
        five_a = factories.school_class(school, teacher=teacher)
        pupil = factories.student(five_a, f"Ученик{number}", "Иван")
        for person in (teacher, pupil):
            factories.account(person)
            link(fake, person)
        made.append((school, five_a, pupil))
    return made


@pytest.mark.django_db(transaction=True)
def test_jobs_sync_schools_in_worker_processes_on_postgresql(
    sync_platform: SyncPlatform,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one transaction at a time: there --jobs runs the schools one by one")
    made = three_schools(sync_platform)
    pids = tmp_path / "pids"

    def sync_school_noting_the_process(**kwargs: Any) -> Any:  # the workers are forked: they inherit it
        with pids.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return sync_school(**kwargs)

    monkeypatch.setattr(sync_command, "sync_school", sync_school_noting_the_process)
    err = io.StringIO()
    out = io.StringIO()

    call_command("sync", "--all", "--jobs", "2", "--timings", stdout=out, stderr=err)

    assert "Школ синхронизировано: 3;" in out.getvalue()
    for school, five_a, _ in made:
        assert len(chat(sync_platform, school, refs(five_a)[0]).members) == 2  # the teacher and the pupil
        assert SyncSchool.objects.get(school_id=school.pk).status == SyncStatus.IDLE
    ran_in = pids.read_text().split()
    assert len(ran_in) == 3
    assert str(os.getpid()) not in ran_in  # every school ran in a worker process
    assert "desired state (journal SQL)" in err.getvalue()  # the workers' timings came back


def test_jobs_on_sqlite_run_the_schools_one_by_one(sync_platform: SyncPlatform) -> None:  # noqa: F811
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the jobs run in worker processes, which this test's transaction hides")
    made = three_schools(sync_platform)
    assert "Школ синхронизировано: 3;" in run("--all", "--jobs", "4")
    for school, five_a, _ in made:
        assert len(chat(sync_platform, school, refs(five_a)[0]).members) == 2


def test_unknown_school_is_a_clear_error(school: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="Школа не найдена: nope"):
        run("--school", "nope")


def test_admin_lists_schools_and_history_and_approves(school: dict[str, Any], settings: Any) -> None:
    from parta.journal.models import Account

    settings.PARTA_SYNC_HOLD_MIN = 0
    settings.PARTA_SYNC_HOLD_SHARE = 0.0
    run("--all")
    Binding.objects.filter(profile_sub__isnull=False).update(state=BindingState.ENDED)
    run_held = SyncSchool.objects.get()
    from parta.integration.actions.sync import sync_school

    assert sync_school(school_id=run_held.school_id).status == "held"
    Account.objects.create_superuser("root", "parta-demo")
    client = Client()
    assert client.login(username="root", password="parta-demo")
    page = client.get("/admin/integration/syncschool/").content.decode()
    assert "Школа № 9" in page
    assert "ждёт подтверждения оператора" in page
    history = client.get(f"/admin/integration/syncchange/?q={school['pupil'].account.pk}").content.decode()
    assert "Кузнецов А. С." in history
    assert "5А класс" in history
    assert "зачислен" in history
    response = client.post(
        "/admin/integration/syncschool/",
        {"action": "approve_removals", "_selected_action": [run_held.pk]},
        follow=True,
    )
    assert "Удаление разрешено" in response.content.decode()
    assert SyncSchool.objects.get().approved_removals == 4


def test_a_full_reconcile_skips_unchanged_schools_until_the_journal_changes(school: dict[str, Any]) -> None:
    fake = school["fake"]
    assert "Школ синхронизировано: 1; без изменений с прошлого запуска: 0" in run("--all")
    sent = len(fake.requests)
    assert "Школ синхронизировано: 0; без изменений с прошлого запуска: 1" in run("--all")
    assert len(fake.requests) == sent  # nothing computed, nothing sent
    enrolments.student_leave(
        student=school["pupil"], school_class=school["five_a"], reason=RegistryReason.EXPELLED
    )  # an outbox row for the school: its version moved
    assert "Школ синхронизировано: 1; без изменений с прошлого запуска: 0" in run("--all")
    class_ref = f"class-{school['five_a'].cohort.sourced_id}"
    assert len(fake.members(school["school"].sourced_id, class_ref)) == 1  # only the class teacher
    Binding.objects.update(state=BindingState.ENDED)  # behind the sync's back
    assert "без изменений с прошлого запуска: 1" in run("--all")
    assert "Школ синхронизировано: 1; без изменений с прошлого запуска: 0" in run("--all", "--deep")
    assert all(not chat.members for chat in fake.groups.values())
