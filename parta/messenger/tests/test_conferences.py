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
