"""The «Видеоконференции» tab, «Расписание» → «Подключиться», and the new-year notice of the «Сферум»
section — through the journal's pages, against a fake API v1 on a real local socket."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from parta.integration.actions.notices import NEW_YEAR
from parta.integration.link_requests import NOT_YET
from parta.integration.models import Binding, BindingState, NewYearNotice
from parta.integration.tests.conftest import signed_in
from parta.integration.tests.fakes import FakePlatform
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db

SUB = "6f1c2d9e-5a1b-4c1d-8e1f-000000000007"
JOIN = "http://platform.test/calls/0b7c/join/"


def bound(account: Any, role: str, sub: str = SUB) -> Binding:
    return Binding.objects.create(
        account=account,
        role=role,
        org_ref="school-1",
        profile_sub=sub,
        profile_name="Кузнецов Артём",
        phone="+79521112233",
        link_id="100",
        state=BindingState.ACTIVE,
    )


OTHER = "http://platform.test/calls/other/join/"


def conference(conf_ref: str, title: str, start: dt.datetime, *, open_now: bool) -> dict[str, Any]:
    return {
        "conf_ref": conf_ref,
        "org_ref": "school-1",
        "title": title,
        "kind": "lesson",
        "kind_label": "Онлайн-урок",
        "start": start.isoformat(),
        "end": (start + dt.timedelta(minutes=45)).isoformat(),
        "join_open": open_now,
        "join_url": JOIN if open_now else None,
    }


def test_conferences_tab_link_only_while_joining_is_open(
    client: Client, platform: FakePlatform, school_day
) -> None:
    bound(school_day["student"], "student")
    later = timezone.now() + dt.timedelta(hours=2)
    platform.conferences = [
        conference("now-1", "Алгебра, 5А", timezone.now() - dt.timedelta(minutes=5), open_now=True),
        conference("later-1", "Физика, 5А", later, open_now=False),
    ]
    signed_in(client, "pupil")
    page = client.get("/integration/?tab=conferences").content.decode()
    for header in ("Наименование", "Тип", "Время", "Ссылка"):
        assert f">{header}</th>" in page
    assert page.count(">Перейти</a>") == 1
    assert f'href="{JOIN}"' in page
    assert "Физика, 5А" in page
    assert NOT_YET in page
    assert "Онлайн-урок" in page
    assert ("GET", f"/profiles/{SUB}/conferences", None) in platform.requests


def test_conferences_tab_with_the_platform_down(client: Client, platform: FakePlatform, school_day) -> None:
    bound(school_day["student"], "student")
    signed_in(client, "pupil")
    platform.fail_next = [503]
    page = client.get("/integration/?tab=conferences")
    assert page.status_code == 200
    assert "Сервис Сферум временно недоступен" in page.content.decode()
    assert Binding.objects.get().state == BindingState.ACTIVE


def test_conferences_tab_when_there_are_none(client: Client, platform: FakePlatform, school_day) -> None:
    bound(school_day["student"], "student")
    signed_in(client, "pupil")
    assert "Видеоконференций пока нет" in client.get("/integration/?tab=conferences").content.decode()


def online_lesson(school_day: dict[str, Any], **extra: Any) -> Any:
    lesson_model = apps.get_model("journal", "Lesson")
    pupil_class = school_day["pupil"].enrolments.get().school_class
    fields: dict[str, Any] = {
        "date": timezone.localdate(),
        "number": 2,
        "starts_at": dt.time(9, 0),
        "ends_at": dt.time(9, 45),
        "school_class": pupil_class,
        "subject": factories.subject("Алгебра"),
    }
    return lesson_model.objects.create(**(fields | extra))


def test_schedule_shows_connect_beside_an_online_lesson_with_an_open_conference(
    client: Client, platform: FakePlatform, school_day
) -> None:
    lesson = online_lesson(school_day, online=True)
    other = online_lesson(
        school_day, online=True, number=3, starts_at=dt.time(10, 0), ends_at=dt.time(10, 45)
    )
    online_lesson(school_day, online=False, number=4, starts_at=dt.time(11, 0), ends_at=dt.time(11, 45))
    bound(school_day["student"], "student")
    platform.conferences = [
        # under the reference the roster sync gives a lesson's conference (test_sync_conferences)
        conference(f"lesson-{lesson.sourced_id}", "Алгебра, 5А", timezone.now(), open_now=True),
        conference(
            f"lesson-{other.sourced_id}",
            "Алгебра, 5А",
            timezone.now() + dt.timedelta(hours=1),
            open_now=False,
        ),
        # another journal's conference that merely shares the sourcedId is not the lesson's
        dict(conference(str(lesson.sourced_id), "Чужая", timezone.now(), open_now=True), join_url=OTHER),
    ]
    signed_in(client, "pupil")
    page = client.get("/schedule/").content.decode()
    assert "Онлайн-уроки" in page
    assert page.count(">Подключиться</a>") == 1
    assert f'data-lesson="{lesson.sourced_id}"' in page
    block = page.split(f'data-lesson="{lesson.sourced_id}"', 1)[1].split("</li>", 1)[0]
    assert f'href="{JOIN}"' in block
    assert OTHER not in page
    later = page.split(f'data-lesson="{other.sourced_id}"', 1)[1].split("</li>", 1)[0]
    assert NOT_YET in later


def test_schedule_tells_a_parent_the_lesson_is_joined_from_the_childs_account(
    client: Client, platform: FakePlatform, school_day
) -> None:
    lesson = online_lesson(school_day, online=True)
    bound(school_day["parent"], "parent", sub="6f1c2d9e-5a1b-4c1d-8e1f-000000000008")
    platform.conferences = [
        conference(f"lesson-{lesson.sourced_id}", "Алгебра, 5А", timezone.now(), open_now=True)
    ]
    signed_in(client, "mother")
    page = client.get("/schedule/").content.decode()
    assert (
        "Если у вашего ребенка дистанционный урок, то переход в дистанционный урок реализуется "
        "непосредственно из учетной записи ребенка в электронном дневнике." in page
    )
    assert ">Подключиться</a>" not in page
    assert not [r for r in platform.requests if r[1].endswith("/conferences")]


def test_schedule_without_online_lessons_asks_the_platform_nothing(
    client: Client, platform: FakePlatform, school_day
) -> None:
    online_lesson(school_day, online=False)
    bound(school_day["student"], "student")
    signed_in(client, "pupil")
    page = client.get("/schedule/").content.decode()
    assert "Онлайн-уроки" not in page
    assert platform.requests == []


def test_schedule_not_linked_points_to_linking(client: Client, platform: FakePlatform, school_day) -> None:
    online_lesson(school_day, online=True)
    signed_in(client, "pupil")
    page = client.get("/schedule/").content.decode()
    assert "привяжите учетную запись к Сферум" in page
    assert ">Подключиться</a>" not in page


# --- the new-year notice --------------------------------------------------------------------------------


def test_new_year_notice_once_per_account_after_the_rollover(
    client: Client, platform: FakePlatform, school_day
) -> None:
    for who, role in (("student", "student"), ("parent", "parent"), ("teacher", "teacher")):
        bound(school_day[who], role, sub=f"6f1c2d9e-5a1b-4c1d-8e1f-00000000001{len(role)}")
    signed_in(client, "pupil")
    assert NEW_YEAR not in client.get("/integration/").content.decode()  # nothing moved yet

    call_command("rollover", to=2027, verbosity=0)  # 5А → 6А

    assert NEW_YEAR in client.get("/integration/").content.decode()
    assert NEW_YEAR not in client.get("/integration/").content.decode()  # once
    assert NewYearNotice.objects.filter(account=school_day["student"]).count() == 1

    signed_in(client, "mother")  # the parent of a promoted student
    assert NEW_YEAR in client.get("/integration/").content.decode()
    signed_in(client, "teach")  # nobody moved a teacher
    assert NEW_YEAR not in client.get("/integration/").content.decode()
