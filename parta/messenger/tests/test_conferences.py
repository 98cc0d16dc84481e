"""Video conferences: planned by the journal over API v1, listed in «Звонки» and for the journal, joined
through the server-enforced window — against FakeBigBlueButton on 127.0.0.1 and a Jitsi token. The clock
is moved with PARTA_CLOCK_OFFSET_FILE, never waited for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from parta.messenger.actions.conferences import conference_put
from parta.messenger.actions.errors import MessengerError
from parta.messenger.models import Conference, ConferenceParticipant
from parta.messenger.tests import factories
from parta.messenger.tests.apiclient import Journal, journal
from parta.messenger.video.fakes import FakeBigBlueButton

pytestmark = pytest.mark.django_db

NOT_STARTED = "Ссылка будет доступна в момент начала видеоконференции"
SECRET = "bbb-secret-for-conference-tests"


@pytest.fixture
def clock(settings: Any, tmp_path: Path) -> Any:
    path = tmp_path / "clock-offset"
    settings.PARTA_CLOCK_OFFSET_FILE = str(path)
    return lambda seconds: path.write_text(str(seconds))


@pytest.fixture
def bbb(settings: Any) -> Iterator[FakeBigBlueButton]:
    with FakeBigBlueButton(secret=SECRET) as fake:
        settings.PARTA_VIDEO_ENGINE = "bigbluebutton"
        settings.PARTA_BBB_URL = fake.url
        settings.PARTA_BBB_SECRET = SECRET
        yield fake


@pytest.fixture
def bars(db: None) -> Journal:
    j = journal("БАРС.Электронная школа")
    assert j.put("/orgs/school-1", {"name": "ГБОУ Школа № 1"}).status_code == 201
    return j


def signed_in(profile: Any) -> Client:
    client = Client()
    client.force_login(profile.account)
    return client


def soon(minutes: int = 60) -> dt.datetime:
    return (timezone.now() + dt.timedelta(minutes=minutes)).replace(microsecond=0)


@pytest.fixture
def lesson(school: Any) -> Conference:
    """An online lesson of 5А in an hour: the class chat's members take part, the teacher organizes."""
    chat = factories.chat(
        school.org, members=[school.teacher, school.student], admins=[school.teacher], managed_ref="5a"
    )
    assert chat.pk
    conference, created = conference_put(
        client_id=school.org.client_id,
        org_ref=school.org.ref,
        conf_ref="lesson-1",
        title="Алгебра, 5А",
        kind="lesson",
        starts_at=soon(),
        ends_at=soon(105),
        group_ref="5a",
        participants=[school.parent.sub],
        organizer=school.teacher.sub,
    )
    assert created
    return conference


def test_participants_are_the_chat_the_listed_and_the_organizer(school: Any, lesson: Conference) -> None:
    for person in (school.teacher, school.student, school.parent):
        page = signed_in(person).get("/calls/").content.decode()
        assert "Алгебра, 5А" in page
        assert "Онлайн-урок" in page
    assert "Алгебра, 5А" not in signed_in(school.other_student).get("/calls/").content.decode()
    join = f"/calls/{lesson.uuid}/join/"
    assert signed_in(school.other_student).get(join).status_code == 404


def test_before_the_window_the_link_is_refused_by_the_server(
    school: Any, lesson: Conference, bbb: FakeBigBlueButton, clock: Any
) -> None:
    client = signed_in(school.student)
    page = client.get("/calls/").content.decode()
    assert NOT_STARTED in page
    assert "Подключиться" not in page
    refused = client.get(f"/calls/{lesson.uuid}/join/")
    assert refused.status_code == 403
    assert NOT_STARTED in refused.content.decode()
    assert bbb.calls == []  # nothing reached the video server

    clock(60 * 60 - 5 * 60)  # the start minus the 5-minute grace: open
    page = client.get("/calls/").content.decode()
    assert "Подключиться" in page
    joined = client.get(f"/calls/{lesson.uuid}/join/")
    assert joined.status_code == 302
    assert joined["Location"].startswith(bbb.url)
    opened = httpx.get(joined["Location"])  # the link works on the engine
    assert opened.status_code == 302
    attendee = bbb.meetings[lesson.room_id].attendees[-1]
    assert attendee.full_name == "Кузнецов Артём Дмитриевич"
    assert attendee.role == "VIEWER"

    teacher = signed_in(school.teacher).get(f"/calls/{lesson.uuid}/join/")
    assert parse_qs(urlsplit(teacher["Location"]).query)["role"] == ["MODERATOR"]

    clock(105 * 60)  # the end
    ended = client.get(f"/calls/{lesson.uuid}/join/")
    assert ended.status_code == 403
    assert "Видеоконференция уже закончилась" in ended.content.decode()


def test_without_a_video_engine_the_person_is_told_plainly(
    school: Any, lesson: Conference, clock: Any
) -> None:
    clock(60 * 60)
    response = signed_in(school.student).get(f"/calls/{lesson.uuid}/join/")
    assert response.status_code == 503
    assert "Видеоконференции не настроены" in response.content.decode()


