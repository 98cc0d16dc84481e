import datetime as dt

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from parta.journal.actions.accounts import WRONG_CREDENTIALS
from parta.journal.models import LoginThrottle
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str, *, staff: bool = False):
    return client.post("/login/staff/" if staff else "/login/", {"username": username, "password": password})


def test_login_page_has_the_fields_of_manual_004(client: Client) -> None:
    page = client.get("/login/").content.decode()
    for label in ("Имя пользователя", "Пароль", "Забыли пароль?", "Войти", "Войти через госуслуги"):
        assert label in page
    assert "Вход для сотрудников" in page


def test_a_correct_password_signs_in_and_opens_the_home_page(client: Client) -> None:
    factories.account(username="ivanov", password="secret-pass")
    response = _login(client, "ivanov", "secret-pass")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_anonymous_visitor_is_sent_to_the_login(client: Client) -> None:
    response = client.get("/schedule/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/schedule/")


def test_wrong_password_and_unknown_login_get_the_same_answer(client: Client) -> None:
    factories.account(username="ivanov", password="secret-pass")
    wrong = _login(client, "ivanov", "nope")
    unknown = _login(client, "nobody-here", "nope")
    assert wrong.status_code == unknown.status_code == 400
    assert WRONG_CREDENTIALS in wrong.content.decode()
    assert WRONG_CREDENTIALS in unknown.content.decode()


@override_settings(PARTA_LOGIN_LOCK_AFTER=3, PARTA_LOGIN_LOCK_MINUTES=15)
def test_repeated_wrong_passwords_lock_the_login_even_for_the_right_password(client: Client) -> None:
    factories.account(username="ivanov", password="secret-pass")
    for _ in range(3):
        _login(client, "ivanov", "guess")
    response = _login(client, "ivanov", "secret-pass")
    assert response.status_code == 400
    assert "Вход временно заблокирован" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(PARTA_LOGIN_LOCK_AFTER=3, PARTA_LOGIN_LOCK_MINUTES=15)
def test_an_unknown_login_locks_the_same_way(client: Client) -> None:
    for _ in range(3):
        _login(client, "nobody-here", "guess")
    assert "Вход временно заблокирован" in _login(client, "nobody-here", "guess").content.decode()


@override_settings(PARTA_LOGIN_LOCK_AFTER=3, PARTA_LOGIN_LOCK_MINUTES=15)
def test_the_lock_runs_out(client: Client) -> None:
    factories.account(username="ivanov", password="secret-pass")
    for _ in range(3):
        _login(client, "ivanov", "guess")
    LoginThrottle.objects.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert _login(client, "ivanov", "secret-pass").status_code == 302


@override_settings(PARTA_LOGIN_SLOW_AFTER=1, PARTA_LOGIN_DELAY_SECONDS=0.2, PARTA_LOGIN_LOCK_AFTER=10)
def test_wrong_passwords_beyond_the_threshold_are_answered_slower(client: Client, monkeypatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("parta.journal.actions.accounts.time.sleep", slept.append)
    for _ in range(3):
        _login(client, "ivanov", "guess")
    assert slept == [pytest.approx(0.2), pytest.approx(0.4)]


def test_a_successful_login_clears_the_count(client: Client) -> None:
    factories.account(username="ivanov", password="secret-pass")
    _login(client, "ivanov", "guess")
    _login(client, "ivanov", "secret-pass")
    assert not LoginThrottle.objects.exists()


def test_staff_entry_admits_a_teacher_and_refuses_a_parent(client: Client) -> None:
    school_class = factories.school_class()
    teacher = factories.teacher(school_class.school)
    factories.account(teacher, username="teacher1", password="pw-teacher-1")
    parent = factories.parent_of(factories.student(school_class))
    factories.account(parent, username="parent1", password="pw-parent-1")

    refused = _login(client, "parent1", "pw-parent-1", staff=True)
    assert refused.status_code == 400
    assert "Это вход для сотрудников школы" in refused.content.decode()
    assert _login(client, "teacher1", "pw-teacher-1", staff=True).status_code == 302


def test_login_does_not_redirect_to_another_site(client: Client) -> None:
    factories.account(username="ivanov", password="secret-pass")
    response = client.post(
        "/login/", {"username": "ivanov", "password": "secret-pass", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_gosuslugi_explains_that_it_is_not_configured(client: Client) -> None:
    page = client.get("/login/gosuslugi/").content.decode()
    assert "Вход через госуслуги не настроен" in page
