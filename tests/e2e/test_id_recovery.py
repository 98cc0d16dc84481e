"""Password recovery in a real browser, step by step as manual 001 («Восстановление пароля») tells it.

«Забыли или не установили пароль?» → «Восстановление доступа» → «Код подтверждения» → «Проверка аккаунта»
→ «Как вы хотите подтвердить, что аккаунт принадлежит вам?» → the code-generator app, the e-mail code or
two trusted friends' codes → «Придумайте новый пароль» (the rules shown, a weak password refused, «Выйти
на всех устройствах, кроме этого») → «Продолжить» → signing in again with the new password. The second
ways are set up beforehand in the servers' database (``Parta.platform_shell``); the account page's own
browser test sets them up through the page. Codes come from the dev outbox. Screens are saved to
``test-artifacts/id-recovery-*.png``.
"""

from __future__ import annotations

import itertools
import re

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Parta
from tests.e2e.test_id_signin import confirm_with_sms, enter_phone, masked, shot, shown, start

pytestmark = pytest.mark.browser
OLD_PASSWORD = "Correct-horse-9"
NEW_PASSWORD = "Новый-пароль-2026"
_numbers = itertools.count(1)
FRIEND_NAMES = [("Семен", "Власенков"), ("Ольга", "Петрова")]


def new_email(phone: str) -> str:
    """A confirmed address belongs to one account only: each test gets its own (masked «ma***@mail.ru»)."""
    return f"maria.{phone[-4:]}@mail.ru"


def new_phone() -> str:
    """A number no other browser test uses: +7 999 200-1N-NN."""
    return f"+7999200{1000 + next(_numbers):04d}"


def create_owner(
    parta: Parta,
    phone: str,
    *,
    totp: str | None = None,
    email: str | None = None,
    friends: tuple[str, ...] = (),
) -> None:
    """An account with a password and an educational profile, and the second ways asked for."""
    parta.platform_shell(
        "import datetime\n"
        "from django.utils import timezone\n"
        "from parta.identity.models import Account, EducationalProfile, TotpDevice, TrustedFriend\n"
        "def person(phone, password, first, last, middle):\n"
        "    a = Account.objects.create_user(phone, password)\n"
        "    EducationalProfile.objects.create(account=a, last_name=last, first_name=first,\n"
        "        middle_name=middle, birth_date=datetime.date(1986, 4, 12), gender='female')\n"
        "    return a\n"
        f"a = person({phone!r}, {OLD_PASSWORD!r}, 'Мария', 'Иванова', 'Петровна')\n"
        + (f"TotpDevice.objects.create(account=a, secret={totp!r})\n" if totp else "")
        + (
            f"a.email = {email!r}; a.email_confirmed_at = timezone.now()\n"
            "a.save(update_fields=['email', 'email_confirmed_at'])\n"
            if email
            else ""
        )
        + "".join(
            f"f = person({number!r}, None, {first!r}, {last!r}, '')\n"
            "TrustedFriend.objects.create(account=a, friend=f)\n"
            for number, (first, last) in zip(friends, FRIEND_NAMES[: len(friends)], strict=True)
        )
    )


