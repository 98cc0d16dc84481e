"""The ID's account page (issue 3, flow 7) in a real browser: set a password, connect the code-generator
app from the QR code's key, add an e-mail, choose a trusted friend, and sign out the other devices.

Everything is done through the page itself, the way a person would, with codes from the dev outbox and the
app's codes computed from the key the page shows (as an authenticator app would). Screens are saved to
``test-artifacts/id-account-*.png``.
"""

from __future__ import annotations

import itertools
import re

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Parta
from tests.e2e.test_id_signin import (
    confirm_with_sms,
    create_account,
    enter_phone,
    masked,
    shot,
    sign_up,
    start,
)

pytestmark = pytest.mark.browser
PASSWORD = "Мой-новый-пароль-7"
_numbers = itertools.count(1)


def new_phone() -> str:
    """A number no other browser test uses: +7 999 200-2N-NN."""
    return f"+7999200{2000 + next(_numbers):04d}"


def open_account(page: Page, parta: Parta) -> None:
    page.goto(f"{parta.platform}/id/account/")
    expect(page.get_by_role("heading", name="Аккаунт Сферум ID")).to_be_visible()


def test_the_account_page_step_by_step(page: Page, parta: Parta) -> None:
    phone = new_phone()
    sign_up(page, parta, phone)
    page.get_by_role("link", name="Настройки аккаунта").click()
    expect(page.get_by_role("heading", name="Аккаунт Сферум ID")).to_be_visible()
    for line in ("Телефон", "Пароль", "Восстановление доступа", "Активные сеансы", "Подключённые сервисы"):
        expect(page.get_by_role("heading", name=line, exact=True)).to_be_visible()
    expect(page.get_by_text("Пароль не установлен")).to_be_visible()
    expect(page.get_by_text("Этот браузер")).to_be_visible()
    shot(page, "account-1-obzor")

    # Пароль: the rules are shown; a weak one is refused with the reason; a good one is saved.
    page.get_by_role("link", name="Установить пароль").click()
    expect(page.get_by_role("heading", name="Установить пароль")).to_be_visible()
    expect(page.get_by_role("list", name="Требования к паролю")).to_contain_text("Минимум 8 символов")
    page.get_by_label("Введите новый пароль").fill("qwerty123")
    page.get_by_label("Повторите новый пароль").fill("qwerty123")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.get_by_text("Этот пароль слишком распространён")).to_be_visible()
    page.get_by_label("Введите новый пароль").fill(PASSWORD)
    page.get_by_label("Повторите новый пароль").fill(PASSWORD)
    shot(page, "account-2-parol")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.get_by_role("status")).to_contain_text("Пароль сохранён.")
    expect(page.get_by_text("Пароль установлен")).to_be_visible()

    # Приложение-генератор кодов: the QR code and its key; a wrong code does not connect it.
    page.get_by_role("link", name="Подключить приложение-генератор кодов").click()
    expect(page.get_by_role("heading", name="Приложение-генератор кодов")).to_be_visible()
    expect(page.get_by_role("img", name="QR-код для приложения-генератора кодов")).to_be_visible()
    key = page.locator("[data-secret]").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    shot(page, "account-3-prilozhenie")
    right = pyotp.TOTP(key).now()
    page.get_by_label("Код из приложения").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Подключить", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный код.")
    page.get_by_label("Код из приложения").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Подключить", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Приложение-генератор кодов подключено.")
    expect(page.get_by_text(re.compile(r"^Подключено \d+"))).to_be_visible()

    # Электронная почта: the code from the letter confirms it.
    email = f"maria.{phone[-4:]}@mail.ru"
    page.get_by_role("link", name="Добавить почту").click()
    page.get_by_label("Адрес электронной почты").fill(email)
    page.get_by_role("button", name="Получить код").click()
    expect(page.get_by_role("heading", name="Введите код из письма")).to_be_visible()
    expect(page.get_by_text(f"Мы отправили код на почту {email}")).to_be_visible()
    shot(page, "account-4-pochta")
    page.get_by_label("Код из письма").fill(parta.latest_message(phone, "email")["code"])
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("status")).to_contain_text("Почта подтверждена.")
    expect(page.get_by_text("ma***@mail.ru — подтверждена")).to_be_visible()

    # Доверенные друзья: only an account with an educational profile can be chosen.
    friend = new_phone()
    page.get_by_role("link", name="Выбрать друзей").click()
    expect(page.get_by_role("heading", name="Доверенные друзья")).to_be_visible()
    page.get_by_label("Номер телефона друга").fill(friend)
    page.get_by_role("button", name="Добавить").click()
    expect(page.get_by_text("Не нашли аккаунт Сферум ID с учебным профилем по этому номеру")).to_be_visible()
    create_account(parta, friend, profile=True)
    page.get_by_label("Номер телефона друга").fill(friend)
    page.get_by_role("button", name="Добавить").click()
    expect(page.get_by_role("status")).to_contain_text("Друг добавлен в список доверенных.")
    expect(page.get_by_text("Семен В.")).to_be_visible()
    expect(page.get_by_text(masked(friend))).to_be_visible()
    expect(page.get_by_text("Добавьте ещё хотя бы одного друга")).to_be_visible()
    shot(page, "account-5-druzya")

    open_account(page, parta)
    expect(page.get_by_text("Нужно ещё хотя бы одного")).to_be_visible()
    shot(page, "account-6-gotovo")