def test_put_is_idempotent_and_sets_listed_participants_set_wise(school: Any, lesson: Conference) -> None:
    args = {
        "client_id": school.org.client_id,
        "org_ref": school.org.ref,
        "conf_ref": "lesson-1",
        "title": "Алгебра, 5А",
        "kind": "lesson",
        "starts_at": lesson.starts_at,
        "ends_at": lesson.ends_at,
        "group_ref": "5a",
        "organizer": school.teacher.sub,
    }
    again, created = conference_put(**args, participants=[school.parent.sub])
    assert not created
    assert again.pk == lesson.pk
    assert again.updated_at == lesson.updated_at
    conference_put(**args, participants=[school.staff.sub])
    assert set(ConferenceParticipant.objects.values_list("profile_id", flat=True)) == {school.staff.pk}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": soon(30)}, "Окончание видеоконференции должно быть позже её начала."),
        ({"starts_at": dt.datetime(2026, 9, 1, 9, 0)}, "с часовым поясом"),
        ({"kind": "party"}, "Тип видеоконференции"),
        ({"title": "  "}, "Введите название видеоконференции."),
        ({"group_ref": "nope"}, "Группа «nope» не найдена"),
        ({"ends_at": soon(60 * 30)}, "дольше суток"),
    ],
)
def test_bad_plans_are_refused_in_russian(school: Any, change: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "client_id": school.org.client_id,
        "org_ref": school.org.ref,
        "conf_ref": "x",
        "title": "Встреча",
        "kind": "meeting",
        "starts_at": soon(),
        "ends_at": soon(90),
    }
    args.update(change)
    with pytest.raises(MessengerError, match=message):
        conference_put(**args)
    assert not Conference.objects.exists()


def test_only_members_of_the_organization_take_part(school: Any, outsider: Any) -> None:
    with pytest.raises(MessengerError, match="1 из указанных профилей"):
        conference_put(
            client_id=school.org.client_id,
            org_ref=school.org.ref,
            conf_ref="x",
            title="Встреча",
            kind="meeting",
            starts_at=soon(),
            ends_at=soon(90),
            participants=[school.parent.sub, outsider.sub],
        )


def test_api_plans_lists_and_deletes_a_conference(bars: Journal, clock: Any, settings: Any) -> None:
    settings.PARTA_VIDEO_ENGINE = "jitsi"
    settings.PARTA_JITSI_URL = "https://meet.example.ru"
    settings.PARTA_JITSI_APP_ID = "parta"
    settings.PARTA_JITSI_APP_SECRET = "jitsi-secret-for-tests-0123456789"
    teacher, student = factories.profile(first="Анна"), factories.profile(first="Артём")
    bars.link(teacher, "school-1", "t-1", "teacher")
    bars.link(student, "school-1", "s-1", "student")
    start = soon()
    body = {
        "title": "Алгебра, 5А",
        "kind": "lesson",
        "start": start.isoformat(),
        "end": (start + dt.timedelta(minutes=45)).isoformat(),
        "participants": [str(student.sub)],
        "organizer": str(teacher.sub),
    }
    created = bars.put("/orgs/school-1/conferences/lesson-1", body)
    assert created.status_code == 201
    assert created.json()["kind_label"] == "Онлайн-урок"
    assert bars.put("/orgs/school-1/conferences/lesson-1", body).status_code == 200

    listed = bars.get(f"/profiles/{student.sub}/conferences").json()
    assert [(c["conf_ref"], c["join_open"], c["join_url"]) for c in listed] == [("lesson-1", False, None)]

    clock(60 * 60)
    (row,) = bars.get(f"/profiles/{student.sub}/conferences").json()
    assert row["join_open"] is True
    conference = Conference.objects.get()
    assert row["join_url"] == f"http://testserver/calls/{conference.uuid}/join/"
    # The URL is the platform's «Подключиться»: it mints the Jitsi link for the signed-in person.
    jitsi = signed_in(student).get(urlsplit(row["join_url"]).path)
    assert jitsi.status_code == 302
    assert jitsi["Location"].startswith(f"https://meet.example.ru/{conference.room_id}?jwt=")

    mesh = journal("МЭШ")
    assert mesh.get(f"/profiles/{student.sub}/conferences").status_code == 404
    assert mesh.delete("/orgs/school-1/conferences/lesson-1").status_code == 404
    assert bars.put("/orgs/school-1/conferences/x", dict(body, end=body["start"])).status_code == 400
    assert bars.put("/orgs/school-1/conferences/x", dict(body, title="Алгебра\u0000")).status_code == 422
    assert bars.put("/orgs/school-1/conferences/x%00", body).status_code == 422

    assert bars.delete("/orgs/school-1/conferences/lesson-1").status_code == 204
    assert bars.delete("/orgs/school-1/conferences/lesson-1").status_code == 204
    assert bars.get(f"/profiles/{student.sub}/conferences").json() == []


