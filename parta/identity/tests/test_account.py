"""The account page (issue 3, flow 7) through Django's test client: every change it offers."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from oauth2_provider.models import AccessToken, RefreshToken

from parta.identity.actions.sessions import SIGNED_IN_AT
from parta.identity.models import (
    Account,
    AccountSession,
    AuditEvent,
    AuditKind,
    DevMessage,
    TotpDevice,
    TrustedFriend,
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
    message = DevMessage.objects.filter(to=to, channel=channel).order_by("-id").first()
    assert message is not None, f"nothing was sent to {to} by {channel}"
    return message


def me(*, password: str | None = None) -> Account:
    account = factories.account(PHONE, password=password)
    factories.profile(account)
    return account


def signed_in(
    account: Account,
    *,
    password: str | None = None,
    user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
) -> Client:
    """A browser signed in to ``account`` just now, through «Вход» (password when given, then the code)."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/id/", {"login": account.phone})
    if password is not None:
        assert response["Location"] == "/id/password/"
        response = client.post("/id/password/", {"password": password})
    assert response["Location"] == "/id/code/"
    response = client.post("/id/code/", {"code": latest(account.phone).code})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(account.pk)
    return client


def signed_in_long_ago(client: Client, *, seconds: int = 3600) -> None:
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - seconds
    session.save()


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --- the page and its gate ---------------------------------------------------------------------------


def test_the_page_needs_a_sign_in_and_comes_back_after_it() -> None:
    response = Client().get("/id/account/")
    assert response.status_code == 302
    assert response["Location"] == "/id/?next=/id/account/"


def test_the_overview_lists_every_section() -> None:
    account = me()
    client = signed_in(account)
    page = text(client.get("/id/account/"))
    for line in (
        "Аккаунт Сферум ID",
        "Телефон",
        "+7 999 ***-**-01",
        "Изменить номер",
        "Пароль не установлен",
        "Установить пароль",
        "Восстановление доступа",
        "Приложение-генератор кодов",
        "Не подключено",
        "Электронная почта",
        "Не указана",
        "Доверенные друзья",
        "Не выбраны",
        "Активные сеансы",
        "Chrome, Linux",
        "Этот браузер",
        "Других сеансов нет",
        "Подключённые сервисы",
    ):
        assert line in page, line
    assert "+7 999 123-00-01" not in page


def test_changes_that_add_a_way_in_need_a_recent_sign_in() -> None:
    account = me()
    client = signed_in(account)
    signed_in_long_ago(client)
    for url, title in (
        ("/id/account/phone/", "Изменить номер телефона"),
        ("/id/account/password/", "Установить пароль"),
        ("/id/account/app/", "Подключить приложение-генератор кодов"),
        ("/id/account/email/", "Добавить почту"),
    ):
        page = text(client.get(url))
        assert title in page
        assert "войдите ещё раз: с вашего входа прошло больше 15 минут" in page
        assert "Войти ещё раз" in page
    # A POST made without the fresh sign-in changes nothing.
    response = client.post("/id/account/phone/", {"action": "send", "phone": "+79991230077"})
    assert response.status_code == 403
    assert not DevMessage.objects.filter(to="+79991230077").exists()
    friend = factories.account()
    factories.profile(friend)
    response = client.post("/id/account/friends/", {"phone": friend.phone})
    assert response.status_code == 403
    assert not TrustedFriend.objects.exists()
    # The list of friends itself is readable without it.
    assert client.get("/id/account/friends/").status_code == 200


def test_sign_in_again_returns_to_the_change_that_asked_for_it() -> None:
    account = me()
    client = signed_in(account)
    signed_in_long_ago(client)
    response = client.post("/id/account/reauth/", {"next": "/id/account/phone/?edit=1"})
    assert response["Location"] == "/id/?edit=1"
    # Signed out here, with the same phone filled in.
    assert client.get("/id/account/")["Location"].startswith("/id/?next=")
    page = client.get("/id/?edit=1")
    assert 'value="+7 999 123-00-01"' in page.content.decode()
    response = client.post("/id/", {"login": PHONE})
    assert response["Location"] == "/id/code/"
    response = client.post("/id/code/", {"code": latest(PHONE).code})
    assert response["Location"] == "/id/account/phone/?edit=1"
    assert "Новый номер телефона" in text(client.get(response["Location"]))


def test_sign_in_again_never_returns_outside_the_account_page() -> None:
    client = signed_in(me())
    client.post("/id/account/reauth/", {"next": "https://evil.example/"})
    client.post("/id/", {"login": PHONE})
    response = client.post("/id/code/", {"code": latest(PHONE).code})
    assert response["Location"] == "/id/account/"


