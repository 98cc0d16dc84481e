"""Password recovery (manual 001, issue 3 flow 6) through Django's test client, step by step."""

from __future__ import annotations

import datetime as dt
import re
import time

import pyotp
import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from parta.identity.actions.codes import code_lock_seconds, code_send
from parta.identity.actions.recovery import recovery_friend_confirm
from parta.identity.models import (
    Account,
    AuditEvent,
    AuditKind,
    Code,
    CodeChannel,
    CodePurpose,
    DevMessage,
    Recovery,
    ThrottleHit,
    TotpDevice,
)
from parta.identity.tests import factories

pytestmark = pytest.mark.django_db
PHONE = "+79991230001"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "Новый пароль для входа 7"


def text(response) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def latest(to: str, channel: str = "sms") -> DevMessage:
    return DevMessage.objects.filter(to=to, channel=channel).order_by("-id").first()


def owner(*, password: str | None = PASSWORD) -> Account:
    account = factories.account(PHONE, password=password)
    factories.profile(account)
    return account


def begin(client: Client, phone: str = PHONE):  # type: ignore[no-untyped-def]
    return client.post("/id/recovery/", {"phone": phone})


def to_method(client: Client, phone: str = PHONE):  # type: ignore[no-untyped-def]
    """Phone → SMS code → «Проверка аккаунта» → «Продолжить»."""
    begin(client, phone)
    client.post("/id/recovery/code/", {"code": latest(phone).code})
    return client.post("/id/recovery/account/")


def choose(client: Client, method: str):  # type: ignore[no-untyped-def]
    return client.post("/id/recovery/method/", {"method": method})


def totp_now(secret: str, *, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset)


# --- phone, code, account ----------------------------------------------------------------------------


def test_phone_code_and_account_check_as_manual_001_shows_them(client: Client) -> None:
    account = owner()
    factories.totp(account)
    response = begin(client, "8 (999) 123-00-01")
    assert response.status_code == 302
    assert response["Location"] == "/id/recovery/code/"
    sms = latest(PHONE)
    assert "код" in sms.text
    assert "восстановления доступа" in sms.text
    page = text(client.get("/id/recovery/code/"))
    assert "Код подтверждения" in page
    assert "SMS с кодом отправлено на телефон +7 999 123-00-01" in page
    assert re.search(r"Отправить SMS через [12]:[0-5]\d", page)
    assert "Изменить номер телефона" in page

    response = client.post("/id/recovery/code/", {"code": sms.code})
    assert response["Location"] == "/id/recovery/account/"
    page = text(client.get("/id/recovery/account/"))
    assert "Проверьте, правильный ли выбран аккаунт для восстановления" in page
    assert "Мария Иванова" in page
    assert "+7 999 ***-**-01" in page
    assert "+7 999 123-00-01" not in page

    response = client.post("/id/recovery/account/")
    assert response["Location"] == "/id/recovery/method/"
    page = text(client.get("/id/recovery/method/"))
    assert "Как вы хотите подтвердить, что аккаунт принадлежит вам?" in page
    assert AuditEvent.objects.filter(kind=AuditKind.RECOVERY_STARTED, target=PHONE).exists()


def test_a_wrong_phone_gets_a_clear_message(client: Client) -> None:
    response = client.post("/id/recovery/", {"phone": "+7 495 123-45-67"})
    assert response.status_code == 400
    assert "Нужен номер мобильного телефона российского оператора" in text(response)
    assert not Recovery.objects.exists()


def test_a_number_without_an_account_gets_the_same_answers_until_its_code(client: Client) -> None:
    owner()
    other = Client()
    unknown = "+79991239999"
    first, second = begin(client, PHONE), begin(other, unknown)
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    known_page = text(client.get("/id/recovery/code/")).replace("123-00-01", "X")
    unknown_page = text(other.get("/id/recovery/code/")).replace("123-99-99", "X")
    assert known_page == unknown_page
    assert latest(PHONE).text.replace(latest(PHONE).code, "N") == latest(unknown).text.replace(
        latest(unknown).code, "N"
    )
    other.post("/id/recovery/code/", {"code": latest(unknown).code})
    page = text(other.get("/id/recovery/account/"))
    assert "Аккаунт не найден" in page
    assert "Войти по номеру телефона" in page
    assert not Account.objects.filter(phone=unknown).exists()