def test_any_utc_offset_python_reads_is_stored_as_its_moment(bars: Journal) -> None:
    """PostgreSQL takes UTC offsets up to ±15:59, Python up to ±23:59: the API stores the moment in UTC,
    and a moment before year 1 in UTC is a 422, never a 500 (found by the schema's fuzz test)."""
    body = {"title": "Кружок", "kind": "other", "start": "2026-09-01T09:00:00-22:00"}
    body["end"] = "2026-09-01T10:00:00-22:00"
    assert bars.put("/orgs/school-1/conferences/far-west", body).status_code == 201
    conference = Conference.objects.get(ref="far-west")
    assert conference.starts_at == dt.datetime(2026, 9, 2, 7, 0, tzinfo=dt.UTC)
    too_early = dict(body, start="0001-01-01T00:00:00+05:00")
    answer = bars.put("/orgs/school-1/conferences/too-early", too_early)
    assert answer.status_code == 422
    assert "вне допустимого диапазона" in answer.content.decode()


def test_a_batch_plans_moves_refuses_and_deletes_many_conferences_at_once(
    bars: Journal, django_assert_max_num_queries: Any
) -> None:
    teacher, student, parent = (factories.profile(first=name) for name in ("Анна", "Артём", "Елена"))
    bars.link(teacher, "school-1", "t-1", "teacher")
    bars.link(student, "school-1", "s-1", "student")
    outsider = factories.profile(first="Ольга")  # in no organization of this journal
    start = soon()

    def lesson(number: int, **change: Any) -> dict[str, Any]:
        begins = start + dt.timedelta(days=number)
        return {
            "conf_ref": f"lesson-{number}",
            "title": f"Алгебра, урок {number}",
            "start": begins.isoformat(),
            "end": (begins + dt.timedelta(minutes=45)).isoformat(),
            "participants": [str(student.sub)],
            "organizer": str(teacher.sub),
            **change,
        }

    put = [lesson(n) for n in range(1, 41)]
    put.append(lesson(41, participants=[str(outsider.sub)]))
    put.append(lesson(42, end=put[0]["start"]))
    put.append(lesson(43, group_ref="no-such-group"))
    put.append(lesson(1, title="Повтор"))
    # Forty conferences in a fixed number of statements, not forty times as many.
    with django_assert_max_num_queries(20):
        answer = bars.post("/orgs/school-1/conferences:sync", {"put": put, "delete": ["never-made"]})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["status"] for r in results[:40]] == ["created"] * 40
    assert [(r["conf_ref"], r["status"]) for r in results[40:]] == [
        ("lesson-41", "refused"),
        ("lesson-42", "refused"),
        ("lesson-43", "refused"),
        ("lesson-1", "refused"),
        ("never-made", "absent"),
    ]
    assert "1 из указанных профилей в неё не входят" in results[40]["error"]
    assert results[41]["error"] == "Окончание видеоконференции должно быть позже её начала."
    assert results[42]["error"] == "Группа «no-such-group» не найдена в этой организации."
    assert results[43]["error"] == "Видеоконференция повторяется в пакете."
    assert Conference.objects.count() == 40
    assert ConferenceParticipant.objects.count() == 40
    assert [c["conf_ref"] for c in bars.get(f"/profiles/{student.sub}/conferences").json()][:2] == [
        "lesson-1",
        "lesson-2",
    ]

    # The same batch again changes nothing; a moved lesson and a new participant are updates.
    again = bars.post("/orgs/school-1/conferences:sync", {"put": put[:40]}).json()["results"]
    assert {r["status"] for r in again} == {"unchanged"}
    moved = lesson(
        2,
        start=(start + dt.timedelta(days=9)).isoformat(),
        end=(start + dt.timedelta(days=9, hours=1)).isoformat(),
    )
    bars.link(parent, "school-1", "p-1", "parent")
    joined = lesson(3, participants=[str(student.sub), str(parent.sub)])
    answer = bars.post(
        "/orgs/school-1/conferences:sync", {"put": [moved, joined], "delete": ["lesson-4", "lesson-4"]}
    )
    assert [r["status"] for r in answer.json()["results"]] == ["updated", "updated", "deleted", "deleted"]
    assert Conference.objects.get(ref="lesson-2").starts_at == start + dt.timedelta(days=9)
    assert set(
        ConferenceParticipant.objects.filter(conference__ref="lesson-3").values_list("profile_id", flat=True)
    ) == {student.pk, parent.pk}
    assert not Conference.objects.filter(ref="lesson-4").exists()

    # Another journal cannot touch them; a malformed batch is refused whole, naming the field.
    assert journal("МЭШ").post("/orgs/school-1/conferences:sync", {"delete": ["lesson-1"]}).status_code == 404
    bad = bars.post("/orgs/school-1/conferences:sync", {"put": [lesson(5, kind="party")]})
    assert bad.status_code == 422
    assert Conference.objects.count() == 39
