"""Linking a journal account to an educational profile through the ID, in a real browser across both real
servers, step by step as manuals 000, 001 and 004 tell it; unlinking («Отвязать учетную запись» → «Да»,
«Безопасность» → «Внешние аккаунты» → «Отвязать»); a profile bound elsewhere; the platform down. Manual 002
and the full walk of every manual, one file each: tests/e2e/test_manual_00N.py.

The journal is registered with the ID as ``demo-journal`` (as ``make demo`` does) and reads the
credentials file the registration writes. Each test makes its own journal account and its own phone
number (+7 999 300-00-NN), so the tests do not depend on each other. Screens go to
``test-artifacts/linking-*.png``.
"""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, Parta, _wait

pytestmark = pytest.mark.browser
PASSWORD = "parta-demo"
ID_PASSWORD = "Correct-horse-9"
_numbers = itertools.count(1)
_logins = itertools.count(1)


def new_phone() -> str:
    return f"+799960000{next(_numbers):02d}"


def masked(phone: str) -> str:
    return f"+7 {phone[2:5]} ***-**-{phone[10:12]}"


def section_phone(phone: str) -> str:
    return f"+7({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:12]}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"linking-{name}.png"), full_page=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def journal_shell(parta: Parta, code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "parta.cli", "journal", "shell", "--no-imports", "-c", code],
        env=dict(parta.env, DJANGO_SETTINGS_MODULE="parta.sites.journal.settings"),
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


# The people the tests make: the journal's birth date is what the ID's «Информация о себе» will say.
PEOPLE = {
    "teacher": ("Орлова", "Мария", "Ивановна", "1986-04-12"),
    "parent": ("Соколова", "Ольга", "Петровна", "1988-06-09"),
}


def journal_account(parta: Parta, kind: str) -> str:
    """A new journal account: a teacher at the demo school, or a parent of a new pupil of a class."""
    username = f"e2e-{kind}-{next(_logins)}"
    last, first, middle, born = PEOPLE[kind]
    code = (
        "import datetime\n"
        "from parta.journal.models import *\n"
        "school = School.objects.order_by('pk').first()\n"
        f"p = Person.objects.create(last_name={last!r}, first_name={first!r}, middle_name={middle!r}, "
        f"birth_date=datetime.date.fromisoformat({born!r}), gender='female')\n"
    )
    if kind == "teacher":
        code += "StaffAssignment.objects.create(person=p, school=school, role='teacher')\n"
    else:
        code += (
            "c = SchoolClass.objects.filter(school=school, year__is_current=True).order_by('grade').last()\n"
            "kid = Person.objects.create(last_name='Соколов', first_name='Илья', middle_name='Андреевич', "
            "birth_date=datetime.date(2014, 5, 1), gender='male')\n"
            "Enrolment.objects.create(student=kid, school_class=c, begins_on=c.year.starts_on)\n"
            "Guardianship.objects.create(guardian=p, student=kid)\n"
        )
    code += f"Account.objects.create_user({username!r}, {PASSWORD!r}, person=p)\n"
    journal_shell(parta, code)
    return username


def id_account(parta: Parta, phone: str, *, kind: str = "teacher") -> None:
    """An ID account with a password and an educational profile of the same person (manual 002, variant 1)."""
    last, first, middle, born = PEOPLE[kind]
    parta.platform_shell(
        "import datetime\n"
        "from parta.identity.models import Account, EducationalProfile\n"
        f"a = Account.objects.create_user({phone!r}, {ID_PASSWORD!r})\n"
        f"EducationalProfile.objects.create(account=a, last_name={last!r}, first_name={first!r}, "
        f"middle_name={middle!r}, birth_date=datetime.date.fromisoformat({born!r}), gender='female')\n"
    )


@pytest.fixture(scope="module")
def down_journal_port() -> int:
    return _free_port()


