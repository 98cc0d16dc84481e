"""Roster → chats: every case of issue 6 against the fake platform on a real socket (sync_fakes.py).

The roster changes through the journal's own actions, as its users make them; the chats are checked on
the platform's side (what its groups:sync made of the batches), the reasons in the history.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

import pytest
from django.utils import timezone

from parta.integration.actions.audit import binding_event_record
from parta.integration.actions.sync import sync_mark_dirty, sync_school
from parta.integration.models import (
    Binding,
    BindingEventKind,
    BindingState,
    SyncChange,
    SyncSchool,
    SyncStatus,
)
from parta.integration.tests.sync_fakes import SyncPlatform, sync_platform  # noqa: F401 -- the fixture
from parta.journal.actions import enrolments, rollover
from parta.journal.actions import staff as staff_actions
from parta.journal.models import RegistryEntry, RegistryReason, StaffAssignment
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db
_links = itertools.count(1)


def link(fake: SyncPlatform, person: Any, *, role: str = "student") -> str:
    """The account linked as binding_create leaves it: an active binding and the platform's link."""
    account = person.account if hasattr(person, "account") else factories.account(person)
    sub = str(uuid.uuid4())
    school_ref = fake_school_ref[0]
    link_id = str(next(_links))
    Binding.objects.create(
        account=account,
        role=role,
        org_ref=school_ref,
        profile_sub=sub,
        link_id=link_id,
        state=BindingState.ACTIVE,
        linked_at=timezone.now(),
    )
    fake.links[link_id] = {
        "id": link_id,
        "profile_sub": sub,
        "org_ref": school_ref,
        "journal_account_ref": str(account.pk),
        "roles": [role],
    }
    return sub


fake_school_ref: list[str] = [""]


@pytest.fixture
def school(sync_platform: SyncPlatform) -> dict[str, Any]:  # noqa: F811
    school = factories.school("Школа № 7")
    fake_school_ref[0] = school.sourced_id
    teacher = factories.teacher(school)
    five_a = factories.school_class(school, teacher=teacher)
    pupil = factories.student(five_a, "Кузнецов", "Артём")
    sister = factories.student(five_a, "Кузнецова", "Мария")
    mother = factories.parent_of(pupil, "Кузнецова", "Елена")
    for person in (teacher, pupil, sister, mother):
        factories.account(person)
    subs = {
        "teacher": link(sync_platform, teacher, role="teacher"),
        "pupil": link(sync_platform, pupil),
        "sister": link(sync_platform, sister),
        "mother": link(sync_platform, mother, role="parent"),
    }
    return {
        "school": school,
        "teacher": teacher,
        "five_a": five_a,
        "pupil": pupil,
        "sister": sister,
        "mother": mother,
        "subs": subs,
        "fake": sync_platform,
    }


def chat(fake: SyncPlatform, school: Any, ref: str) -> Any:
    return fake.groups[(school.sourced_id, ref)]


def refs(school_class: Any) -> tuple[str, str]:
    return f"class-{school_class.cohort.sourced_id}", f"parents-{school_class.cohort.sourced_id}"


def reasons(**filters: Any) -> list[tuple[str, str, str]]:
    return sorted(SyncChange.objects.filter(**filters).values_list("group_ref", "change", "reason"))


def test_linked_people_find_their_three_chats_made(school: dict[str, Any]) -> None:
    fake, s, subs = school["fake"], school["school"], school["subs"]
    result = sync_school(school_id=s.pk)
    assert result.status == "ok"
    class_ref, parents_ref = refs(school["five_a"])
    staff = chat(fake, s, "staff")
    assert staff.title == "Учительская — Школа № 7"
    assert staff.kind == "staff"
    assert staff.members == {subs["teacher"]}
    klass = chat(fake, s, class_ref)
    assert (klass.title, klass.kind) == ("5А класс", "class")
    assert klass.members == {subs["teacher"], subs["pupil"], subs["sister"]}
    assert klass.admins == {subs["teacher"]}
    parents = chat(fake, s, parents_ref)
    assert (parents.title, parents.kind) == ("5А Родители", "parents")
    assert parents.members == {subs["teacher"], subs["mother"]}
    assert parents.admins == {subs["teacher"]}
    assert ("staff", "added", "hired") in reasons()
    assert (class_ref, "added", "enrolled") in reasons()
    assert (class_ref, "added", "class_teacher") in reasons()
    # Nothing left to do: a second run sends nothing at all.
    sent = len(fake.requests)
    assert sync_school(school_id=s.pk).plan.changes == 0  # type: ignore[union-attr]
    assert len(fake.requests) == sent
    assert SyncSchool.objects.get(school_id=s.pk).status == SyncStatus.IDLE