def test_sign_out_everywhere_but_here(page: Page, parta: Parta, browser: Browser) -> None:
    phone = new_phone()
    create_account(parta, phone, profile=True)
    start(page, parta)
    enter_phone(page, phone)
    confirm_with_sms(page, parta, phone)
    expect(page.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()

    laptop = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900}).new_page()
    laptop.set_default_timeout(15_000)
    start(laptop, parta)
    enter_phone(laptop, phone)
    confirm_with_sms(laptop, parta, phone)
    open_account(laptop, parta)

    open_account(page, parta)
    expect(page.get_by_text("Этот браузер")).to_have_count(1)
    expect(page.get_by_text(re.compile("был активен"))).to_have_count(1)
    shot(page, "account-seansy")
    page.get_by_role("button", name="Выйти на всех устройствах, кроме этого").click()
    expect(page.get_by_role("status")).to_contain_text("Готово: завершено 1 сеанс.")
    expect(page.get_by_text("Других сеансов нет: вы вошли только в этом браузере.")).to_be_visible()

    laptop.reload()
    expect(laptop.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    laptop.context.close()
    page.reload()
    expect(page.get_by_role("heading", name="Аккаунт Сферум ID")).to_be_visible()


def test_a_change_long_after_signing_in_asks_to_sign_in_again(page: Page, parta: Parta) -> None:
    phone = new_phone()
    sign_up(page, parta, phone)
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "parta_platform_session")
    parta.platform_shell(
        "import time\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "from parta.identity.actions.sessions import SIGNED_IN_AT\n"
        f"s = SessionStore(session_key={session!r}); s[SIGNED_IN_AT] = int(time.time()) - 3600; s.save()\n"
    )
    open_account(page, parta)
    page.get_by_role("link", name="Изменить номер").click()
    expect(page.get_by_role("heading", name="Изменить номер телефона")).to_be_visible()
    expect(page.get_by_text("войдите ещё раз: с вашего входа прошло больше 15 минут")).to_be_visible()
    shot(page, "account-voyti-eshche-raz")
    page.get_by_role("button", name="Войти ещё раз").click()
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    page.get_by_role("button", name="Продолжить", exact=True).click()
    confirm_with_sms(page, parta, phone)
    expect(page.get_by_label("Новый номер телефона")).to_be_visible()


def test_the_account_page_on_a_phone(phone: Page, parta: Parta) -> None:
    number = new_phone()
    sign_up(phone, parta, number)
    open_account(phone, parta)
    shot(phone, "account-phone-obzor")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("link", name="Подключить приложение-генератор кодов").click()
    expect(phone.get_by_role("img", name="QR-код для приложения-генератора кодов")).to_be_visible()
    shot(phone, "account-phone-prilozhenie")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
