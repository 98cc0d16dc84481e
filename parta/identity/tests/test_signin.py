"""The sign-in screens (flows 1–5 of issue 3) through Django's test client, step by step."""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import quote

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from parta.identity.flow import SESSION_KEY as CONFIRMED_KEY
from parta.identity.flow import flow_confirmed
from parta.identity.models import (
    Account,
    AuditEvent,
    AuditKind,
    Code,
    DevMessage,
    EducationalProfile,
    ThrottleHit,
)
from parta.identity.tests import factories

pytestmark = pytest.mark.django_db
PHONE = "+79991230001"
ABOUT = {
    "first_name": "Мария",
    "last_name": "Иванова",
    "middle_name": "Петровна",
    "birth_date": "1986-04-12",
    "gender": "female",
}


def text(response) -> str:  # type: ignore[no-untyped-def]
    """What a person reads on the page: tags dropped, spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def latest(phone: str = PHONE) -> DevMessage:
    return DevMessage.objects.filter(to=phone).order_by("-id").first()


def enter_phone(client: Client, typed: str = PHONE, *, next_url: str = "/id/"):  # type: ignore[no-untyped-def]
    client.get(f"/id/?next={quote(next_url)}")
    return client.post("/id/", {"login": typed, "next": next_url})


def enter_code(client: Client, value: str | None = None):  # type: ignore[no-untyped-def]
    return client.post("/id/code/", {"code": value if value is not None else latest().code})


def everyone_has_a_session(*, account_id: int) -> list[str]:
    return ["session-1"]


PUSH = override_settings(PARTA_ID_PUSH_SESSIONS="parta.identity.tests.test_signin.everyone_has_a_session")


# --- «Вход в {ID}» --------------------------------------------------------------------------------


def test_the_entry_shows_what_the_manuals_show(client: Client) -> None:
    page = text(client.get("/id/?next=/id/"))
    for label in (
        "Вход в Сферум ID",
        "Телефон или почта",
        "Продолжить",
        "Нажимая «Продолжить», вы принимаете пользовательское соглашение и политику конфиденциальности",
        "Передаваемые данные",
        "С сервисом «Сферум» можно связать свой учебный профиль",
        "Вход в учебный профиль в «Сферум Мессенджер» по Сферум ID",
        "Общение в защищенном от посторонних лиц пространстве",
        "Регистрация в социальной сети не нужна, а если аккаунт уже есть, его никто не увидит",
    ):
        assert label in page


def test_the_panel_names_the_journal_that_asked_and_what_it_receives(client: Client) -> None:
    factories.journal_client("БАРС.Электронная школа", client_id="demo-journal")
    authorize = "/id/authorize/?client_id=demo-journal&response_type=code&scope=openid+phone+edu_profile"
    page = text(client.get(f"/id/?next={quote(authorize)}"))
    assert "С сервисом «БАРС.Электронная школа» можно связать свой учебный профиль" in page
    assert "Сервис «БАРС.Электронная школа» получит из вашего учебного профиля" in page
    for line in (
        "Постоянный идентификатор",
        "Номер телефона",
        "Фамилия, имя и отчество",
        "Дата рождения",
        "Пол",
    ):
        assert line in page


@pytest.mark.parametrize(
    "typed", ["8 (999) 123-00-01", "+7 999 123 00 01", "9991230001", "+7(999)123-00-01", "8-999-123-00-01"]
)
def test_a_phone_typed_any_usual_way_is_stored_in_e164(client: Client, typed: str) -> None:
    response = enter_phone(client, typed)
    assert response.status_code == 302
    assert response["Location"] == "/id/code/"
    assert Code.objects.get().target == PHONE
    assert "SMS с кодом отправлено на телефон +7 999 123-00-01" in text(client.get("/id/code/"))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Введите номер телефона."),
        ("+7 495 123-45-67", "Нужен номер мобильного телефона российского оператора"),
        ("+44 7911 123456", "Нужен номер мобильного телефона российского оператора"),
        ("8 800 555-35-35", "Нужен номер мобильного телефона российского оператора"),
        ("+7 999 123", "Введите номер в формате +7 (9XX) XXX-XX-XX."),
        ("телефон", "Номер телефона может содержать только цифры"),
        ("ivanov@", "Проверьте адрес почты"),
        ("9" * 300, "Слишком длинно для телефона или почты."),
    ],
)
def test_a_wrong_phone_gets_a_clear_message_and_no_code(client: Client, typed: str, message: str) -> None:
    response = enter_phone(client, typed)
    assert response.status_code == 400
    assert message in text(response)
    assert not Code.objects.exists()


@override_settings(PARTA_ID_RUSSIAN_MOBILE_ONLY=False)
def test_foreign_numbers_sign_in_when_the_operator_allows_them(client: Client) -> None:
    assert enter_phone(client, "+44 7911 123456").status_code == 302
    assert Code.objects.get().target == "+447911123456"


def test_an_unknown_email_is_told_to_use_the_phone(client: Client) -> None:
    response = enter_phone(client, "ka@mail.ru")
    assert response.status_code == 400
    assert "Введите номер мобильного телефона" in text(response)


def test_a_confirmed_email_signs_in_to_its_account(client: Client) -> None:
    factories.account(PHONE, email="Ka@Mail.ru", email_confirmed_at=timezone.now())
    assert enter_phone(client, "ka@mail.ru")["Location"] == "/id/code/"
    assert Code.objects.get().target == PHONE


@override_settings(PARTA_ID_PHONE_STEPS_PER_IP=[(2, 600)])
def test_one_network_address_enters_a_limited_number_of_phones(client: Client) -> None:
    enter_phone(client, "+79991230001")
    enter_phone(client, "+79991230002")
    response = enter_phone(client, "+79991230003")
    assert response.status_code == 429
    assert "Слишком много попыток входа из вашей сети" in text(response)
    assert Code.objects.count() == 2


def test_an_open_redirect_in_next_is_ignored(client: Client) -> None:
    enter_phone(client, next_url="https://evil.example/steal")
    enter_code(client)
    client.get("/id/profile/")
    response = client.post("/id/profile/about/", ABOUT)
    assert response["Location"] == "/id/"


# --- flow 3 then 5: a new phone -------------------------------------------------------------------


def test_a_new_phone_gets_an_account_after_its_code_and_creates_a_profile(client: Client) -> None:
    next_url = "/id/authorize/?client_id=demo-journal&scope=openid"
    session_before = None
    assert enter_phone(client, next_url=next_url)["Location"] == "/id/code/"
    assert not Account.objects.exists()  # nothing is created before the code is confirmed
    session_before = client.session.session_key
    response = enter_code(client)
    assert response["Location"] == "/id/profile/"
    assert client.session.session_key != session_before  # the session id rotates at sign-in
    account = Account.objects.get(phone=PHONE)
    assert not account.has_password

    page = text(client.get("/id/profile/"))
    assert "Создайте учебный профиль" in page
    assert "Ваш учебный профиль будет связан с аккаунтом Сферум ID" in page
    assert "+7 999 ***-**-01" in page
    assert "Создать учебный профиль" in page
    assert "Войти в другой аккаунт" in page
    assert "Обратите внимание!" not in page  # just signed in: no shared-computer warning

    form = text(client.get("/id/profile/about/"))
    for label in ("Информация о себе", "Имя", "Фамилия", "Отчество", "День рождения", "Пол", "Продолжить"):
        assert label in form
    response = client.post("/id/profile/about/", {**ABOUT, "middle_name": ""})
    assert response.status_code == 302
    assert response["Location"] == next_url
    profile = EducationalProfile.objects.get(account=account)
    assert (profile.last_name, profile.first_name, profile.middle_name) == ("Иванова", "Мария", "")
    assert CONFIRMED_KEY in client.session
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {
        AuditKind.CODE_SENT,
        AuditKind.CODE_CONFIRMED,
        AuditKind.ACCOUNT_CREATED,
        AuditKind.SIGNIN,
    } <= kinds


def test_the_last_step_confirms_the_flow_for_the_authorize_endpoint(client: Client, rf) -> None:  # type: ignore[no-untyped-def]
    next_url = "/id/authorize/?client_id=demo-journal"
    enter_phone(client, next_url=next_url)
    enter_code(client)
    client.post("/id/profile/about/", ABOUT)
    request = rf.get(next_url)
    request.session = client.session
    request.user = Account.objects.get()
    assert flow_confirmed(request, next_url=next_url)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Введите имя."),
        ("last_name", "Иванова2", "В фамилии не может быть цифр."),
        ("first_name", "Мар\u202eия", "невидимые или служебные символы"),
        ("middle_name", "Petrovна", "буквами одного алфавита"),
        ("birth_date", "", "Укажите день рождения."),
        ("birth_date", "31.02.1990", "Введите дату рождения в формате ДД.ММ.ГГГГ."),
        ("birth_date", "2099-01-01", "Дата рождения не может быть в будущем."),
        ("birth_date", "1880-01-01", "Проверьте год рождения."),
        ("gender", "", "Выберите пол."),
        ("gender", "robot", "Выберите пол."),
    ],
)
def test_information_about_oneself_is_checked(client: Client, field: str, value: str, message: str) -> None:
    enter_phone(client)
    enter_code(client)
    response = client.post("/id/profile/about/", {**ABOUT, field: value})
    assert response.status_code == 400
    assert message in text(response)
    assert not EducationalProfile.objects.exists()


def test_a_birth_date_typed_the_russian_way_is_understood(client: Client) -> None:
    enter_phone(client)
    enter_code(client)
    client.post("/id/profile/about/", {**ABOUT, "birth_date": "12.04.1986"})
    assert EducationalProfile.objects.get().birth_date == dt.date(1986, 4, 12)


# --- flow 2: an account with a password -----------------------------------------------------------


def test_an_account_with_a_password_asks_for_it_before_the_code(client: Client) -> None:
    account = factories.account(PHONE, password="correct horse battery")
    factories.profile(account)
    assert enter_phone(client)["Location"] == "/id/password/"
    assert not DevMessage.objects.exists()  # no code before the password
    page = text(client.get("/id/password/"))
    assert "Введите пароль" in page
    assert "Введите ваш текущий пароль, привязанный к номеру +7 999 123-00-01" in page
    assert "Забыли или не установили пароль?" in page

    wrong = client.post("/id/password/", {"password": "incorrect"})
    assert wrong.status_code == 400
    assert "Неверный пароль." in text(wrong)
    assert not DevMessage.objects.exists()

    assert client.post("/id/password/", {"password": "correct horse battery"})["Location"] == "/id/code/"
    assert enter_code(client)["Location"] == "/id/profile/"
    page = text(client.get("/id/profile/"))
    assert "Выбор учебного профиля" in page
    assert "Ваш профиль для связки" in page
    assert "Мария Иванова" in page
    assert "+7 999 ***-**-01" in page
    assert "Продолжить в учебном профиле" in page

    about = client.get("/id/profile/about/").content.decode()
    assert 'value="Иванова"' in about
    assert 'value="1986-04-12"' in about
    assert client.post("/id/profile/about/", ABOUT)["Location"] == "/id/"
    assert "Вы вошли в Сферум ID" in text(client.get("/id/"))


def test_the_password_hash_is_argon2id(client: Client) -> None:
    account = factories.account(PHONE, password="correct horse battery")
    assert account.password.startswith("argon2$argon2id$")


def test_the_recovery_link_leads_to_recovery_with_the_phone_filled_in(client: Client) -> None:
    factories.account(PHONE, password="correct horse battery")
    enter_phone(client)
    assert 'href="/id/recovery/"' in client.get("/id/password/").content.decode()
    response = client.get("/id/recovery/")
    page = text(response)
    assert "Восстановление доступа" in page
    assert "Введите номер телефона, указанный при регистрации" in page
    assert "службу технической поддержки" in page
    assert 'value="+7 999 123-00-01"' in response.content.decode()


def test_passwords_never_reach_the_logs(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    factories.account(PHONE, password="correct horse battery")
    enter_phone(client)
    client.post("/id/password/", {"password": "my-secret-guess"})
    client.post("/id/password/", {"password": "correct horse battery"})
    assert caplog.records
    assert "my-secret-guess" not in caplog.text
    assert "correct horse battery" not in caplog.text
    assert "my-secret-guess" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


@override_settings(PARTA_ID_WRONG_PASSWORDS=[(3, 3600)])
def test_wrong_passwords_lock_password_sign_in(client: Client) -> None:
    factories.account(PHONE, password="correct horse battery")
    enter_phone(client)
    for _ in range(2):
        assert "Неверный пароль." in text(client.post("/id/password/", {"password": "guess"}))
    third = text(client.post("/id/password/", {"password": "guess"}))
    assert "Вход по паролю временно заблокирован" in third
    right = client.post("/id/password/", {"password": "correct horse battery"})
    assert "Вход по паролю временно заблокирован" in text(right)
    assert not DevMessage.objects.exists()
    assert AuditEvent.objects.filter(kind=AuditKind.LOCKOUT).exists()


def test_an_account_without_a_password_sees_what_a_new_phone_sees(client: Client) -> None:
    factories.account("+79991230001")
    enter_phone(client, "+79991230001")
    with_account = text(client.get("/id/code/"))
    other = Client()
    enter_phone(other, "+79991230002")
    new_phone = text(other.get("/id/code/"))
    assert with_account.replace("+7 999 123-00-01", "N") == new_phone.replace("+7 999 123-00-02", "N")


def test_an_account_without_a_profile_is_asked_to_create_one(client: Client) -> None:
    factories.account(PHONE, password="correct horse battery")
    enter_phone(client)
    client.post("/id/password/", {"password": "correct horse battery"})
    enter_code(client)
    assert "Создайте учебный профиль" in text(client.get("/id/profile/"))


def test_an_inactive_account_cannot_sign_in(client: Client) -> None:
    factories.account(PHONE, is_active=False)
    enter_phone(client)
    response = enter_code(client)
    assert "_auth_user_id" not in client.session
    assert "Этот аккаунт заблокирован" in text(client.get(response["Location"]))


# --- flow 3: the code screens ---------------------------------------------------------------------


def test_the_sms_screen_shows_its_timer_and_links(client: Client) -> None:
    enter_phone(client)
    page = text(client.get("/id/code/"))
    assert "Подтвердите вход" in page
    assert re.search(r"Отправить SMS через [12]:[0-5][0-9]", page)
    assert "Изменить номер телефона" in page
    assert "Подтвердить другим способом" in page
    assert "push" not in page


def test_resending_too_early_is_refused_by_the_server(client: Client) -> None:
    enter_phone(client)
    response = client.post("/id/code/resend/")
    assert response["Location"] == "/id/code/"
    assert re.search(r"Отправить SMS повторно можно через [12]:[0-5][0-9]", text(client.get("/id/code/")))
    assert DevMessage.objects.count() == 1
    Code.objects.update(resend_at=timezone.now() - dt.timedelta(seconds=1))
    client.post("/id/code/resend/")
    assert DevMessage.objects.count() == 2
    assert "Отправить SMS через" in text(client.get("/id/code/"))
    assert enter_code(client)["Location"] == "/id/profile/"


def test_wrong_code_five_times(client: Client) -> None:
    enter_phone(client)
    right = latest().code
    wrong = "000000" if right != "000000" else "111111"
    answers = [text(enter_code(client, wrong)) for _ in range(5)]
    assert "Неверный код. Осталось 4 попытки." in answers[0]
    assert "Неверный код. Осталась 1 попытка." in answers[3]
    assert "Попытки закончились — запросите новый код." in answers[4]
    assert "Вы ввели неверный код слишком много раз" in text(enter_code(client, right))
    assert "_auth_user_id" not in client.session


def test_an_expired_code(client: Client) -> None:
    enter_phone(client)
    Code.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = enter_code(client)
    assert response.status_code == 400
    assert "Срок действия кода истёк. Запросите новый код." in text(response)
    assert not Account.objects.exists()


def test_a_garbled_code_gets_a_message_not_an_error_page(client: Client) -> None:
    enter_phone(client)
    for typed in ("", "12", "abcdef", "٣" * 6, "1" * 32, "1" * 5000):
        response = enter_code(client, typed)
        assert response.status_code == 400
    assert Code.objects.get().attempts == 0


def test_change_the_phone_number(client: Client) -> None:
    enter_phone(client, "+79991230009")
    page = client.get("/id/?edit=1").content.decode()
    assert 'value="+7 999 123-00-09"' in page
    assert enter_phone(client, "+79991230001")["Location"] == "/id/code/"
    assert "+7 999 123-00-01" in text(client.get("/id/code/"))


def test_entering_the_same_phone_again_does_not_send_another_sms(client: Client) -> None:
    enter_phone(client)
    enter_phone(client)
    assert DevMessage.objects.count() == 1
    assert enter_code(client)["Location"] == "/id/profile/"


def test_call_reset_by_another_way(client: Client) -> None:
    enter_phone(client)
    other = text(client.get("/id/code/other/"))
    assert "Получить SMS с кодом" in other
    assert "Получить звонок-сброс" in other
    assert "push" not in other
    assert client.post("/id/code/other/", {"channel": "call"})["Location"] == "/id/code/"
    page = text(client.get("/id/code/"))
    assert "Вам поступит звонок-сброс с уникального номера. Введите последние 4 цифры этого номера" in page
    assert "Введите 4 цифры" in page
    assert re.search(r"Звонок поступит в течение 0[01]:[0-5][0-9]", page)
    call = latest()
    assert call.channel == "call"
    assert enter_code(client, call.caller_number[-4:])["Location"] == "/id/profile/"


@override_settings(PARTA_ID_SIGNIN_CHANNEL="call")
def test_call_reset_may_be_the_first_way(client: Client) -> None:
    enter_phone(client)
    assert latest().channel == "call"


def test_call_reset_three_wrong_tries(client: Client) -> None:
    enter_phone(client)
    client.post("/id/code/other/", {"channel": "call"})
    right = latest().code
    wrong = f"{(int(right) + 1) % 10000:04d}"
    assert "Осталось 2 попытки" in text(enter_code(client, wrong))
    assert "Осталась 1 попытка" in text(enter_code(client, wrong))
    assert "Попытки закончились" in text(enter_code(client, wrong))


def test_a_blocked_number_is_told_at_the_phone_step(client: Client) -> None:
    enter_phone(client)
    code = Code.objects.get()
    ThrottleHit.objects.bulk_create(ThrottleHit(key=f"wrong:{PHONE}") for _ in range(19))
    enter_code(client, "000000" if latest().code != "000000" else "111111")
    assert Code.objects.get(pk=code.pk).attempts == 1
    response = enter_phone(client)
    assert response.status_code == 429
    assert re.search(r"Вход по нему временно заблокирован — попробуйте через (1 ч|60 мин)", text(response))


# --- push -----------------------------------------------------------------------------------------


@PUSH
def test_push_comes_first_when_the_account_has_a_messenger_session(client: Client) -> None:
    account = factories.account(PHONE, password="correct horse battery")
    factories.profile(account)
    assert enter_phone(client)["Location"] == "/id/code/"
    assert latest().channel == "push"
    page = text(client.get("/id/code/"))
    assert "Мы отправили push-уведомление с кодом на ваше устройство" in page
    assert "Код" in page
    assert "Подтвердить другим способом" in page
    assert "Войти при помощи пароля" in page
    assert enter_code(client)["Location"] == "/id/profile/"  # a signed-in device is enough


@PUSH
def test_push_then_the_password_then_an_sms(client: Client) -> None:
    factories.account(PHONE, password="correct horse battery")
    enter_phone(client)
    client.get("/id/password/")
    assert client.post("/id/password/", {"password": "correct horse battery"})["Location"] == "/id/code/"
    assert latest().channel == "sms"
    assert enter_code(client)["Location"] == "/id/profile/"


@PUSH
def test_another_way_than_push_for_an_account_with_a_password_asks_the_password(client: Client) -> None:
    factories.account(PHONE, password="correct horse battery")
    enter_phone(client)
    other = text(client.get("/id/code/other/"))
    assert "Получить push-уведомление" in other
    assert client.post("/id/code/other/", {"channel": "call"})["Location"] == "/id/password/"
    client.post("/id/password/", {"password": "correct horse battery"})
    assert latest().channel == "call"


@PUSH
def test_a_new_phone_never_gets_a_push(client: Client) -> None:
    enter_phone(client)
    assert latest().channel == "sms"


# --- flow 4: already signed in --------------------------------------------------------------------


def _signed_in(client: Client, *, with_profile: bool = True) -> Account:
    account = factories.account(PHONE)
    if with_profile:
        factories.profile(account)
    client.force_login(account)
    return account


def test_already_signed_in_shows_the_profile_for_linking(client: Client) -> None:
    _signed_in(client)
    response = client.get("/id/?next=/id/authorize/%3Fclient_id%3Dx")
    assert response["Location"] == "/id/confirm/"
    page = text(client.get("/id/confirm/"))
    assert "Ваш профиль для связки" in page
    assert "Мария Иванова" in page
    assert "+7 999 ***-**-01" in page
    assert "Продолжить" in page
    assert "Войти в другой аккаунт" in page
    assert "Если вы работаете не с личного устройства" in page
    assert not DevMessage.objects.exists()
    assert client.post("/id/profile/about/", ABOUT)["Location"] == "/id/authorize/?client_id=x"


def test_already_signed_in_without_a_profile_is_asked_to_create_one_with_the_warning(client: Client) -> None:
    _signed_in(client, with_profile=False)
    assert client.get("/id/?next=/id/x")["Location"] == "/id/profile/"
    page = text(client.get("/id/profile/"))
    assert "Создайте учебный профиль" in page
    assert "Если вы работаете не с личного устройства" in page


def test_sign_in_to_another_account(client: Client) -> None:
    _signed_in(client)
    client.get("/id/?next=/id/x")
    response = client.post("/id/other-account/")
    assert response["Location"] == "/id/?next=%2Fid%2Fx"
    assert "_auth_user_id" not in client.session
    page = text(client.get(response["Location"]))
    assert "Вход в Сферум ID" in page
    assert AuditEvent.objects.filter(kind=AuditKind.SIGNOUT).exists()


def test_signed_in_without_next_sees_the_signed_in_page_and_can_sign_out(client: Client) -> None:
    _signed_in(client)
    page = text(client.get("/id/"))
    assert "Вы вошли в Сферум ID" in page
    assert "Иванова Мария Петровна" in page
    assert client.post("/id/logout/")["Location"] == "/id/"
    assert "Вход в Сферум ID" in text(client.get("/id/"))


# --- nothing breaks on odd requests ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/id/password/"),
        ("post", "/id/password/"),
        ("get", "/id/code/"),
        ("post", "/id/code/"),
        ("post", "/id/code/resend/"),
        ("get", "/id/code/other/"),
        ("post", "/id/code/other/"),
        ("get", "/id/confirm/"),
        ("get", "/id/profile/"),
        ("get", "/id/profile/about/"),
        ("post", "/id/profile/about/"),
        ("post", "/id/other-account/"),
        ("post", "/id/logout/"),
    ],
)
def test_steps_out_of_order_lead_back_to_the_entry(client: Client, method: str, path: str) -> None:
    response = getattr(client, method)(path, {"code": "1", "password": "x", "channel": "sms"})
    assert response.status_code == 302
    assert response["Location"].startswith("/id/")


def test_garbage_posts_never_make_an_error_page(client: Client) -> None:
    enter_phone(client)
    for data in ({"channel": "fax"}, {"channel": ""}, {}):
        assert client.post("/id/code/other/", data).status_code == 200
    assert client.post("/id/", {"login": "\x00\u202e+7999"}).status_code == 400
    assert client.post("/id/", {}).status_code == 400
    assert client.get("/id/?next=" + quote("javascript:alert(1)")).status_code == 200
    assert client.put("/id/").status_code == 405


def test_pages_of_the_agreement_exist(client: Client) -> None:
    assert "Пользовательское соглашение" in text(client.get("/id/terms/"))
    assert "Политика конфиденциальности" in text(client.get("/id/privacy/"))


# --- sign-in without an OIDC request: a safe ``next`` on this site (the messenger's root) ------------


def test_a_sign_in_for_a_page_of_this_site_returns_there_after_the_code_and_profile(client: Client) -> None:
    """The messenger sends a person who is not signed in to ``/id/?next=/chats/``."""
    assert enter_phone(client, next_url="/chats/?chat=7")["Location"] == "/id/code/"
    assert enter_code(client)["Location"] == "/id/profile/"
    assert "Создайте учебный профиль" in text(client.get("/id/profile/"))
    response = client.post("/id/profile/about/", ABOUT)
    assert response["Location"] == "/chats/?chat=7"


def test_a_sign_in_with_a_password_returns_to_the_page_too(client: Client) -> None:
    factories.profile(factories.account(PHONE, password="correct horse battery"))
    assert enter_phone(client, next_url="/")["Location"] == "/id/password/"
    assert client.post("/id/password/", {"password": "correct horse battery"})["Location"] == "/id/code/"
    assert enter_code(client)["Location"] == "/id/profile/"
    assert "Выбор учебного профиля" in text(client.get("/id/profile/"))
    assert client.post("/id/profile/about/", ABOUT)["Location"] == "/"


def test_already_signed_in_goes_through_the_profile_step_back_to_the_page(client: Client) -> None:
    _signed_in(client)
    assert client.get("/id/?next=/chats/")["Location"] == "/id/confirm/"
    assert client.post("/id/profile/about/", ABOUT)["Location"] == "/chats/"


def test_a_next_given_only_with_the_phone_is_honoured(client: Client) -> None:
    client.get("/id/")
    client.post("/id/", {"login": PHONE, "next": "/calls/"})
    enter_code(client)
    assert client.post("/id/profile/about/", ABOUT)["Location"] == "/calls/"


def test_an_absolute_next_on_this_host_is_honoured(client: Client) -> None:
    enter_phone(client, next_url="http://testserver/chats/")
    enter_code(client)
    assert client.post("/id/profile/about/", ABOUT)["Location"] == "http://testserver/chats/"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "/\\evil.example/steal",
        "\\\\evil.example",
        "http://testserver@evil.example/",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
        "ftp://testserver/",
        " //evil.example",
    ],
)
def test_a_next_leading_elsewhere_is_dropped(client: Client, next_url: str) -> None:
    client.get(f"/id/?next={quote(next_url)}")
    client.post("/id/", {"login": PHONE, "next": next_url})
    enter_code(client)
    response = client.post("/id/profile/about/", ABOUT)
    assert response["Location"] == "/id/"
    assert "Вы вошли в Сферум ID" in text(client.get("/id/"))