# --- Телефон -----------------------------------------------------------------------------------------


def test_the_phone_changes_only_with_the_code_sent_to_the_new_number() -> None:
    account = me()
    client = signed_in(account)
    new = "+79991239900"
    response = client.post("/id/account/phone/", {"action": "send", "phone": "8 (999) 123-99-00"})
    assert response["Location"] == "/id/account/phone/"
    page = text(client.get("/id/account/phone/"))
    assert "Подтвердите новый номер" in page
    assert "SMS с кодом отправлено на телефон +7 999 123-99-00" in page
    assert re.search(r"Отправить SMS через [12]:[0-5]\d", page)
    sms = latest(new)
    assert DevMessage.objects.filter(to=PHONE).count() == 1  # only the sign-in's code

    response = client.post("/id/account/phone/", {"action": "confirm", "code": wrong(sms.code)})
    assert response.status_code == 400
    assert "Неверный код. Осталось 4 попытки." in text(response)
    assert Account.objects.get(pk=account.pk).phone == PHONE

    response = client.post("/id/account/phone/", {"action": "confirm", "code": sms.code})
    assert response["Location"] == "/id/account/"
    assert Account.objects.get(pk=account.pk).phone == new
    page = text(client.get("/id/account/"))
    assert "Номер изменён. Теперь входите по номеру +7 999 123-99-00." in page
    assert "+7 999 ***-**-00" in page
    assert AuditEvent.objects.filter(kind=AuditKind.PHONE_CHANGED, account=account, target=new).exists()


@pytest.mark.parametrize(
    ("entered", "message"),
    [
        (PHONE, "Это ваш текущий номер. Введите новый."),
        ("+7 495 123-45-67", "Нужен номер мобильного телефона российского оператора"),
        ("", "Введите номер телефона."),
    ],
)
def test_a_wrong_new_number_is_refused_with_a_reason(entered: str, message: str) -> None:
    client = signed_in(me())
    sent = DevMessage.objects.count()
    response = client.post("/id/account/phone/", {"action": "send", "phone": entered})
    assert response.status_code == 400
    assert message in text(response)
    assert DevMessage.objects.count() == sent


def test_a_number_of_another_account_cannot_be_taken() -> None:
    other = factories.account("+79991239901")
    client = signed_in(me())
    response = client.post("/id/account/phone/", {"action": "send", "phone": other.phone})
    assert response.status_code == 400
    assert "Этот номер уже привязан к другому аккаунту Сферум ID" in text(response)
    assert not DevMessage.objects.filter(to=other.phone).exists()


def test_a_number_taken_while_its_code_was_on_its_way_is_refused() -> None:
    account = me()
    client = signed_in(account)
    new = "+79991239902"
    client.post("/id/account/phone/", {"action": "send", "phone": new})
    factories.account(new)  # someone signed in with that number meanwhile
    response = client.post("/id/account/phone/", {"action": "confirm", "code": latest(new).code})
    assert response.status_code == 400
    assert "Этот номер уже привязан к другому аккаунту" in text(response)
    assert Account.objects.get(pk=account.pk).phone == PHONE


def test_the_phone_code_resend_waits_for_its_timer() -> None:
    client = signed_in(me())
    new = "+79991239903"
    client.post("/id/account/phone/", {"action": "send", "phone": new})
    response = client.post("/id/account/phone/", {"action": "resend"})
    assert response.status_code == 400
    assert re.search(r"Отправить SMS повторно можно через [12]:[0-5]\d", text(response))
    assert DevMessage.objects.filter(to=new).count() == 1


# --- Пароль ------------------------------------------------------------------------------------------