def to_the_choice(page: Page, parta: Parta, phone: str) -> None:
    """Manual 001, steps 1–5: «Вход» → «Забыли или не установили пароль?» → phone → SMS code → the account."""
    start(page, parta)
    enter_phone(page, phone)
    expect(page.get_by_role("heading", name="Введите пароль")).to_be_visible()
    page.get_by_role("link", name="Забыли или не установили пароль?").click()

    expect(page.get_by_role("heading", name="Восстановление доступа")).to_be_visible()
    expect(page.get_by_label("Номер телефона")).to_have_value(shown(phone))
    shot(page, "recovery-1-telefon")
    page.get_by_role("button", name="Продолжить", exact=True).click()

    expect(page.get_by_role("heading", name="Код подтверждения")).to_be_visible()
    expect(page.get_by_text(f"SMS с кодом отправлено на телефон {shown(phone)}")).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile(r"^Отправить SMS через [12]:[0-5]\d$"))
    ).to_be_disabled()
    expect(page.get_by_role("link", name="Изменить номер телефона").first).to_be_visible()
    shot(page, "recovery-2-kod")
    sms = parta.latest_message(phone, "sms")
    assert "восстановления" in sms["text"]
    page.get_by_label("Введите код").fill(sms["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()

    expect(page.get_by_role("heading", name="Проверка аккаунта")).to_be_visible()
    expect(page.get_by_text("Проверьте, правильный ли выбран аккаунт для восстановления")).to_be_visible()
    expect(page.get_by_text("Мария Иванова")).to_be_visible()
    expect(page.get_by_text(masked(phone))).to_be_visible()
    shot(page, "recovery-3-akkaunt")
    page.get_by_role("button", name="Продолжить", exact=True).click()


def new_password_and_sign_in_again(page: Page, parta: Parta, phone: str, *, shots: bool = False) -> None:
    """Manual 001, steps 7–8: the rules, a weak password refused, the new one, then «Вход» with it."""
    expect(page.get_by_role("heading", name="Придумайте новый пароль")).to_be_visible()
    expect(page.get_by_text("Можно также использовать пароль, предложенный устройством")).to_be_visible()
    rules = page.get_by_role("list", name="Требования к паролю")
    expect(rules).to_contain_text("Минимум 8 символов")
    expect(rules).to_contain_text("Не из списка самых распространённых паролей")
    expect(rules).to_contain_text("Не похож на ваш номер телефона, имя или фамилию")
    sessions = page.get_by_label("Выйти на всех устройствах, кроме этого")
    expect(sessions).to_be_checked()
    page.get_by_label("Введите новый пароль").fill("password123")
    page.get_by_label("Повторите новый пароль").fill("password123")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_text("Этот пароль слишком распространён")).to_be_visible()
    if shots:
        shot(page, "recovery-7-slabyy-parol")
    page.get_by_label("Введите новый пароль").fill(NEW_PASSWORD)
    page.get_by_label("Повторите новый пароль").fill(NEW_PASSWORD)
    if shots:
        shot(page, "recovery-7-novyy-parol")
    page.get_by_role("button", name="Продолжить", exact=True).click()

    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    expect(page.get_by_text("Пароль изменён. Войдите в Сферум ID с новым паролем.")).to_be_visible()
    expect(page.get_by_label("Телефон или почта")).to_have_value(shown(phone))
    if shots:
        shot(page, "recovery-8-vhod")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Введите пароль")).to_be_visible()
    page.get_by_label("Пароль", exact=True).fill(OLD_PASSWORD)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный пароль.")
    page.get_by_label("Пароль", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    confirm_with_sms(page, parta, phone)
    expect(page.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()


def sign_in_elsewhere(browser: Browser, parta: Parta, phone: str) -> Page:
    """Another device signed in to the same account (by the old password and a code)."""
    other = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900}).new_page()
    other.set_default_timeout(15_000)
    start(other, parta)
    enter_phone(other, phone)
    other.get_by_label("Пароль", exact=True).fill(OLD_PASSWORD)
    other.get_by_role("button", name="Продолжить", exact=True).click()
    confirm_with_sms(other, parta, phone)
    expect(other.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()
    other.goto(f"{parta.platform}/id/account/")
    expect(other.get_by_role("heading", name="Аккаунт Сферум ID")).to_be_visible()
    return other


# --- the three ways of manual 001 -------------------------------------------------------------------------


def test_recovery_by_the_code_generator_app(page: Page, parta: Parta, browser: Browser) -> None:
    phone = new_phone()
    secret = pyotp.random_base32(length=32)
    create_owner(parta, phone, totp=secret, email=new_email(phone))
    elsewhere = sign_in_elsewhere(browser, parta, phone)

    to_the_choice(page, parta, phone)
    expect(
        page.get_by_role("heading", name="Как вы хотите подтвердить, что аккаунт принадлежит вам?")
    ).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile("С помощью приложения-генератора кодов"))
    ).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("С помощью электронной почты"))).to_be_visible()
    expect(page.get_by_text("Мы отправим код на почту ma***@mail.ru")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("С помощью друзей"))).to_have_count(0)  # none chosen
    shot(page, "recovery-4-sposoby")
    page.get_by_role("button", name=re.compile("С помощью приложения-генератора кодов")).click()

    expect(page.get_by_role("heading", name="Введите код из приложения")).to_be_visible()
    shot(page, "recovery-5-prilozhenie")
    right = pyotp.TOTP(secret).now()
    page.get_by_label("Код из приложения").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный код.")
    page.get_by_label("Код из приложения").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Подтвердить").click()

    new_password_and_sign_in_again(page, parta, phone, shots=True)
    # «Выйти на всех устройствах, кроме этого»: the other device is signed out.
    elsewhere.reload()
    expect(elsewhere.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    elsewhere.context.close()


def test_recovery_by_an_email_code(page: Page, parta: Parta) -> None:
    phone = new_phone()
    create_owner(parta, phone, email=new_email(phone))
    to_the_choice(page, parta, phone)
    page.get_by_role("button", name=re.compile("С помощью электронной почты")).click()

    expect(page.get_by_role("heading", name="Введите код из письма")).to_be_visible()
    expect(page.get_by_text("Мы отправили код на почту ma***@mail.ru")).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile(r"^Отправить код повторно [45]:[0-5]\d$"))
    ).to_be_disabled()
    expect(page.get_by_role("link", name="У меня нет доступа к почте")).to_be_visible()
    shot(page, "recovery-5-pochta")
    letter = parta.latest_message(phone, "email")
    assert letter["to"] == new_email(phone)
    page.get_by_label("Код из письма").fill(letter["code"])
    page.get_by_role("button", name="Подтвердить").click()
    new_password_and_sign_in_again(page, parta, phone)