def test_a_wrong_sms_code_is_counted_like_on_sign_in(client: Client) -> None:
    owner()
    begin(client)
    right = latest(PHONE).code
    wrong = "000000" if right != "000000" else "111111"
    response = client.post("/id/recovery/code/", {"code": wrong})
    assert response.status_code == 400
    assert "Неверный код. Осталось 4 попытки." in text(response)
    assert ThrottleHit.objects.filter(key=f"wrong:{PHONE}").count() == 1


def test_resending_the_sms_too_early_is_refused_by_the_server(client: Client) -> None:
    owner()
    begin(client)
    client.post("/id/recovery/code/resend/")
    assert "Отправить SMS повторно можно через" in text(client.get("/id/recovery/code/"))
    assert DevMessage.objects.filter(to=PHONE).count() == 1
    Code.objects.filter(target=PHONE).update(resend_at=timezone.now() - dt.timedelta(seconds=1))
    client.post("/id/recovery/code/resend/")
    assert DevMessage.objects.filter(to=PHONE).count() == 2


# --- which ways are offered -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "offered", "hidden"),
    [
        ("totp", ["С помощью приложения-генератора кодов"], ["электронной почты", "друзей"]),
        ("email", ["С помощью электронной почты", "Мы отправим код на почту ma***@mail.ru"], ["генератора"]),
        (
            "friends",
            ["С помощью друзей, которым доверяете", "например, позвонить или написать в мессенджерах"],
            ["генератора", "почты"],
        ),
    ],
)
def test_only_the_ways_set_up_beforehand_are_offered(
    client: Client, setup: str, offered: list[str], hidden: list[str]
) -> None:
    account = owner()
    if setup == "totp":
        factories.totp(account)
    elif setup == "email":
        factories.confirmed_email(account)
    else:
        factories.trusted_friends(account, 2)
    assert to_method(client)["Location"] == "/id/recovery/method/"
    page = text(client.get("/id/recovery/method/"))
    for line in offered:
        assert line in page
    for word in hidden:
        assert word not in page


def test_without_a_second_way_recovery_goes_through_support(client: Client) -> None:
    owner()
    response = to_method(client)
    assert response["Location"] == "/id/recovery/support/"
    page = text(client.get("/id/recovery/support/"))
    assert "Восстановление через службу поддержки" in page
    assert "не подключены другие способы подтверждения" in page
    assert "обратитесь в службу технической поддержки" in page
    # No way around it by URL.
    for url in ("/id/recovery/method/", "/id/recovery/password/", "/id/recovery/app/"):
        assert client.get(url)["Location"] == "/id/recovery/support/"
    assert client.post("/id/recovery/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})[
        "Location"
    ] == ("/id/recovery/support/")
    assert Account.objects.get(phone=PHONE).check_password(PASSWORD)
    assert AuditEvent.objects.filter(kind=AuditKind.RECOVERY_SUPPORT).exists()


def test_one_friend_is_not_enough_to_be_offered(client: Client) -> None:
    account = owner()
    factories.trusted_friends(account, 1)
    assert to_method(client)["Location"] == "/id/recovery/support/"


def test_an_unconfirmed_email_is_not_offered(client: Client) -> None:
    account = owner()
    account.email = "maria@mail.ru"
    account.save()
    assert to_method(client)["Location"] == "/id/recovery/support/"


def test_an_account_without_a_password_sets_one_after_its_sms_code(client: Client) -> None:
    owner(password=None)
    assert to_method(client)["Location"] == "/id/recovery/password/"
    page = text(client.get("/id/recovery/password/"))
    assert "Придумайте новый пароль" in page