def test_a_password_is_set_with_the_policy_shown() -> None:
    account = me()
    client = signed_in(account)
    page = client.get("/id/account/password/")
    html, words = page.content.decode(), text(page)
    assert "Установить пароль" in words
    assert "Текущий пароль" not in words
    for line in ("Введите новый пароль", "Минимум 8 символов, не больше 256", "Повторите новый пароль"):
        assert line in words
    assert 'autocomplete="new-password"' in html
    response = client.post("/id/account/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == "/id/account/"
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    # Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), not Django's heavier defaults.
    assert account.password.startswith("argon2$argon2id$v=19$m=7168,t=5,p=1$")
    page = text(client.get("/id/account/"))
    assert "Пароль сохранён." in page
    assert "Пароль установлен" in page
    assert "Изменить пароль" in page


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
def test_the_policy_refuses_a_weak_password_in_russian(first: str, second: str, message: str) -> None:
    account = me()
    client = signed_in(account)
    response = client.post("/id/account/password/", {"password1": first, "password2": second})
    assert response.status_code == 400
    assert message in text(response)
    account.refresh_from_db()
    assert not account.has_password


def test_a_hash_with_djangos_argon2_parameters_still_signs_in_and_is_rehashed() -> None:
    account = me()
    old = Argon2PasswordHasher().encode(PASSWORD, "somesaltsomesalt")
    assert "m=102400,t=2,p=8" in old
    Account.objects.filter(pk=account.pk).update(password=old)
    signed_in(account, password=PASSWORD)
    account.refresh_from_db()
    assert account.password.startswith("argon2$argon2id$v=19$m=7168,t=5,p=1$")
    assert account.check_password(PASSWORD)


def test_the_seed_policy_adds_the_manuals_rule(settings) -> None:  # type: ignore[no-untyped-def]
    settings.AUTH_PASSWORD_VALIDATORS = [
        *settings.AUTH_PASSWORD_VALIDATORS,
        {"NAME": "parta.identity.passwords.CharacterClassesValidator"},
    ]
    client = signed_in(me())
    page = text(client.get("/id/account/password/"))
    assert "Заглавные и строчные буквы, цифры и спецсимволы" in page
    response = client.post(
        "/id/account/password/", {"password1": "новый пароль семь", "password2": "новый пароль семь"}
    )
    assert response.status_code == 400
    assert "Добавьте в пароль заглавную букву, цифру" in text(response)
    response = client.post("/id/account/password/", {"password1": "Nov-Parol7", "password2": "Nov-Parol7"})
    assert response["Location"] == "/id/account/"


def test_changing_a_password_needs_the_current_one() -> None:
    account = me(password=PASSWORD)
    client = signed_in(account, password=PASSWORD)
    signed_in_long_ago(client)  # knowing the current password is enough: no fresh sign-in needed
    page = text(client.get("/id/account/password/"))
    assert "Изменить пароль" in page
    assert "Текущий пароль" in page
    response = client.post("/id/account/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 400
    assert "Введите текущий пароль." in text(response)
    response = client.post(
        "/id/account/password/",
        {"current": "not it at all", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "Неверный пароль. Проверьте раскладку клавиатуры и Caps Lock." in text(response)
    assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD_WRONG, account=account).exists()
    response = client.post(
        "/id/account/password/", {"current": PASSWORD, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 400
    assert "Новый пароль совпадает с текущим" in text(response)
    account.refresh_from_db()
    assert account.check_password(PASSWORD)

    response = client.post(
        "/id/account/password/", {"current": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response["Location"] == "/id/account/"
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD_CHANGED, account=account).exists()


def test_wrong_current_passwords_lock_like_on_sign_in() -> None:
    account = me(password=PASSWORD)
    client = signed_in(account, password=PASSWORD)
    for _ in range(10):
        client.post(
            "/id/account/password/",
            {"current": "not it at all", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    response = client.post(
        "/id/account/password/", {"current": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 400
    assert "Вход по паролю временно заблокирован" in text(response)
    account.refresh_from_db()
    assert account.check_password(PASSWORD)


def test_a_new_password_ends_other_sessions_and_revokes_tokens_but_keeps_this_one() -> None:
    account = me(password=PASSWORD)
    client = signed_in(account, password=PASSWORD)
    laptop = signed_in(account, password=PASSWORD, user_agent="Mozilla/5.0 (Windows NT 10.0) Firefox/133.0")
    assert laptop.get("/id/account/").status_code == 200
    access, refresh = factories.oauth_tokens(account)
    someone_else = factories.account()
    their_access, _ = factories.oauth_tokens(someone_else)
    key_before = client.session.session_key

    response = client.post(
        "/id/account/password/", {"current": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response["Location"] == "/id/account/"
    # This browser stays signed in (with a new session id); the other one is signed out.
    assert client.get("/id/account/").status_code == 200
    assert client.session.session_key != key_before
    assert laptop.get("/id/account/")["Location"].startswith("/id/?next=")
    assert list(AccountSession.objects.filter(account=account).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]
    # The journal's tokens of this account are revoked; another account's are not.
    assert not AccessToken.objects.filter(pk=access.pk).exists()  # type: ignore[attr-defined]
    assert RefreshToken.objects.get(pk=refresh.pk).revoked is not None  # type: ignore[attr-defined]
    assert AccessToken.objects.filter(pk=their_access.pk).exists()  # type: ignore[attr-defined]
    kinds = set(AuditEvent.objects.filter(account=account).values_list("kind", flat=True))
    assert {AuditKind.PASSWORD_CHANGED, AuditKind.SESSIONS_ENDED, AuditKind.TOKENS_REVOKED} <= kinds
    for event in AuditEvent.objects.all():
        assert NEW_PASSWORD not in str(event.detail)
        assert PASSWORD not in str(event.detail)


# --- Приложение-генератор кодов --------------------------------------------------------------------


def _setup_secret(client: Client) -> str:
    page = client.get("/id/account/app/")
    html = page.content.decode()
    assert "<svg" in html
    assert 'aria-label="QR-код для приложения-генератора кодов"' in html
    match = re.search(r"<code data-secret>([A-Z2-7 ]+)</code>", html)
    assert match, "the key is shown for typing by hand"
    return match.group(1).replace(" ", "")


def test_the_code_app_is_connected_by_its_first_code() -> None:
    account = me()
    client = signed_in(account)
    secret = _setup_secret(client)
    assert len(secret) == 32
    page = text(client.get("/id/account/app/"))
    assert "Отсканируйте QR-код в приложении" in page
    assert "Введите ключ вручную" in page
    secret = _setup_secret(client)  # a new key on every visit: the last one shown counts

    response = client.post("/id/account/app/", {"code": "12345"})
    assert response.status_code == 400
    assert not TotpDevice.objects.exists()

    now_code = pyotp.TOTP(secret).now()
    response = client.post("/id/account/app/", {"code": wrong(now_code)})
    assert response.status_code == 400
    assert "Неверный код. Проверьте, что ключ добавлен в приложение без ошибок" in text(response)
    assert not TotpDevice.objects.exists()

    response = client.post("/id/account/app/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/id/account/"
    device = TotpDevice.objects.get(account=account)
    assert device.secret == secret
    page = text(client.get("/id/account/"))
    assert "Приложение-генератор кодов подключено." in page
    assert re.search(r"Подключено \d+ \w+ \d{4}", page)
    assert AuditEvent.objects.filter(kind=AuditKind.TOTP_ENABLED, account=account).exists()


def test_a_code_of_an_older_key_does_not_connect_the_app() -> None:
    client = signed_in(me())
    first = _setup_secret(client)
    _setup_secret(client)
    response = client.post("/id/account/app/", {"code": pyotp.TOTP(first).now()})
    assert response.status_code == 400
    assert not TotpDevice.objects.exists()


def test_the_code_app_is_removed() -> None:
    account = me()
    factories.totp(account)
    client = signed_in(account)
    page = text(client.get("/id/account/"))
    assert "Отключить" in page
    response = client.post("/id/account/app/remove/")
    assert response["Location"] == "/id/account/"
    assert not TotpDevice.objects.exists()
    page = text(client.get("/id/account/"))
    assert "Приложение-генератор кодов отключено." in page
    assert "Не подключено" in page
    assert AuditEvent.objects.filter(kind=AuditKind.TOTP_DISABLED, account=account).exists()


# --- Электронная почта -------------------------------------------------------------------------------


def test_an_email_is_added_by_the_code_from_the_letter() -> None:
    account = me()
    client = signed_in(account)
    assert "Адрес электронной почты" in text(client.get("/id/account/email/?edit=1"))
    response = client.post("/id/account/email/", {"action": "send", "email": "Maria.Ivanova@Mail.ru"})
    assert response["Location"] == "/id/account/email/"
    page = text(client.get("/id/account/email/"))
    assert "Введите код из письма" in page
    assert "maria.ivanova@mail.ru" in page
    letter = latest("maria.ivanova@mail.ru", "email")
    response = client.post("/id/account/email/", {"action": "confirm", "code": wrong(letter.code)})
    assert response.status_code == 400
    assert "Неверный код" in text(response)
    account.refresh_from_db()
    assert account.email_confirmed_at is None

    response = client.post("/id/account/email/", {"action": "confirm", "code": letter.code})
    assert response["Location"] == "/id/account/"
    account.refresh_from_db()
    assert account.email == "maria.ivanova@mail.ru"
    assert account.email_confirmed_at is not None
    page = text(client.get("/id/account/"))
    assert "Почта подтверждена." in page
    assert "— подтверждена" in page
    assert "maria.ivanova@mail.ru" not in page  # masked
    # The confirmed address now signs in instead of the phone.
    other = Client()
    response = other.post("/id/", {"login": "maria.ivanova@mail.ru"})
    assert response["Location"] == "/id/code/"
    assert DevMessage.objects.filter(to=PHONE, channel="sms").exists()


def test_a_bad_or_taken_email_is_refused() -> None:
    factories.confirmed_email(factories.account(), "taken@mail.ru")
    client = signed_in(me())
    response = client.post("/id/account/email/", {"action": "send", "email": "not an address"})
    assert response.status_code == 400
    assert "Проверьте адрес почты" in text(response)
    response = client.post("/id/account/email/", {"action": "send", "email": "TAKEN@mail.ru"})
    assert response.status_code == 400
    assert "Эта почта уже подтверждена в другом аккаунте Сферум ID" in text(response)
    assert not DevMessage.objects.filter(channel="email").exists()


def test_the_email_is_removed() -> None:
    account = factories.confirmed_email(me())
    client = signed_in(account)
    response = client.post("/id/account/email/remove/")
    assert response["Location"] == "/id/account/"
    account.refresh_from_db()
    assert (account.email, account.email_confirmed_at) == ("", None)
    assert "Почта удалена из аккаунта." in text(client.get("/id/account/"))


# --- Доверенные друзья -------------------------------------------------------------------------------


def friend(number: str, *, first: str = "Семен", last: str = "Власенков") -> Account:
    account = factories.account(number)
    factories.profile(account, first=first, last=last, middle="")
    return account


def test_friends_are_added_by_phone_and_removed() -> None:
    account = me()
    client = signed_in(account)
    page = text(client.get("/id/account/friends/"))
    assert "Пока никто не выбран." in page
    semyon = friend("+79991230101")
    olga = friend("+79991230102", first="Ольга", last="Петрова")

    response = client.post("/id/account/friends/", {"phone": "8 999 123-01-01"})
    assert response["Location"] == "/id/account/friends/"
    page = text(client.get("/id/account/friends/"))
    assert "Друг добавлен в список доверенных." in page
    assert "Семен В." in page
    assert "+7 999 ***-**-01" in page
    assert "Добавьте ещё хотя бы одного друга: для восстановления нужны коды от двух." in page
    assert "Нужно ещё хотя бы одного" in text(client.get("/id/account/"))

    client.post("/id/account/friends/", {"phone": olga.phone})
    assert "Ольга П." in text(client.get("/id/account/"))
    assert "Нужно ещё хотя бы одного" not in text(client.get("/id/account/"))
    response = client.post("/id/account/friends/", {"phone": olga.phone})
    assert response.status_code == 400
    assert "Этот друг уже в вашем списке." in text(response)

    response = client.post(f"/id/account/friends/{semyon.pk}/remove/")
    assert response["Location"] == "/id/account/friends/"
    assert "Друг удалён из списка доверенных." in text(client.get("/id/account/friends/"))
    assert list(TrustedFriend.objects.values_list("friend_id", flat=True)) == [olga.pk]
    kinds = list(AuditEvent.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds.count(AuditKind.FRIEND_ADDED) == 2
    assert kinds.count(AuditKind.FRIEND_REMOVED) == 1


def test_only_existing_accounts_with_a_profile_can_be_friends() -> None:
    factories.account("+79991230103")  # signed in once, no educational profile
    client = signed_in(me())
    for number in ("+79991230103", "+79991230104"):
        response = client.post("/id/account/friends/", {"phone": number})
        assert response.status_code == 400
        assert "Не нашли аккаунт Сферум ID с учебным профилем по этому номеру" in text(response)
    response = client.post("/id/account/friends/", {"phone": PHONE})
    assert response.status_code == 400
    assert "Это ваш номер." in text(response)
    response = client.post("/id/account/friends/", {"phone": "12345"})
    assert response.status_code == 400
    assert not TrustedFriend.objects.exists()


def test_another_persons_friend_cannot_be_removed_by_id() -> None:
    owner = me()
    stranger = factories.account()
    chosen = factories.trusted_friends(stranger, count=1)[0]
    client = signed_in(owner)
    client.post(f"/id/account/friends/{chosen.pk}/remove/")
    assert TrustedFriend.objects.filter(account=stranger, friend=chosen).exists()


def test_friend_look_ups_are_limited(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PARTA_ID_FRIEND_LOOKUPS = [(3, 86400)]
    client = signed_in(me())
    for index in range(3):
        response = client.post("/id/account/friends/", {"phone": f"+7999123020{index}"})
        assert "Не нашли аккаунт" in text(response)
    real = friend("+79991230209")
    response = client.post("/id/account/friends/", {"phone": real.phone})
    assert response.status_code == 400
    assert "Вы искали друзей по номеру слишком много раз. Попробуйте через" in text(response)
    assert not TrustedFriend.objects.exists()


def test_at_most_five_friends() -> None:
    account = me()
    factories.trusted_friends(account, count=5)
    client = signed_in(account)
    page = text(client.get("/id/account/friends/"))
    assert "В списке 5 друзей — больше выбрать нельзя." in page
    response = client.post("/id/account/friends/", {"phone": friend("+79991230301").phone})
    assert response.status_code == 400
    assert "Можно выбрать не больше 5 друзей" in text(response)
    assert TrustedFriend.objects.filter(account=account).count() == 5


# --- Активные сеансы ---------------------------------------------------------------------------------


def test_sign_out_everywhere_but_here() -> None:
    account = me()
    client = signed_in(account)
    phone = signed_in(account, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1")
    tablet = signed_in(account, user_agent="Mozilla/5.0 (Linux; Android 14) YaBrowser/24.1 Mobile")
    neighbour = signed_in(factories.account())
    page = text(client.get("/id/account/"))
    assert "Safari, iPhone" in page
    assert "Яндекс Браузер, Android" in page
    assert "Выйти на всех устройствах, кроме этого" in page

    response = client.post("/id/account/sessions/end/")
    assert response["Location"] == "/id/account/#sessions"
    page = text(client.get("/id/account/"))
    assert "Готово: завершено 2 сеанса. На других устройствах нужно будет войти заново." in page
    assert "Других сеансов нет" in page
    for other in (phone, tablet):
        assert other.get("/id/account/")["Location"].startswith("/id/?next=")
    assert neighbour.get("/id/account/").status_code == 200
    assert AuditEvent.objects.filter(kind=AuditKind.SESSIONS_ENDED, account=account).exists()


def test_a_session_the_table_never_saw_is_ended_too() -> None:
    account = me()
    client = signed_in(account)
    hidden = signed_in(account)
    AccountSession.objects.filter(session_key=hidden.session.session_key).delete()
    client.post("/id/account/sessions/end/")
    assert hidden.get("/id/account/")["Location"].startswith("/id/?next=")
    assert client.get("/id/account/").status_code == 200


# --- Подключённые сервисы ----------------------------------------------------------------------------


def test_connected_services_are_listed_and_disconnected() -> None:
    account = me()
    bars = factories.journal_client("БАРС.Электронная школа")
    mesh = factories.journal_client("МЭШ.ВКС")
    bars_access, bars_refresh = factories.oauth_tokens(account, bars)
    mesh_access, _ = factories.oauth_tokens(account, mesh)
    client = signed_in(account)
    html = client.get("/id/account/").content.decode()
    assert "БАРС.Электронная школа" in html
    assert "МЭШ.ВКС" in html
    assert 'aria-label="Отключить «БАРС.Электронная школа»"' in html

    response = client.post(f"/id/account/services/{bars.application_id}/disconnect/")
    assert response["Location"] == "/id/account/#services"
    page = text(client.get("/id/account/"))
    assert "Сервис «БАРС.Электронная школа» отключён." in page
    assert "МЭШ.ВКС" in page
    assert "Отключить «БАРС.Электронная школа»" not in client.get("/id/account/").content.decode()
    assert not AccessToken.objects.filter(pk=bars_access.pk).exists()  # type: ignore[attr-defined]
    assert RefreshToken.objects.get(pk=bars_refresh.pk).revoked is not None  # type: ignore[attr-defined]
    assert AccessToken.objects.filter(pk=mesh_access.pk).exists()  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(kind=AuditKind.TOKENS_REVOKED, account=account).exists()


def test_a_service_of_another_account_is_not_touched() -> None:
    stranger = factories.account()
    journal = factories.journal_client()
    access, _ = factories.oauth_tokens(stranger, journal)
    client = signed_in(me())
    client.post(f"/id/account/services/{journal.application_id}/disconnect/")
    assert AccessToken.objects.filter(pk=access.pk).exists()  # type: ignore[attr-defined]


def test_account_page_posts_need_the_csrf_token() -> None:
    account = me()
    client = Client(enforce_csrf_checks=True)
    client.force_login(account)
    assert client.post("/id/account/sessions/end/").status_code == 403
