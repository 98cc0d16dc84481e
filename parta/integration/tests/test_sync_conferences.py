"""Online lessons → conferences (issue 6): a lesson marked «онлайн-урок» becomes a conference «Онлайн-урок»
of its class chat on the platform, moves with the lesson, and is deleted when the lesson is cancelled or
unmarked — checked on the fake platform on a real socket (sync_fakes.py), through the school's run."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from parta.integration.actions.sync import sync_school
from parta.integration.models import SyncConference, SyncSchool, SyncStatus
from parta.integration.tests.sync_fakes import SyncPlatform, sync_platform  # noqa: F401 -- the fixture
from parta.integration.tests.test_sync_cases import fake_school_ref, link
from parta.journal.models import Lesson
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(sync_platform: SyncPlatform) -> dict[str, Any]:  # noqa: F811
    school = factories.school("Школа № 12")
    fake_school_ref[0] = school.sourced_id
    teacher = factories.teacher(school)
    five_a = factories.school_class(school, teacher=teacher)
    pupil = factories.student(five_a, "Кузнецов", "Артём")
    for person in (teacher, pupil):
        factories.account(person)
    subs = {"teacher": link(sync_platform, teacher, role="teacher"), "pupil": link(sync_platform, pupil)}
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    lesson = Lesson.objects.create(
        date=tomorrow,
        number=2,
        starts_at=dt.time(9, 0),
        ends_at=dt.time(9, 45),
        school_class=five_a,
        subject=factories.subject("Математика"),
        teacher=teacher,
        online=True,
    )
    return {"school": school, "five_a": five_a, "lesson": lesson, "subs": subs, "fake": sync_platform}


def conference_calls(fake: SyncPlatform) -> list[tuple[str, str, Any]]:
    return [r for r in fake.requests if "/conferences" in r[1]]


def test_an_online_lesson_becomes_a_conference_of_its_class_chat(school: dict[str, Any]) -> None:
    fake, s, lesson = school["fake"], school["school"], school["lesson"]
    assert sync_school(school_id=s.pk).status == "ok"
    made = fake.conferences_made[(s.sourced_id, f"lesson-{lesson.sourced_id}")]
    assert made["kind"] == "lesson"  # «Онлайн-урок» on the platform
    assert made["title"] == "Математика — 5А класс"
    assert made["group_ref"] == f"class-{school['five_a'].cohort.sourced_id}"
    assert made["organizer"] == school["subs"]["teacher"]
    starts = dt.datetime.fromisoformat(made["start"])
    assert (starts.date(), starts.time(), starts.utcoffset()) == (
        lesson.date,
        dt.time(9, 0),
        dt.timedelta(hours=3),
    )
    assert dt.datetime.fromisoformat(made["end"]).time() == dt.time(9, 45)
    row = SyncConference.objects.get()
    assert (row.lesson_id, row.organizer) == (lesson.pk, school["subs"]["teacher"])
    sent = len(conference_calls(fake))
    assert sync_school(school_id=s.pk).status == "ok"
    assert len(conference_calls(fake)) == sent  # nothing changed: nothing sent again


def test_a_rescheduled_lesson_moves_its_conference(school: dict[str, Any]) -> None:
    fake, s, lesson = school["fake"], school["school"], school["lesson"]
    sync_school(school_id=s.pk)
    lesson.date += dt.timedelta(days=1)
    lesson.starts_at, lesson.ends_at = dt.time(11, 0), dt.time(11, 45)
    lesson.save()
    sync_school(school_id=s.pk)
    key = (s.sourced_id, f"lesson-{lesson.sourced_id}")
    assert len(fake.conferences_made) == 1  # the same conference, moved
    starts = dt.datetime.fromisoformat(fake.conferences_made[key]["start"])
    assert (starts.date(), starts.time()) == (lesson.date, dt.time(11, 0))
    assert SyncConference.objects.get().starts_at == starts


def test_unmarked_or_cancelled_lessons_lose_their_conference(school: dict[str, Any]) -> None:
    fake, s, lesson = school["fake"], school["school"], school["lesson"]
    second = Lesson.objects.create(
        date=lesson.date,
        number=3,
        starts_at=dt.time(10, 0),
        ends_at=dt.time(10, 45),
        school_class=school["five_a"],
        subject=factories.subject("Физика"),
        online=True,
    )
    sync_school(school_id=s.pk)
    assert len(fake.conferences_made) == 2
    assert "organizer" not in fake.conferences_made[(s.sourced_id, f"lesson-{second.sourced_id}")]
    lesson.online = False
    lesson.save()
    second_ref = second.sourced_id
    second.delete()  # cancelled
    sync_school(school_id=s.pk)
    assert not fake.conferences_made
    deleted = [ref for _, _, body in conference_calls(fake) for ref in body.get("delete", [])]
    assert sorted(deleted) == sorted(f"lesson-{ref}" for ref in (lesson.sourced_id, second_ref))
    assert not SyncConference.objects.exists()


def test_saving_a_lesson_queues_its_school(
    school: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    s, lesson = school["school"], school["lesson"]
    sync_school(school_id=s.pk)
    with django_capture_on_commit_callbacks(execute=True):
        lesson.starts_at = dt.time(8, 0)
        lesson.save()
    assert SyncSchool.objects.get(school_id=s.pk).status == SyncStatus.PENDING
    assert DBTaskResult.objects.filter(
        task_path__endswith="sync_school_task", args_kwargs__args=[s.pk]
    ).exists()


def test_a_failed_or_lost_answer_loses_nothing_and_makes_nothing_twice(school: dict[str, Any]) -> None:
    fake, s, lesson = school["fake"], school["school"], school["lesson"]
    sync_school(school_id=s.pk)
    SyncConference.objects.all().delete()  # the answer to the PUT was lost: the ledger never heard of it
    lesson.ends_at = dt.time(9, 40)
    lesson.save()
    fake.fail_next = [500]
    assert sync_school(school_id=s.pk).status == "failed"
    assert not SyncConference.objects.exists()
    assert sync_school(school_id=s.pk, force=True).status == "ok"
    assert len(fake.conferences_made) == 1
    assert SyncConference.objects.get().ends_at.time() == dt.time(6, 40)  # 9:40 Moscow time, in UTC


def test_past_lessons_are_left_alone(school: dict[str, Any]) -> None:
    fake, s, lesson = school["fake"], school["school"], school["lesson"]
    lesson.date = timezone.localdate() - dt.timedelta(days=30)
    lesson.save()
    sync_school(school_id=s.pk)
    assert not fake.conferences_made
    assert not conference_calls(fake)


def test_dry_run_lists_the_conferences(school: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("sync", "--all", "--dry-run", stdout=out, stderr=io.StringIO())
    when = school["lesson"].date.strftime("%d.%m")
    assert f"+ видеоконференция «Математика — 5А класс» {when} 09:00: создать" in out.getvalue()
    assert not school["fake"].conferences_made


def test_the_administration_lists_the_lessons_conferences(school: dict[str, Any]) -> None:
    from django.test import Client

    from parta.journal.models import Account

    sync_school(school_id=school["school"].pk)
    Account.objects.create_superuser("root", "parta-demo")
    client = Client()
    assert client.login(username="root", password="parta-demo")
    response = client.get("/admin/integration/syncconference/")
    assert response.status_code == 200
    assert "Математика — 5А класс" in response.content.decode()


def test_a_conference_refused_for_good_does_not_fail_the_school_nor_repeat_at_every_run(
    school: dict[str, Any], settings: Any
) -> None:
    fake, s, lesson = school["fake"], school["school"], school["lesson"]
    fake.conference_refusal = (409, "Видеоконференции этой организации отключены.")
    result = sync_school(school_id=s.pk)
    assert result.status == "ok"  # the chats are in step; the school is not retried with back-off
    assert "Платформа отказала видеоконференциям: 1" in result.message
    assert "отключены" in SyncConference.objects.get().refused
    assert SyncSchool.objects.get(school_id=s.pk).status == SyncStatus.IDLE
    sent = len(conference_calls(fake))
    assert sync_school(school_id=s.pk).status == "ok"
    assert len(conference_calls(fake)) == sent  # not asked again at every run

    # After PARTA_SYNC_CONFERENCE_RETRY_SECONDS (or when the lesson changes) it is asked again.
    fake.conference_refusal = None
    settings.PARTA_SYNC_CONFERENCE_RETRY_SECONDS = 0
    assert sync_school(school_id=s.pk).status == "ok"
    assert SyncConference.objects.get().refused == ""
    assert (s.sourced_id, f"lesson-{lesson.sourced_id}") in fake.conferences_made


def test_a_refusal_about_the_journal_not_the_conference_is_retried_with_back_off(
    school: dict[str, Any],
) -> None:
    fake, s = school["fake"], school["school"]
    fake.conference_refusal = (429, "Слишком много запросов.")
    assert sync_school(school_id=s.pk).status == "failed"
    assert SyncSchool.objects.get(school_id=s.pk).status == SyncStatus.FAILED
    assert not SyncConference.objects.exists()