# --- steps cannot be skipped --------------------------------------------------------------------------------


def test_steps_cannot_be_skipped_by_url(client: Client) -> None:
    account = owner()
    secret = factories.totp(account)
    for url in (
        "/id/recovery/code/",
        "/id/recovery/account/",
        "/id/recovery/method/",
        "/id/recovery/app/",
        "/id/recovery/email/",
        "/id/recovery/friends/",
        "/id/recovery/password/",
    ):
        assert client.get(url)["Location"] == "/id/recovery/", url
    begin(client)
    for url in ("/id/recovery/account/", "/id/recovery/method/", "/id/recovery/password/"):
        assert client.get(url)["Location"] == "/id/recovery/code/", url
    assert client.post("/id/recovery/account/")["Location"] == "/id/recovery/code/"
    client.post("/id/recovery/code/", {"code": latest(PHONE).code})
    assert client.get("/id/recovery/password/")["Location"] == "/id/recovery/account/"
    client.post("/id/recovery/account/")
    # The app is the only way: the e-mail and friends' steps are closed, and so is the password.
    assert client.get("/id/recovery/password/")["Location"] == "/id/recovery/method/"
    assert choose(client, "email").status_code == 200  # not offered: the list is shown again
    assert client.get("/id/recovery/email/")["Location"] == "/id/recovery/method/"
    assert choose(client, "totp")["Location"] == "/id/recovery/app/"
    response = client.post("/id/recovery/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == "/id/recovery/app/"
    assert client.post("/id/recovery/friends/", {"action": "send", "friend": "1"})["Location"] == (
        "/id/recovery/app/"
    )
    assert Account.objects.get(phone=PHONE).check_password(PASSWORD)
    client.post("/id/recovery/app/", {"code": totp_now(secret)})
    assert client.get("/id/recovery/password/").status_code == 200


def test_another_browser_cannot_continue_someone_elses_recovery(client: Client) -> None:
    account = owner()
    factories.totp(account)
    to_method(client)
    stranger = Client()
    assert stranger.get("/id/recovery/method/")["Location"] == "/id/recovery/"


def test_an_attempt_expires(client: Client) -> None:
    account = owner()
    factories.totp(account)
    to_method(client)
    Recovery.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/id/recovery/method/")
    assert response["Location"] == "/id/recovery/"
    assert "Время на восстановление доступа истекло" in text(client.get("/id/recovery/"))
    assert client.get("/id/recovery/method/")["Location"] == "/id/recovery/"


# --- the code-generator app ------------------------------------------------------------------------------


def test_totp_right_code_proves_the_account(client: Client) -> None:
    account = owner()
    secret = factories.totp(account)
    to_method(client)
    assert choose(client, "totp")["Location"] == "/id/recovery/app/"
    page = text(client.get("/id/recovery/app/"))
    assert "Введите код из приложения" in page
    assert "Код из приложения" in page
    response = client.post("/id/recovery/app/", {"code": totp_now(secret)})
    assert response["Location"] == "/id/recovery/password/"
    assert AuditEvent.objects.filter(kind=AuditKind.RECOVERY_PROVED, detail__method="totp").exists()


def test_totp_from_the_previous_half_minute_is_accepted(client: Client) -> None:
    account = owner()
    secret = factories.totp(account)
    to_method(client)
    choose(client, "totp")
    response = client.post("/id/recovery/app/", {"code": totp_now(secret, offset=-30)})
    assert response["Location"] == "/id/recovery/password/"


def test_totp_wrong_code_is_counted_and_tries_run_out(client: Client) -> None:
    account = owner()
    secret = factories.totp(account)
    to_method(client)
    choose(client, "totp")
    right = totp_now(secret)
    wrong = "000000" if right != "000000" else "111111"
    response = client.post("/id/recovery/app/", {"code": wrong})
    assert response.status_code == 400
    assert "Неверный код." in text(response)
    assert "Осталось 4 попытки." in text(response)
    assert ThrottleHit.objects.filter(key=f"wrong:{PHONE}").count() == 1
    assert AuditEvent.objects.filter(kind=AuditKind.TOTP_WRONG).count() == 1
    for _ in range(4):
        response = client.post("/id/recovery/app/", {"code": wrong})
    assert "Попытки закончились — выберите другой способ подтверждения." in text(response)
    # Even the right code is refused now, and the field is gone.
    response = client.post("/id/recovery/app/", {"code": totp_now(secret)})
    assert "Вы ввели неверный код слишком много раз" in text(response)
    assert 'name="code"' not in response.content.decode()
    assert client.get("/id/recovery/password/")["Location"] == "/id/recovery/app/"


def test_totp_something_that_is_not_a_code_costs_no_try(client: Client) -> None:
    account = owner()
    factories.totp(account)
    to_method(client)
    choose(client, "totp")
    response = client.post("/id/recovery/app/", {"code": "12a456"})
    assert "Код состоит из 6 цифр" in text(response)
    assert not ThrottleHit.objects.filter(key=f"wrong:{PHONE}").exists()


def test_totp_replayed_code_is_refused(client: Client) -> None:
    account = owner()
    secret = factories.totp(account)
    code = totp_now(secret)
    # The code was just used (say, someone watched it typed): its step is the device's last one.
    TotpDevice.objects.filter(account=account).update(last_step=int(time.time() // 30) + 1)
    to_method(client)
    choose(client, "totp")
    response = client.post("/id/recovery/app/", {"code": code})
    assert response.status_code == 400
    assert "Этот код уже использован" in text(response)
    assert not ThrottleHit.objects.filter(key=f"wrong:{PHONE}").exists()


def test_totp_codes_share_the_phones_daily_limit(client: Client) -> None:
    account = owner()
    secret = factories.totp(account)
    to_method(client)
    choose(client, "totp")
    now = timezone.now()
    ThrottleHit.objects.bulk_create([ThrottleHit(key=f"wrong:{PHONE}", at=now) for _ in range(19)])
    right = totp_now(secret)
    response = client.post("/id/recovery/app/", {"code": "000000" if right != "000000" else "111111"})
    assert "Слишком много неверных кодов для этого номера" in text(response)
    assert code_lock_seconds(target=PHONE) > 0
    response = client.post("/id/recovery/app/", {"code": totp_now(secret)})
    assert "Слишком много неверных кодов" in text(response)
    # Sign-in by this number is blocked too.
    signin = Client()
    signin.get("/id/")
    assert "временно заблокирован" in text(signin.post("/id/", {"login": PHONE}))


# --- the e-mail code ---------------------------------------------------------------------------------------


def test_email_code_with_its_timer(client: Client) -> None:
    account = factories.confirmed_email(owner(), "maria.ivanova@mail.ru")
    to_method(client)
    assert choose(client, "email")["Location"] == "/id/recovery/email/"
    letter = latest("maria.ivanova@mail.ru", "email")
    assert letter.phone == account.phone  # the outbox finds it by the account's phone
    response = client.get("/id/recovery/email/")
    page = text(response)
    assert "Введите код из письма" in page
    assert "Мы отправили код на почту ma***@mail.ru" in page
    assert re.search(r"Отправить код повторно [45]:[0-5]\d", page)
    assert re.search(r"<button[^>]*disabled[^>]*>Отправить код повторно", response.content.decode())
    assert "У меня нет доступа к почте" in page

    # Too early: the server refuses, whatever the button says.
    client.post("/id/recovery/email/resend/")
    assert "Новый код можно запросить через" in text(client.get("/id/recovery/email/"))
    assert DevMessage.objects.filter(channel="email").count() == 1
    Code.objects.filter(channel="email").update(resend_at=timezone.now() - dt.timedelta(seconds=1))
    assert "Отправить код повторно" in text(client.get("/id/recovery/email/"))
    client.post("/id/recovery/email/resend/")
    assert DevMessage.objects.filter(channel="email").count() == 2
    letter = latest("maria.ivanova@mail.ru", "email")

    wrong = "000000" if letter.code != "000000" else "111111"
    response = client.post("/id/recovery/email/", {"code": wrong})
    assert "Неверный код. Осталось 4 попытки." in text(response)
    # Counted against the phone being recovered, not only the address.
    assert ThrottleHit.objects.filter(key=f"wrong:{PHONE}").count() == 1
    response = client.post("/id/recovery/email/", {"code": letter.code})
    assert response["Location"] == "/id/recovery/password/"


def test_email_code_expires(client: Client) -> None:
    factories.confirmed_email(owner())
    to_method(client)
    choose(client, "email")
    Code.objects.filter(channel="email").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post("/id/recovery/email/", {"code": latest("maria.ivanova@mail.ru", "email").code})
    assert "Срок действия кода истёк" in text(response)


def test_no_access_to_email_leads_to_the_other_ways_or_to_support(client: Client) -> None:
    account = factories.confirmed_email(owner())
    to_method(client)
    choose(client, "email")
    page = text(client.get("/id/recovery/method/?without=email"))
    assert "Восстановление через службу поддержки" in page
    factories.totp(account)
    page = text(client.get("/id/recovery/method/?without=email"))
    assert "С помощью приложения-генератора кодов" in page
    assert "С помощью электронной почты" not in page


# --- trusted friends ----------------------------------------------------------------------------------------


def _friends_page(client: Client):  # type: ignore[no-untyped-def]
    return text(client.get("/id/recovery/friends/"))


def test_codes_from_two_different_friends_are_needed(client: Client) -> None:
    account = owner()
    first, second = factories.trusted_friends(account, 2)
    to_method(client)
    assert choose(client, "friends")["Location"] == "/id/recovery/friends/"
    page = _friends_page(client)
    assert "Подтверждение с помощью друзей" in page
    assert "Семен В." in page
    assert "Ольга П." in page
    assert "+7 999 ***-**-" in page
    assert "Подтвердили: 0 из 2" in page

    client.post("/id/recovery/friends/", {"action": "send", "friend": first.pk})
    message = latest(first.phone, "friend")
    assert message.phone == first.phone
    assert "Мария Иванова (+7 999 ***-**-01) восстанавливает доступ" in message.text
    assert "Код от Семен В." in _friends_page(client)
    client.post("/id/recovery/friends/", {"action": "confirm", "friend": first.pk, "code": message.code})
    assert "Подтвердили: 1 из 2" in _friends_page(client)
    assert client.get("/id/recovery/password/")["Location"] == "/id/recovery/friends/"

    # The same friend again counts once: the used code is dead, and a second code is not sent to them.
    response = client.post(
        "/id/recovery/friends/", {"action": "confirm", "friend": first.pk, "code": message.code}
    )
    assert "Этот код уже использован" in text(response)
    response = client.post("/id/recovery/friends/", {"action": "send", "friend": first.pk})
    assert "Этот друг уже подтвердил, что это вы." in text(response)
    assert DevMessage.objects.filter(to=first.phone).count() == 1
    # Even a second live code of the same friend (sent before the first was confirmed) adds nothing.
    recovery = Recovery.objects.get()
    extra = code_send(
        purpose=CodePurpose.TRUSTED_FRIEND,
        channel=CodeChannel.FRIEND,
        target=first.phone,
        account=account,
        counted_as=PHONE,
    )
    recovery.friend_codes = {str(first.pk): extra.pk}
    recovery.save()
    assert (
        recovery_friend_confirm(
            recovery=recovery, friend_id=first.pk, value=latest(first.phone, "friend").code, ip=None
        )
        == 1
    )
    assert "Подтвердили: 1 из 2" in _friends_page(client)
    assert client.get("/id/recovery/password/")["Location"] == "/id/recovery/friends/"

    client.post("/id/recovery/friends/", {"action": "send", "friend": second.pk})
    response = client.post(
        "/id/recovery/friends/",
        {"action": "confirm", "friend": second.pk, "code": latest(second.phone, "friend").code},
    )
    assert response["Location"] == "/id/recovery/password/"
    assert AuditEvent.objects.filter(kind=AuditKind.RECOVERY_PROVED, detail__method="friends").exists()


def test_a_friends_code_works_only_for_that_friend(client: Client) -> None:
    account = owner()
    first, second = factories.trusted_friends(account, 2)
    to_method(client)
    choose(client, "friends")
    client.post("/id/recovery/friends/", {"action": "send", "friend": first.pk})
    code = latest(first.phone, "friend").code
    response = client.post("/id/recovery/friends/", {"action": "confirm", "friend": second.pk, "code": code})
    assert "Сначала отправьте код этому другу" in text(response)
    stranger = factories.account()
    response = client.post("/id/recovery/friends/", {"action": "send", "friend": stranger.pk})
    assert "нет среди ваших доверенных друзей" in text(response)
    assert not DevMessage.objects.filter(to=stranger.phone).exists()


def test_wrong_friend_codes_count_against_the_account_not_the_friend(client: Client) -> None:
    account = owner()
    first, _ = factories.trusted_friends(account, 2)
    to_method(client)
    choose(client, "friends")
    client.post("/id/recovery/friends/", {"action": "send", "friend": first.pk})
    right = latest(first.phone, "friend").code
    wrong = "000000" if right != "000000" else "111111"
    response = client.post("/id/recovery/friends/", {"action": "confirm", "friend": first.pk, "code": wrong})
    assert "Неверный код. Осталось 4 попытки." in text(response)
    assert ThrottleHit.objects.filter(key=f"wrong:{PHONE}").count() == 1
    assert not ThrottleHit.objects.filter(key=f"wrong:{first.phone}").exists()
    now = timezone.now()
    ThrottleHit.objects.bulk_create([ThrottleHit(key=f"wrong:{PHONE}", at=now) for _ in range(19)])
    client.post("/id/recovery/friends/", {"action": "confirm", "friend": first.pk, "code": wrong})
    assert code_lock_seconds(target=PHONE) > 0
    assert code_lock_seconds(target=first.phone) == 0  # the friend still signs in


def test_a_friends_code_that_cannot_be_delivered_says_so(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PARTA_ID_SENDERS = {
        **settings.PARTA_ID_SENDERS,
        "friend": "parta.identity.delivery.disabled.DisabledSender",
    }
    account = owner()
    first, _ = factories.trusted_friends(account, 2)
    to_method(client)
    choose(client, "friends")
    response = client.post("/id/recovery/friends/", {"action": "send", "friend": first.pk})
    assert response.status_code == 400
    assert "Не удалось отправить код другу" in text(response)


# --- the new password ---------------------------------------------------------------------------------------


def _proved(client: Client, account: Account) -> None:
    secret = factories.totp(account)
    to_method(client)
    choose(client, "totp")
    client.post("/id/recovery/app/", {"code": totp_now(secret)})


def test_the_new_password_screen_shows_the_rules_and_the_box(client: Client) -> None:
    _proved(client, owner())
    response = client.get("/id/recovery/password/")
    page = text(response)
    html = response.content.decode()
    for line in (
        "Придумайте новый пароль",
        "Можно также использовать пароль, предложенный устройством",
        "Введите новый пароль",
        "Минимум 8 символов, не больше 256",
        "Не из списка самых распространённых паролей",
        "Не похож на ваш номер телефона, имя или фамилию",
        "Повторите новый пароль",
        "Выйти на всех устройствах, кроме этого",
        "Продолжить",
    ):
        assert line in page
    assert re.search(r'<input type="checkbox" name="end_sessions"[^>]*checked', html)
    assert 'autocomplete="new-password"' in html


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("short", "short", "Пароль слишком короткий: нужно не меньше 8 символов."),
        ("password123", "password123", "Этот пароль слишком распространён"),
        ("Иванова2024", "Иванова2024", "Пароль слишком похож на фамилию"),
        ("ab+79991230001", "ab+79991230001", "Пароль не должен содержать ваш номер телефона."),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "Пароли не совпадают"),
        ("", "", "Введите новый пароль."),
    ],
)
def test_a_refused_new_password_says_why(client: Client, first: str, second: str, message: str) -> None:
    _proved(client, owner())
    response = client.post("/id/recovery/password/", {"password1": first, "password2": second})
    assert response.status_code == 400
    assert message in text(response)
    assert Account.objects.get(phone=PHONE).check_password(PASSWORD)


def test_the_reset_ends_every_session_revokes_tokens_and_asks_to_sign_in_again(client: Client) -> None:
    account = owner()
    elsewhere = Client()
    elsewhere.force_login(account)
    assert elsewhere.get("/id/account/").status_code == 200
    access, refresh = factories.oauth_tokens(account)
    other_account = factories.account()
    other_access, _ = factories.oauth_tokens(other_account)
    password_before = Account.objects.get(pk=account.pk).password

    _proved(client, account)
    response = client.post(
        "/id/recovery/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "end_sessions": ""},
    )
    assert response["Location"] == "/id/?edit=1"
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert account.password.startswith("argon2$argon2id$")
    assert account.password != password_before
    # The other browser is signed out; the journal's tokens are revoked; another account's are not.
    assert elsewhere.get("/id/account/")["Location"].startswith("/id/?next=")
    assert not AccessToken.objects.filter(pk=access.pk).exists()  # type: ignore[attr-defined]
    assert RefreshToken.objects.get(pk=refresh.pk).revoked is not None  # type: ignore[attr-defined]
    assert AccessToken.objects.filter(pk=other_access.pk).exists()  # type: ignore[attr-defined]
    # «Вход» again, with the phone filled in and the good news.
    page = client.get("/id/?edit=1")
    assert "Пароль изменён. Войдите в Сферум ID с новым паролем." in text(page)
    assert 'value="+7 999 123-00-01"' in page.content.decode()
    assert client.get("/id/recovery/password/")["Location"] == "/id/recovery/"
    kinds = set(AuditEvent.objects.filter(account=account).values_list("kind", flat=True))
    assert {AuditKind.PASSWORD_RESET, AuditKind.SESSIONS_ENDED, AuditKind.TOKENS_REVOKED} <= kinds
    for event in AuditEvent.objects.all():
        assert NEW_PASSWORD not in str(event.detail)

    # And signing in with the new password works.
    client.post("/id/", {"login": PHONE})
    response = client.post("/id/password/", {"password": NEW_PASSWORD})
    assert response["Location"] == "/id/code/"


def test_a_reset_lifts_the_wrong_password_lock(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    account = owner()
    signin = Client()
    signin.get("/id/")
    signin.post("/id/", {"login": PHONE})
    for _ in range(10):
        signin.post("/id/password/", {"password": "not it"})
    assert "временно заблокирован" in text(signin.post("/id/password/", {"password": PASSWORD}))
    _proved(client, account)
    client.post("/id/recovery/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    response = signin.post("/id/password/", {"password": NEW_PASSWORD})
    assert response["Location"] == "/id/code/"


def test_codes_and_passwords_never_reach_the_audit_log(client: Client) -> None:
    account = factories.confirmed_email(owner())
    to_method(client)
    choose(client, "email")
    client.post("/id/recovery/email/", {"code": latest("maria.ivanova@mail.ru", "email").code})
    client.post("/id/recovery/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    codes = set(DevMessage.objects.values_list("code", flat=True))
    for event in AuditEvent.objects.filter(account=account):
        blob = str(event.detail) + event.target
        assert NEW_PASSWORD not in blob
        assert not any(code in blob for code in codes)