@pytest.fixture(scope="module")
def journal(parta: Parta, down_journal_port: int) -> Parta:
    """The journal registered with the ID as its client, as ``make demo`` does."""
    var = Path(parta.env["PARTA_VAR_DIR"])
    subprocess.run(
        [
            sys.executable,
            "-m",
            "parta.cli",
            "platform",
            "register_journal",
            "--client-id",
            "demo-journal",
            "--name",
            "БАРС.Электронная школа",
            "--redirect-uri",
            f"{parta.journal}/integration/callback/",
            "--redirect-uri",
            f"http://127.0.0.1:{down_journal_port}/integration/callback/",
            "--post-logout-redirect-uri",
            f"{parta.journal}/",
            "--credentials-file",
            str(var / "demo-journal-client.json"),
            "-v",
            "0",
        ],
        env=dict(parta.env, DJANGO_SETTINGS_MODULE="parta.sites.platform.settings"),
        check=True,
    )
    assert json.loads((var / "demo-journal-client.json").read_text())["issuer"] == f"{parta.platform}/id"
    return parta


def sign_in(page: Page, journal: Parta, username: str, *, staff: bool = False) -> None:
    page.goto(journal.journal + ("/login/staff/" if staff else "/login/"))
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.get_by_role("link", name="Расписание", exact=True)).to_be_visible()


def expect_not_linked(page: Page) -> None:
    expect(page.get_by_role("heading", name="Мессенджер не подключен")).to_be_visible()
    expect(
        page.get_by_text(
            "Для работы мессенджера необходимо связать ваш аккаунт Электронная школа с аккаунтом Сферум, "
            "чтобы общаться в чатах и проводить онлайн-звонки."
        )
    ).to_be_visible()


