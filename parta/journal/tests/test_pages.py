import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from parta.journal.models import Guardianship, Lesson
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_partners():
    """The journal alone: the installed plugins (the «Сферум» integration) unregistered for the test."""
    from parta.journal import public

    registered = public.partners()
    for partner in registered:
        public.partner_unregister(key=partner.key)
    yield
    for partner in registered:
        public.partner_register(partner=partner)


@pytest.fixture
def school_day():
    """A 5А with a class teacher, a student, their parent, and this week's lessons (one online)."""
    school_class = factories.school_class(grade=5, letter="А")
    teacher = factories.teacher(school_class.school)
    school_class.class_teacher = teacher
    school_class.save()
    pupil = factories.student(school_class, "Петров", "Пётр")
    parent = factories.parent_of(pupil, first="Сергей")
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    maths = factories.subject("Математика")
    Lesson.objects.create(
        date=monday,
        number=1,
        starts_at=dt.time(8, 30),
        ends_at=dt.time(9, 15),
        school_class=school_class,
        subject=maths,
        teacher=teacher,
        topic="Дроби",
        homework="№ 125, 126",
    )
    Lesson.objects.create(
        date=monday + dt.timedelta(days=2),
        number=2,
        starts_at=dt.time(9, 25),
        ends_at=dt.time(10, 10),
        school_class=school_class,
        subject=factories.subject("Русский язык"),
        teacher=teacher,
        topic="Причастие",
        online=True,
    )
    return {"class": school_class, "teacher": teacher, "student": pupil, "parent": parent}


def _signed_in(client: Client, person, username: str) -> Client:
    factories.account(person, username=username, password="pw-12345")
    assert client.login(username=username, password="pw-12345")
    return client


def test_student_sees_the_week_with_topics_homework_and_the_online_lesson(client: Client, school_day) -> None:
    page = _signed_in(client, school_day["student"], "pupil").get("/").content.decode()
    assert "Дневник" in page
    assert "Дроби" in page
    assert "№ 125, 126" in page
    assert "Онлайн-урок" in page
    assert "Смирнова А. П." in page


def test_parent_sees_the_childs_schedule(client: Client, school_day) -> None:
    page = _signed_in(client, school_day["parent"], "mum").get("/schedule/").content.decode()
    assert "Пётр Петров" in page
    assert "Дроби" in page
    assert "5А класс" in page


def test_parent_cannot_open_another_childs_schedule(client: Client, school_day) -> None:
    stranger = factories.student(school_day["class"], "Сидоров", "Семён")
    response = _signed_in(client, school_day["parent"], "mum").get(f"/schedule/?child={stranger.pk}")
    assert response.status_code == 404


def test_teacher_sees_their_lessons_with_the_class_and_the_journal_section(
    client: Client, school_day
) -> None:
    page = _signed_in(client, school_day["teacher"], "teach").get("/").content.decode()
    assert ">Журнал<" in page
    assert "Классный руководитель: 5А (1 уч.)" in page
    assert "Причастие" in page


def test_a_teacher_who_is_a_parent_switches_roles(client: Client, school_day) -> None:
    teacher = school_day["teacher"]
    other_class = factories.school_class(school_day["class"].school, grade=2, letter="Б")
    child = factories.student(other_class, "Смирнов", "Илья")
    Guardianship.objects.create(guardian=teacher, student=child)
    client = _signed_in(client, teacher, "teach")
    page = client.get("/").content.decode()
    assert "учитель ▾" in page
    assert "родитель" in page

    client.post("/role/", {"role": "parent"})
    page = client.get("/").content.decode()
    assert "родитель ▾" in page
    assert "Дневник" in page
    assert "Илья Смирнов" in page


def test_role_switch_ignores_a_role_the_account_does_not_have(client: Client, school_day) -> None:
    client = _signed_in(client, school_day["student"], "pupil")
    client.post("/role/", {"role": "administrator"})
    assert "ученик ▾" in client.get("/").content.decode()


def test_schedule_moves_between_weeks(client: Client, school_day) -> None:
    client = _signed_in(client, school_day["student"], "pupil")
    next_week = timezone.localdate() + dt.timedelta(days=7)
    page = client.get(f"/schedule/?week={next_week.isoformat()}").content.decode()
    assert "Дроби" not in page
    assert "К текущей неделе" in page
    assert "Дроби" in client.get("/schedule/?week=not-a-date").content.decode()


def test_teacher_cannot_open_a_class_of_another_school(client: Client, school_day) -> None:
    foreign = factories.school_class(factories.school("Другая школа"))
    response = _signed_in(client, school_day["teacher"], "teach").get(f"/schedule/?class={foreign.pk}")
    assert response.status_code == 404


def test_account_settings_has_the_tabs_of_the_manuals(client: Client, school_day, no_partners) -> None:
    client = _signed_in(client, school_day["teacher"], "teach")
    page = client.get("/settings/").content.decode()
    for tab in ("Профиль", "Пароль", "Партнеры", "Безопасность"):
        assert tab in page
    assert "Смирнова Анна Петровна" in page
    assert "Внешние аккаунты" in client.get("/settings/security/").content.decode()
    assert "Школа пока не подключила" in client.get("/settings/partners/").content.decode()


def test_password_change_keeps_the_user_signed_in(client: Client, school_day) -> None:
    client = _signed_in(client, school_day["student"], "pupil")
    response = client.post(
        "/settings/password/",
        {"old_password": "pw-12345", "new_password1": "Nov-pass-2026!", "new_password2": "Nov-pass-2026!"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.logout()
    assert client.login(username="pupil", password="Nov-pass-2026!")


def test_registered_partner_appears_in_partners_security_and_the_chats_icon(
    client: Client, school_day, no_partners
) -> None:
    from parta.journal import public

    class Messenger:
        key = "test-messenger"
        name = "Тестовый мессенджер"
        description = "Чаты класса"

        def status(self, *, account_id: int) -> public.PartnerStatus:
            return public.PartnerStatus(connected=True, external_id="42", unlink_url="/unlink/")

        def chats_url(self, *, account_id: int) -> str:
            return "/messenger/"

    public.partner_register(partner=Messenger())
    try:
        client = _signed_in(client, school_day["student"], "pupil")
        assert "Тестовый мессенджер" in client.get("/settings/partners/").content.decode()
        assert "Отвязать Тестовый мессенджер" in client.get("/settings/security/").content.decode()
        assert client.get("/chats/")["Location"] == "/messenger/"
    finally:
        public.partner_unregister(key="test-messenger")


def test_chats_icon_without_a_messenger_explains_why(client: Client, school_day, no_partners) -> None:
    page = _signed_in(client, school_day["student"], "pupil").get("/chats/").content.decode()
    assert "не подключила к журналу мессенджер" in page