def test_recovery_by_two_trusted_friends(page: Page, parta: Parta) -> None:
    phone, semyon, olga = new_phone(), new_phone(), new_phone()
    create_owner(parta, phone, friends=(semyon, olga))
    to_the_choice(page, parta, phone)
    page.get_by_role("button", name=re.compile("С помощью друзей, которым доверяете")).click()

    expect(page.get_by_role("heading", name="Подтверждение с помощью друзей")).to_be_visible()
    expect(page.get_by_text("Подтвердили: 0 из 2")).to_be_visible()
    shot(page, "recovery-5-druzya")
    for number, name, done in ((semyon, "Семен В.", 1), (olga, "Ольга П.", 2)):
        page.get_by_role("button", name=f"Отправить код: {name}").click()
        message = parta.latest_message(number, "friend")
        assert message["to"] == number
        if done == 1:
            page.get_by_label(f"Код от {name}").fill("000000" if message["code"] != "000000" else "111111")
            page.get_by_role("button", name="Подтвердить").click()
            expect(page.get_by_role("alert")).to_contain_text("Неверный код")
        page.get_by_label(f"Код от {name}").fill(message["code"])
        page.get_by_role("button", name="Подтвердить").click()
        if done == 1:
            expect(page.get_by_text("Подтвердили: 1 из 2")).to_be_visible()
            expect(page.get_by_text("Код подтверждён")).to_be_visible()
            shot(page, "recovery-6-odin-drug")
    new_password_and_sign_in_again(page, parta, phone)


def test_without_a_second_way_recovery_goes_through_support(page: Page, parta: Parta) -> None:
    phone = new_phone()
    create_owner(parta, phone)
    to_the_choice(page, parta, phone)
    expect(page.get_by_role("heading", name="Восстановление через службу поддержки")).to_be_visible()
    expect(page.get_by_text("не подключены другие способы подтверждения")).to_be_visible()
    expect(page.get_by_text("Сбросить пароль только по коду из SMS нельзя")).to_be_visible()
    shot(page, "recovery-podderzhka")
    page.goto(f"{parta.platform}/id/recovery/password/")
    expect(page.get_by_role("heading", name="Придумайте новый пароль")).to_have_count(0)


def test_recovery_on_a_phone(phone: Page, parta: Parta) -> None:
    number = new_phone()
    create_owner(parta, number, email=new_email(number))
    to_the_choice(phone, parta, number)
    shot(phone, "recovery-phone-4-sposoby")
    phone.get_by_role("button", name=re.compile("С помощью электронной почты")).click()
    phone.get_by_label("Код из письма").fill(parta.latest_message(number, "email")["code"])
    phone.get_by_role("button", name="Подтвердить").click()
    expect(phone.get_by_role("heading", name="Придумайте новый пароль")).to_be_visible()
    shot(phone, "recovery-phone-7-novyy-parol")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