def id_new_phone(page: Page, journal: Parta, phone: str, kind: str = "teacher") -> None:
    """The ID's screens for a number without an account (manual 000 «при отсутствии аккаунта»)."""
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    expect(
        page.get_by_text("С сервисом «БАРС.Электронная школа» можно связать свой учебный профиль")
    ).to_be_visible()
    page.get_by_label("Телефон или почта").fill(phone)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    page.get_by_label("Введите код").fill(journal.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    page.get_by_role("button", name="Создать учебный профиль").click()
    last, first, middle, born = PEOPLE[kind]
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    page.get_by_label("Имя", exact=True).fill(first)
    page.get_by_label("Фамилия").fill(last)
    page.get_by_label("Отчество").fill(middle)
    page.get_by_label("День рождения").fill(born)
    page.get_by_label("Пол").select_option(label="Женский")
    page.get_by_role("button", name="Продолжить", exact=True).click()


def id_with_profile(page: Page, journal: Parta, phone: str) -> None:
    """The ID's screens for an account with a password and a profile (manual 002, variant 1)."""
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    page.get_by_label("Телефон или почта").fill(phone)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Введите пароль")).to_be_visible()
    page.get_by_label("Пароль", exact=True).fill(ID_PASSWORD)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_label("Введите код").fill(journal.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()
    page.get_by_role("button", name="Продолжить в учебном профиле").click()
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    page.get_by_role("button", name="Продолжить", exact=True).click()


def consent_window(page: Page, phone: str, name: str) -> None:
    dialog = page.get_by_role("dialog", name="Добавление профиля «Сферум»")
    expect(dialog).to_be_visible()
    expect(
        dialog.get_by_text("Вы действительно хотите привязать аккаунт «Сферум» к вашей учетной записи?")
    ).to_be_visible()
    profile = dialog.get_by_role("group", name="Учебный профиль «Сферум»")
    expect(profile.get_by_text(name)).to_be_visible()
    expect(profile.get_by_text(masked(phone))).to_be_visible()
    expect(dialog.get_by_role("group", name="Учётная запись журнала")).to_contain_text("e2e-")
    expect(dialog.get_by_role("button", name="Отмена")).to_be_visible()


def expect_section(page: Page, phone: str) -> None:
    expect(page.get_by_role("heading", name="Сферум", exact=True)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Сферум")
    expect(tabs.get_by_role("link", name="Чаты")).to_have_attribute("aria-current", "page")
    expect(tabs.get_by_role("link", name="Видеоконференции")).to_be_visible()
    expect(page.get_by_role("link", name="Перейти в Сферум")).to_be_visible()
    expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value(section_phone(phone))
    for header in ("Наименование", "Тип", "Количество участников", "Администратор чата", "Предмет"):
        expect(page.get_by_role("columnheader", name=header)).to_be_visible()


# --- manual 000: «Настройки аккаунта» → «Партнеры» → «Подключить»; a new phone ------------------------


def test_manual_000_partners_connect_with_a_new_phone(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone()
    sign_in(page, journal, username)
    page.get_by_text("учитель ▾").click()
    page.get_by_role("link", name="Настройки аккаунта").click()
    page.get_by_role("link", name="Партнеры").click()
    shot(page, "000-partnery")
    page.get_by_role("link", name="Подключить").click()

    id_new_phone(page, journal, phone)
    consent_window(page, phone, "Орлова Мария Ивановна")
    shot(page, "000-dobavlenie-profilya")
    page.get_by_role("button", name="Привязать").click()

    expect(page.get_by_text("Ваш учебный профиль «Сферум» привязан к вашей учетной записи.")).to_be_visible()
    expect_section(page, phone)
    expect(page.get_by_role("link", name="Отвязать учетную запись")).to_be_visible()
    shot(page, "000-razdel-sferum")
    page.get_by_role("link", name="Видеоконференции").click()
    expect(page.get_by_role("heading", name="Видеоконференции")).to_be_visible()


def test_manual_000_chats_icon_and_cancel_in_the_window(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone()
    sign_in(page, journal, username)
    page.get_by_role("link", name="Чаты Сферум").click()
    expect_not_linked(page)
    shot(page, "000-ne-podklyuchen")
    page.get_by_role("link", name="Перейти к подключению").click()
    id_new_phone(page, journal, phone)
    consent_window(page, phone, "Орлова Мария Ивановна")
    page.get_by_role("button", name="Отмена").click()
    expect(page.get_by_text("Привязка отменена. Учебный профиль «Сферум» не привязан.")).to_be_visible()
    expect_not_linked(page)
    expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value("")


# --- manual 002 (staff entry, the three variants, the page after linking): tests/e2e/test_manual_002.py --


# --- manual 004: the desktop shortcut; «Отвязать учетную запись» → «Да» -------------------------------


def test_manual_004_desktop_shortcut_then_unlink_with_yes(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "parent")
    phone = new_phone()
    sign_in(page, journal, username)
    shot(page, "004-yarlyk")
    page.get_by_role("link", name="Привязать аккаунт к Сферум").click()
    expect_not_linked(page)
    expect(page.get_by_role("heading", name="Авторизация в Сферум")).to_be_visible()
    page.get_by_role("link", name="Перейти к подключению").click()
    id_new_phone(page, journal, phone, kind="parent")
    consent_window(page, phone, "Соколова Ольга Петровна")
    page.get_by_role("button", name="Привязать").click()
    expect_section(page, phone)

    page.get_by_role("link", name="Отвязать учетную запись").click()
    expect(page.get_by_role("dialog", name="Отвязать учетную запись")).to_be_visible()
    shot(page, "004-otvyazka")
    page.get_by_role("button", name="Да").click()
    expect(page.get_by_text("Учебный профиль «Сферум» отвязан от вашей учетной записи.")).to_be_visible()
    expect_not_linked(page)

    # Relinking after an unlink works (the ID remembers this browser: «Ваш профиль для связки»).
    page.get_by_role("link", name="Перейти к подключению").click()
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_role("button", name="Привязать").click()
    expect_section(page, phone)


# --- manual 001: the «Мессенджер» button of account settings on a phone --------------------------------


def test_manual_001_messenger_button_on_a_phone(phone: Page, journal: Parta) -> None:
    page = phone
    username = journal_account(journal, "parent")
    number = new_phone()
    sign_in(page, journal, username)
    page.get_by_text("родитель ▾").click()
    page.get_by_role("link", name="Настройки аккаунта").click()
    page.get_by_role("link", name="Мессенджер").click()
    expect_not_linked(page)
    shot(page, "001-telefon-ne-podklyuchen")
    page.get_by_role("link", name="Перейти к подключению").click()
    id_new_phone(page, journal, number, kind="parent")
    consent_window(page, number, "Соколова Ольга Петровна")
    shot(page, "001-telefon-okno")
    page.get_by_role("button", name="Привязать").click()
    expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value(section_phone(number))
    shot(page, "001-telefon-razdel")


# --- refusals and unlinking through «Безопасность» ----------------------------------------------------


def test_profile_already_bound_to_another_account_is_refused(page: Page, journal: Parta) -> None:
    first, second = journal_account(journal, "teacher"), journal_account(journal, "teacher")
    phone = new_phone()
    id_account(journal, phone)
    sign_in(page, journal, first)
    page.goto(journal.journal + "/integration/connect/")
    id_with_profile(page, journal, phone)
    page.get_by_role("button", name="Привязать").click()
    expect_section(page, phone)

    page.context.clear_cookies()
    sign_in(page, journal, second)
    page.goto(journal.journal + "/integration/connect/")
    id_with_profile(page, journal, phone)
    page.get_by_role("button", name="Привязать").click()
    expect(page.get_by_role("heading", name="Привязка невозможна")).to_be_visible()
    expect(page.get_by_text("уже привязан к другой учётной записи журнала")).to_be_visible()
    shot(page, "uzhe-privyazan")
    page.goto(journal.journal + "/integration/")
    expect_not_linked(page)


def test_unlink_through_security_external_accounts(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone()
    sign_in(page, journal, username)
    page.goto(journal.journal + "/integration/connect/")
    id_new_phone(page, journal, phone)
    page.get_by_role("button", name="Привязать").click()
    expect_section(page, phone)

    page.goto(journal.journal + "/settings/security/")
    external = page.get_by_role("region", name="Внешние аккаунты")
    expect(external.get_by_role("cell", name="Сферум", exact=True)).to_be_visible()
    expect(external.get_by_text(masked(phone))).to_be_visible()
    shot(page, "000-vneshnie-akkaunty")
    external.get_by_role("link", name="Отвязать Сферум").click()
    expect(page.get_by_role("dialog", name="Удаление профиля «Сферум»")).to_be_visible()
    page.get_by_role("button", name="Отвязать").click()
    expect(page.get_by_text("К учётной записи не привязан ни один внешний аккаунт.")).to_be_visible()


# --- the platform down ---------------------------------------------------------------------------------


@pytest.fixture
def journal_with_platform_down(journal: Parta, down_journal_port: int) -> Iterator[str]:
    """A second journal server on the same database whose API v1 address is a closed port."""
    closed = _free_port()
    env = dict(
        journal.env,
        DJANGO_SETTINGS_MODULE="parta.sites.journal.settings",
        PARTA_INTEGRATION_API_URL=f"http://127.0.0.1:{closed}/api/v1",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "parta.sites.journal.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(down_journal_port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{down_journal_port}/healthz", process)
        yield f"http://127.0.0.1:{down_journal_port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_platform_down_says_unavailable_and_stores_nothing(
    page: Page, journal: Parta, journal_with_platform_down: str
) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone()
    page.goto(journal_with_platform_down + "/login/")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти", exact=True).click()
    page.goto(journal_with_platform_down + "/integration/connect/")
    id_new_phone(page, journal, phone)
    page.get_by_role("button", name="Привязать").click()
    expect(page.get_by_role("heading", name="Сервис Сферум временно недоступен")).to_be_visible()
    expect(page.get_by_role("link", name="Повторить")).to_be_visible()
    shot(page, "nedostupen")
    # Nothing half-stored: the journal with the platform up (same database; cookies are per host, so the
    # same session) still says not linked.
    page.goto(journal.journal + "/integration/")
    expect_not_linked(page)