def test_only_linked_accounts_are_members_and_others_join_when_they_link(school: dict[str, Any]) -> None:
    fake, s = school["fake"], school["school"]
    late = factories.student(school["five_a"], "Орлов", "Олег")
    factories.account(late)
    sync_school(school_id=s.pk)
    class_ref, _ = refs(school["five_a"])
    assert len(chat(fake, s, class_ref).members) == 3
    sub = link(fake, late)
    sync_school(school_id=s.pk)
    assert sub in chat(fake, s, class_ref).members
    assert SyncChange.objects.get(sub=sub).reason == "linked"


def test_linking_queues_the_users_fast_path_ahead_of_school_runs(
    school: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    s = school["school"]
    sync_school(school_id=s.pk)
    account_id = school["pupil"].account.pk
    with django_capture_on_commit_callbacks(execute=True):
        binding_event_record(kind=BindingEventKind.LINKED, account_id=account_id)
    task = DBTaskResult.objects.get(task_path__endswith="sync_account_task")
    assert task.args_kwargs["args"] == [account_id, "linked"]
    assert task.priority > 0  # before the queued school runs (priority 0)
    assert SyncSchool.objects.get(school_id=s.pk).status == SyncStatus.IDLE  # no whole-school run


def test_unlink_takes_the_user_out_of_every_chat(school: dict[str, Any]) -> None:
    fake, s, subs = school["fake"], school["school"], school["subs"]
    sync_school(school_id=s.pk)
    Binding.objects.filter(profile_sub=subs["teacher"]).update(state=BindingState.ENDED)
    sync_school(school_id=s.pk)
    assert all(subs["teacher"] not in c.members for c in fake.groups.values())
    assert {r for _, _, r in reasons(sub=subs["teacher"], change="removed")} == {"unlinked"}
    assert len(reasons(sub=subs["teacher"], change="removed")) == 3


def test_expelled_student_leaves_and_parent_stays_for_another_child(school: dict[str, Any]) -> None:
    fake, s, subs = school["fake"], school["school"], school["subs"]
    from parta.journal.models import Guardianship

    Guardianship.objects.get_or_create(guardian=school["mother"], student=school["sister"])
    sync_school(school_id=s.pk)
    class_ref, parents_ref = refs(school["five_a"])
    enrolments.student_leave(
        student=school["pupil"], school_class=school["five_a"], reason=RegistryReason.EXPELLED
    )
    sync_school(school_id=s.pk)
    assert subs["pupil"] not in chat(fake, s, class_ref).members
    assert subs["mother"] in chat(fake, s, parents_ref).members  # her daughter is still in 5А
    assert reasons(sub=subs["pupil"], change="removed") == [(class_ref, "removed", "expelled")]
    enrolments.student_leave(
        student=school["sister"], school_class=school["five_a"], reason=RegistryReason.EXPELLED
    )
    sync_school(school_id=s.pk)
    assert subs["mother"] not in chat(fake, s, parents_ref).members
    assert reasons(sub=subs["mother"], change="removed") == [(parents_ref, "removed", "expelled")]


def test_restore_and_cancelled_restore(school: dict[str, Any]) -> None:
    fake, s, subs = school["fake"], school["school"], school["subs"]
    class_ref, parents_ref = refs(school["five_a"])
    entry = enrolments.student_leave(
        student=school["pupil"], school_class=school["five_a"], reason=RegistryReason.EXPELLED
    )
    sync_school(school_id=s.pk)
    assert subs["mother"] not in chat(fake, s, parents_ref).members
    enrolments.registry_restore(entry=entry)
    sync_school(school_id=s.pk)
    assert subs["pupil"] in chat(fake, s, class_ref).members
    assert subs["mother"] in chat(fake, s, parents_ref).members
    assert (class_ref, "added", "restored") in reasons(sub=subs["pupil"])
    assert (parents_ref, "added", "restored") in reasons(sub=subs["mother"])
    enrolments.registry_cancel_restore(entry=RegistryEntry.objects.get(pk=entry.pk))
    sync_school(school_id=s.pk)
    assert subs["pupil"] not in chat(fake, s, class_ref).members
    assert subs["mother"] not in chat(fake, s, parents_ref).members
    assert (class_ref, "removed", "restore_cancelled") in reasons(sub=subs["pupil"])


def test_new_class_teacher_becomes_admin_and_a_leaving_teacher_leaves(school: dict[str, Any]) -> None:
    fake, s, subs = school["fake"], school["school"], school["subs"]
    class_ref, parents_ref = refs(school["five_a"])
    sync_school(school_id=s.pk)
    other = factories.teacher(s, "Волкова", "Ирина")
    factories.account(other)
    other_sub = link(fake, other, role="teacher")
    sync_school(school_id=s.pk)
    assert reasons(sub=other_sub) == [("staff", "added", "linked")]
    staff_actions.class_teacher_set(school_class=school["five_a"], teacher=other)
    sync_school(school_id=s.pk)
    assert chat(fake, s, class_ref).admins == {other_sub}
    assert chat(fake, s, parents_ref).admins == {other_sub}
    assert subs["teacher"] not in chat(fake, s, class_ref).members
    assert (class_ref, "added", "class_teacher") in reasons(sub=other_sub)
    staff_actions.staff_leave(assignment=StaffAssignment.objects.get(person=school["teacher"]))
    sync_school(school_id=s.pk)
    assert subs["teacher"] not in chat(fake, s, "staff").members
    assert reasons(sub=subs["teacher"], group_ref="staff") == [
        ("staff", "added", "hired"),
        ("staff", "removed", "staff_left"),
    ]


def test_year_rollover_renames_the_cohort_chat_and_graduates_leave(school: dict[str, Any]) -> None:
    fake, s, subs = school["fake"], school["school"], school["subs"]
    eleven = factories.school_class(s, grade=11, letter="Б")
    senior = factories.student(eleven, "Старшов", "Глеб")
    factories.account(senior)
    senior_sub = link(fake, senior)
    sync_school(school_id=s.pk)
    class_ref, _ = refs(school["five_a"])
    senior_ref, _ = refs(eleven)
    chat_id = chat(fake, s, class_ref).chat_id
    rollover.year_rollover(to_start_year=2027)
    first = factories.school_class(s, grade=1, letter="А", in_year=factories.year(2027))
    tiny = factories.student(first, "Малышев", "Лев")
    factories.account(tiny)
    tiny_sub = link(fake, tiny)
    sent = len(fake.requests)
    sync_school(school_id=s.pk)
    moved = chat(fake, s, class_ref)
    assert (moved.title, moved.chat_id) == ("6А класс", chat_id)  # renamed, not recreated
    # the rename went as a delta with the new title: the members were not all sent again
    (rename,) = [
        g
        for _, _, body in fake.requests[sent:]
        for g in body.get("groups", ())
        if g["group_ref"] == class_ref
    ]
    assert rename["title"] == "6А класс"
    assert "members" not in rename
    assert moved.members == {subs["teacher"], subs["pupil"], subs["sister"]}
    graduated = chat(fake, s, senior_ref)
    assert graduated.archived
    assert senior_sub not in graduated.members
    assert reasons(sub=senior_sub, change="removed") == [(senior_ref, "removed", "graduated")]
    assert tiny_sub in chat(fake, s, refs(first)[0]).members
    # the promoted pupils were not touched: no change of theirs after the first run
    assert reasons(sub=subs["pupil"], change="removed") == []


def test_large_removal_holds_for_the_operators_approval(school: dict[str, Any], settings: Any) -> None:
    fake, s, subs = school["fake"], school["school"], school["subs"]
    settings.PARTA_SYNC_HOLD_MIN = 1
    settings.PARTA_SYNC_HOLD_SHARE = 0.0
    sync_school(school_id=s.pk)
    class_ref, _ = refs(school["five_a"])
    Binding.objects.filter(profile_sub__in=[subs["pupil"], subs["sister"]]).update(state=BindingState.ENDED)
    sent = len(fake.requests)
    result = sync_school(school_id=s.pk)
    assert result.status == "held"
    assert "ждёт подтверждения оператора" in result.message
    assert len(fake.requests) == sent  # nothing sent
    assert subs["pupil"] in chat(fake, s, class_ref).members
    row = SyncSchool.objects.get(school_id=s.pk)
    assert (row.status, row.held_removals) == (SyncStatus.HELD, 2)
    from parta.integration.actions.sync import sync_approve

    assert sync_approve(school_ids=[s.pk], actor="operator") == 1
    assert sync_school(school_id=s.pk).status == "ok"
    assert subs["pupil"] not in chat(fake, s, class_ref).members


def test_platform_errors_retry_with_back_off_and_lose_nothing(school: dict[str, Any]) -> None:
    from django_tasks_db.models import DBTaskResult

    fake, s = school["fake"], school["school"]
    fake.fail_next = [500]
    with_capture = sync_school(school_id=s.pk)
    assert with_capture.status == "failed"
    row = SyncSchool.objects.get(school_id=s.pk)
    assert row.status == SyncStatus.FAILED
    assert row.attempts == 1
    assert row.next_attempt_at
    assert row.next_attempt_at > timezone.now()
    assert not SyncChange.objects.exists()
    assert sync_school(school_id=s.pk).status == "waiting"  # the retry is not due yet
    assert sync_school(school_id=s.pk, force=True).status == "ok"
    assert SyncChange.objects.count() == 6  # staff room 1, class chat 3, parents' chat 2
    assert SyncSchool.objects.get(school_id=s.pk).attempts == 0
    del DBTaskResult


def test_a_lost_answer_is_sent_again_and_counted_once(school: dict[str, Any]) -> None:
    """The platform applied the batch but the answer was lost (500): the ledger and history are not
    written; the next run sends the same changes, the platform answers zeros, nothing is doubled."""
    fake, s, subs = school["fake"], school["school"], school["subs"]
    fake.apply_then_fail = 1
    assert sync_school(school_id=s.pk).status == "failed"
    class_ref, _ = refs(school["five_a"])
    assert subs["pupil"] in chat(fake, s, class_ref).members  # applied on the platform
    assert not SyncChange.objects.exists()
    assert sync_school(school_id=s.pk, force=True).status == "ok"
    assert SyncChange.objects.filter(sub=subs["pupil"]).count() == 1
    assert chat(fake, s, class_ref).members == {subs["teacher"], subs["pupil"], subs["sister"]}


def test_the_school_is_put_on_the_platform_once_and_again_when_renamed_or_lost(
    school: dict[str, Any],
) -> None:
    fake, s, subs = school["fake"], school["school"], school["subs"]

    def org_puts() -> int:
        return sum(1 for method, path, _ in fake.requests if method == "PUT" and path.endswith(s.sourced_id))

    assert sync_school(school_id=s.pk).status == "ok"
    assert (org_puts(), fake.orgs[s.sourced_id]) == (1, "Школа № 7")
    class_ref, _ = refs(school["five_a"])

    # a roster change: its chats change, the school is not sent again
    enrolments.student_leave(
        student=school["pupil"], school_class=school["five_a"], reason=RegistryReason.EXPELLED
    )
    assert sync_school(school_id=s.pk).status == "ok"
    assert subs["pupil"] not in chat(fake, s, class_ref).members
    assert org_puts() == 1

    # renamed in the journal: the platform gets the new name, and the staff room its new title
    s.name = "Лицей № 7"
    s.save(update_fields=["name"])
    assert sync_school(school_id=s.pk).status == "ok"
    assert (org_puts(), fake.orgs[s.sourced_id]) == (2, "Лицей № 7")
    assert chat(fake, s, "staff").title == "Учительская — Лицей № 7"

    # the platform lost the school: the run is refused once, the retry puts the school first
    del fake.orgs[s.sourced_id]
    enrolments.student_leave(
        student=school["sister"], school_class=school["five_a"], reason=RegistryReason.EXPELLED
    )
    assert sync_school(school_id=s.pk).status == "failed"
    assert sync_school(school_id=s.pk, force=True).status == "ok"
    assert (org_puts(), fake.orgs[s.sourced_id]) == (3, "Лицей № 7")
    assert subs["sister"] not in chat(fake, s, class_ref).members


def test_duplicated_outbox_rows_change_nothing_twice(
    school: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    from parta.integration.actions.sync import sync_outbox_pump
    from parta.journal.actions.outbox import outbox_emit

    s = school["school"]
    sync_outbox_pump()
    sync_school(school_id=s.pk)
    before = SyncChange.objects.count()
    with transaction.atomic():
        outbox_emit(kind="enrolment.created", school_id=s.pk, student=1)
        outbox_emit(kind="enrolment.created", school_id=s.pk, student=1)
    assert sync_outbox_pump() == 2
    assert SyncSchool.objects.get(school_id=s.pk).dirty
    assert sync_school(school_id=s.pk).plan.changes == 0  # type: ignore[union-attr]
    assert SyncChange.objects.count() == before
    assert not SyncSchool.objects.get(school_id=s.pk).dirty


def test_a_change_during_a_run_keeps_the_school_dirty(school: dict[str, Any]) -> None:
    s = school["school"]
    sync_mark_dirty(school_ids=[s.pk], reason="test")
    row = SyncSchool.objects.get(school_id=s.pk)
    assert row.status == SyncStatus.PENDING
    # a run that started before this mark leaves it dirty
    SyncSchool.objects.filter(pk=row.pk).update(dirty_seq=row.dirty_seq)
    sync_school(school_id=s.pk)
    assert not SyncSchool.objects.get(pk=row.pk).dirty
    sync_mark_dirty(school_ids=[s.pk], reason="enrolment.created")
    assert SyncSchool.objects.get(pk=row.pk).dirty


def test_a_run_of_a_killed_worker_is_taken_over_after_its_lease(school: dict[str, Any]) -> None:
    s = school["school"]
    SyncSchool.objects.create(school_id=s.pk, status=SyncStatus.RUNNING, last_run_at=timezone.now())
    assert sync_school(school_id=s.pk).status == "busy"
    SyncSchool.objects.filter(school_id=s.pk).update(last_run_at=timezone.now() - dt.timedelta(hours=1))
    assert sync_school(school_id=s.pk).status == "ok"


def test_the_journal_workers_queue_the_periodic_reconcile_themselves(school: dict[str, Any]) -> None:
    """No cron: the journal's task workers queue `sync_all` (changed schools) and `sync_all_deep` (every
    school, the nightly safety net) from PARTA_PERIODIC_TASKS (parta/core/periodic.py)."""
    from django_tasks_db.models import DBTaskResult

    from parta.core.periodic import periodic_tick
    from parta.integration.actions.sync import sync_outbox_pump
    from parta.integration.tasks import sync_all_deep_task, sync_all_task

    s = school["school"]
    sync_outbox_pump()
    sync_school(school_id=s.pk)  # in step with the journal
    assert sorted(periodic_tick(now=timezone.now())) == [
        "integration.repair",
        "integration.sync_all",
        "integration.sync_all_deep",
    ]
    assert {r.task_path for r in DBTaskResult.objects.all()} >= {
        "parta.integration.tasks.sync_all_task",
        "parta.integration.tasks.sync_all_deep_task",
    }
    assert sync_all_task.call() == 0  # nothing changed since the last run: the school is skipped
    assert not SyncSchool.objects.get(school_id=s.pk).dirty
    assert sync_all_deep_task.call() == 1  # the safety net looks at it anyway
    assert SyncSchool.objects.get(school_id=s.pk).dirty
