"""The per-account fast path (issue 6): a link, unlink or restore of one person sends only that person's
memberships, and does so while the school's full reconcile holds the school."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from parta.integration.actions.sync import roster_event_seen, sync_account, sync_school
from parta.integration.models import Binding, BindingState, SyncChange, SyncSchool, SyncStatus
from parta.integration.tests.sync_fakes import SyncPlatform, sync_platform  # noqa: F401 -- the fixture
from parta.integration.tests.test_sync_cases import fake_school_ref, link, refs
from parta.journal.actions import enrolments
from parta.journal.models import RegistryReason
from parta.journal.public import RosterEvent
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(sync_platform: SyncPlatform) -> dict[str, Any]:  # noqa: F811
    school = factories.school("Школа № 5")
    fake_school_ref[0] = school.sourced_id
    teacher = factories.teacher(school)
    five_a = factories.school_class(school, teacher=teacher)
    pupil = factories.student(five_a, "Кузнецов", "Артём")
    late = factories.student(five_a, "Орлов", "Глеб")
    mother = factories.parent_of(late, "Орлова", "Вера")
    for person in (teacher, pupil, late, mother):
        factories.account(person)
    subs = {"teacher": link(sync_platform, teacher, role="teacher"), "pupil": link(sync_platform, pupil)}
    sync_school(school_id=school.pk)
    return {
        "school": school,
        "five_a": five_a,
        "late": late,
        "mother": mother,
        "subs": subs,
        "fake": sync_platform,
    }


def running(school_id: int) -> None:
    """The school's full reconcile holds it, as a worker in the middle of a run does."""
    SyncSchool.objects.filter(school_id=school_id).update(
        status=SyncStatus.RUNNING, last_run_at=timezone.now()
    )


def test_a_link_sends_only_that_persons_memberships_while_a_full_run_holds_the_school(
    school: dict[str, Any],
) -> None:
    fake, s = school["fake"], school["school"]
    class_ref, parents_ref = refs(school["five_a"])
    running(s.pk)
    assert sync_school(school_id=s.pk).status == "busy"  # a second full run would wait
    late = link(fake, school["late"])
    mother = link(fake, school["mother"], role="parent")
    sent = len(fake.requests)
    result = sync_account(account_id=school["late"].account.pk, reason="linked")
    assert (result.changes, result.deferred) == (1, [])
    assert late in fake.members(s.sourced_id, class_ref)
    assert mother not in fake.members(s.sourced_id, parents_ref)  # her own link is her own fast path
    batch = fake.requests[sent][2]["groups"]
    assert batch == [
        {"group_ref": class_ref, "add": [late], "remove": [], "admins_add": [], "admins_remove": []}
    ]  # a delta for one person in one chat: nobody else is sent
    sync_account(account_id=school["mother"].account.pk, reason="linked")
    assert mother in fake.members(s.sourced_id, parents_ref)
    assert SyncChange.objects.get(sub=mother).reason == "linked"
    assert SyncSchool.objects.get(school_id=s.pk).status == SyncStatus.RUNNING  # the full run untouched
    SyncSchool.objects.filter(school_id=s.pk).update(status=SyncStatus.IDLE)
    before = SyncChange.objects.count()
    assert sync_school(school_id=s.pk).status == "ok"
    assert SyncChange.objects.count() == before  # the full run finds it done: nothing twice


def test_an_unlink_takes_the_person_out_of_every_chat_at_once(school: dict[str, Any]) -> None:
    fake, s, subs = school["fake"], school["school"], school["subs"]
    running(s.pk)
    Binding.objects.filter(profile_sub=subs["teacher"]).update(state=BindingState.ENDED)
    result = sync_account(account_id=school["five_a"].class_teacher.account.pk, reason="unlinked")
    assert result.changes == 3  # «Учительская», the class chat, the parents' chat
    assert all(subs["teacher"] not in chat.members for chat in fake.groups.values())
    assert subs["pupil"] in fake.members(s.sourced_id, refs(school["five_a"])[0])
    assert {
        r for (r,) in SyncChange.objects.filter(sub=subs["teacher"], change="removed").values_list("reason")
    } == {"unlinked"}


def test_a_restore_queues_the_family_fast_path_and_brings_them_back(
    school: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    fake, s = school["fake"], school["school"]
    class_ref, parents_ref = refs(school["five_a"])
    late, mother = link(fake, school["late"]), link(fake, school["mother"], role="parent")
    entry = enrolments.student_leave(
        student=school["late"], school_class=school["five_a"], reason=RegistryReason.EXPELLED
    )
    sync_school(school_id=s.pk)
    running(s.pk)
    with django_capture_on_commit_callbacks(execute=True):
        enrolments.registry_restore(entry=entry)
    queued = DBTaskResult.objects.filter(task_path__endswith="sync_account_task")
    accounts = sorted(t.args_kwargs["args"][0] for t in queued)
    assert accounts == sorted([school["late"].account.pk, school["mother"].account.pk])
    assert all(t.priority > 0 for t in queued)
    for account_id in accounts:
        sync_account(account_id=account_id, reason="registry.restored")
    assert late in fake.members(s.sourced_id, class_ref)
    assert mother in fake.members(s.sourced_id, parents_ref)
    assert SyncChange.objects.get(sub=late, change="added").reason == "restored"


def test_a_school_never_synced_is_left_to_its_full_run(sync_platform: SyncPlatform) -> None:  # noqa: F811
    school = factories.school("Школа № 6")
    fake_school_ref[0] = school.sourced_id
    pupil = factories.student(factories.school_class(school), "Лебедев", "Иван")
    factories.account(pupil)
    link(sync_platform, pupil)
    result = sync_account(account_id=pupil.account.pk, reason="linked")
    assert result.deferred == [school.pk]
    assert not sync_platform.requests
    assert SyncSchool.objects.get(school_id=school.pk).status == SyncStatus.PENDING


def test_outbox_events_other_than_restores_do_not_use_the_fast_path(
    school: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        roster_event_seen(RosterEvent(1, "enrolment.created", school["school"].pk, {"student": 1}))
    assert not DBTaskResult.objects.filter(task_path__endswith="sync_account_task").exists()


def test_the_ledger_written_in_bulk_skips_rows_already_there(
    sync_platform: SyncPlatform,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL from COPY_FROM rows on the ledger goes by COPY (here from one row); a member that a fast
    path wrote meanwhile is skipped, not an error."""
    from parta.integration.actions import sync as sync_actions
    from parta.integration.models import SyncMember

    monkeypatch.setattr(sync_actions, "COPY_FROM", 1)
    school = factories.school("Школа № 8")
    fake_school_ref[0] = school.sourced_id
    five_a = factories.school_class(school, teacher=factories.teacher(school))
    pupils = [factories.student(five_a, "Кузнецов", name) for name in ("Артём", "Глеб", "Иван")]
    subs = set()
    for pupil in pupils:
        factories.account(pupil)
        subs.add(link(sync_platform, pupil))
    sync_account(account_id=pupils[0].account.pk)  # deferred: the school was never synced
    assert sync_school(school_id=school.pk).status == "ok"
    class_ref = refs(five_a)[0]
    assert set(SyncMember.objects.filter(group__group_ref=class_ref).values_list("sub", flat=True)) == subs
    assert SyncChange.objects.filter(group_ref=class_ref, change="added").count() == 3
    again = list(
        SyncMember.objects.filter(group__group_ref=class_ref).values_list(*sync_actions.MEMBER_COLUMNS)
    )
    sync_actions._insert_many(SyncMember, sync_actions.MEMBER_COLUMNS, again, unique=True)

    assert SyncMember.objects.filter(group__group_ref=class_ref).count() == 3
    # rows already there among new ones: the new ones are written all the same
    group_id, _, account_id, person_id, _ = again[0]
    late = (group_id, "3f0c1f9e-0000-4000-8000-000000000001", account_id, person_id, False)
    sync_actions._insert_many(SyncMember, sync_actions.MEMBER_COLUMNS, [*again, late], unique=True)
    assert SyncMember.objects.filter(group__group_ref=class_ref).count() == 4
