"""Manual 002 (staff of the Perm region e-journal) walked in a real browser across both real servers.

«Вход для сотрудников» → login and password → «Войти» → the icon «Личные сообщения» in the top right
corner → «Привязать учебный профиль Сферум ID» (the ID's configured name); then the three variants: an
ID account with an educational profile, an ID account without one, no ID account; and the page after
linking: the way to the messenger, unlinking, and the school's chats («Учительская», the parents' chat,
the class chat).

Screens: ``test-artifacts/manual-002-*.png``.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Parta
from tests.e2e.manual_steps import (
    about_yourself,
    expect_linked,
    journal_registered,
    new_phone,
    open_chats_icon,
    shot,
)
from tests.e2e.test_linking_id import (
    ID_PASSWORD,
    PASSWORD,
    PEOPLE,
    consent_window,
    id_account,
    journal_account,
    journal_shell,
    masked,
)

pytestmark = pytest.mark.browser
TEACHER = "Орлова Мария Ивановна"


@pytest.fixture(scope="module")
def journal(parta: Parta) -> Parta:
    return journal_registered(parta)


def staff_entry_to_the_id(page: Page, journal: Parta, username: str, *, shots: bool = False) -> None:
    """Steps 1–4: «Вход для сотрудников», «Войти», «Личные сообщения», «Привязать учебный профиль …»."""
    page.goto(journal.journal + "/")
    page.get_by_role("link", name="Вход для сотрудников").click()
    expect(page.get_by_role("heading", name="Вход для сотрудников")).to_be_visible()
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    if shots:
        shot(page, 2, "1-vhod-dlya-sotrudnikov")
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.get_by_role("link", name="Журнал", exact=True)).to_be_visible()
    # The icon reads «Личные сообщения» here (manual 002), not «Чаты».
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name="Чаты Сферум", exact=True)).to_have_count(0)
    if shots:
        shot(page, 2, "2-lichnye-soobshcheniya")
    open_chats_icon(page, "Личные сообщения")
    expect(page.get_by_role("heading", name="Мессенджер не подключен")).to_be_visible()
    if shots:
        shot(page, 2, "3-privyazat-uchebnyy-profil")
    page.get_by_role("link", name="Привязать учебный профиль Сферум ID").click()
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()


def phone_and_password(page: Page, phone: str) -> None:
    """«Введите номер мобильного телефона», «Введите пароль» (with «Забыли или не установили пароль?»)."""
    page.get_by_label("Телефон или почта").fill(phone)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Введите пароль")).to_be_visible()
    expect(page.get_by_role("link", name="Забыли или не установили пароль?")).to_be_visible()
    page.get_by_label("Пароль", exact=True).fill(ID_PASSWORD)
    page.get_by_role("button", name="Продолжить", exact=True).click()


def sms_code(page: Page, journal: Parta, phone: str) -> None:
    """«Введите код из СМС, которое придёт на ваш телефон»."""
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    page.get_by_label("Введите код").fill(journal.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()


def link(page: Page, phone: str) -> None:
    consent_window(page, phone, TEACHER)
    page.get_by_role("button", name="Привязать").click()
    expect(page.get_by_text("Ваш учебный профиль «Сферум» привязан к вашей учетной записи.")).to_be_visible()
    expect_linked(page, phone)


# --- variant 1: an ID account and an educational profile; then the page after linking -------------------


def test_variant_1_profile_exists_then_the_page_after_linking(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone(2)
    id_account(journal, phone)
    staff_entry_to_the_id(page, journal, username, shots=True)
    # 1–3: the phone, the password, the SMS code.
    phone_and_password(page, phone)
    sms_code(page, journal, phone)
    # 4: «Продолжить в учебном профиле».
    expect(page.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()
    shot(page, 2, "4-variant-1-vybor-profilya")
    page.get_by_role("button", name="Продолжить в учебном профиле").click()
    # 5: check the personal data → «Продолжить».
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    expect(page.get_by_label("Фамилия")).to_have_value("Орлова")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    link(page, phone)

    # 6: the way to the messenger, unlinking, and the chats made for the school.
    expect(page.get_by_role("link", name="Перейти в Сферум")).to_have_attribute(
        "href", f"{journal.platform}/"
    )
    expect(page.get_by_role("link", name="Отвязать учетную запись")).to_be_visible()
    sub, org_ref = journal_shell(
        journal,
        "from parta.integration.models import Binding\n"
        f"b = Binding.objects.get(account__username={username!r}, state='active')\n"
        "print(b.profile_sub, b.org_ref)\n",
    ).split()
    # The platform creates the school's chats (here through API v1, as the roster sync does).
    token = json.loads((Path(journal.env["PARTA_VAR_DIR"]) / "demo-journal-client.json").read_text())[
        "api_token"
    ]
    groups = [
        {
            "group_ref": f"staff-{sub}",
            "kind": "staff",
            "title": "Учительская",
            "admins": [sub],
            "members": [sub],
        },
        {
            "group_ref": f"parents-{sub}",
            "kind": "parents",
            "title": "Родители 5А",
            "admins": [sub],
            "members": [sub],
        },
        {"group_ref": f"class-{sub}", "kind": "class", "title": "5А", "admins": [sub], "members": [sub]},
    ]
    answer = httpx.post(
        f"{journal.platform}/api/v1/orgs/{org_ref}/groups:sync",
        json={"groups": groups},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    page.reload()
    for title, kind in (
        ("Учительская", "Учительская"),
        ("Родители 5А", "Родительский чат"),
        ("5А", "Классный чат"),
    ):
        name = page.locator('td[data-label="Наименование"]').get_by_text(title, exact=True)
        row = page.get_by_role("row").filter(has=name)
        expect(row.locator('td[data-label="Тип"]')).to_have_text(kind)
        expect(row.locator('td[data-label="Количество участников"]')).to_have_text("1")
        expect(row.locator('td[data-label="Администратор чата"]')).to_have_text(TEACHER)
    shot(page, 2, "5-posle-privyazki")
    # The way to the messenger opens the platform in a new tab.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Перейти в Сферум").click()
    opened.value.wait_for_load_state()
    assert opened.value.url.startswith(journal.platform)
    opened.value.close()


# --- variant 2: an ID account without an educational profile ---------------------------------------------


def test_variant_2_id_account_without_a_profile(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone(2)
    journal.platform_shell(
        "from parta.identity.models import Account\n"
        f"Account.objects.create_user({phone!r}, {ID_PASSWORD!r})\n"
    )
    staff_entry_to_the_id(page, journal, username)
    phone_and_password(page, phone)
    sms_code(page, journal, phone)
    # 4: «Создать учебный профиль».
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    shot(page, 2, "6-variant-2-sozdat")
    page.get_by_role("button", name="Создать учебный профиль").click()
    # 5–6: real names → «Продолжить».
    about_yourself(page, *PEOPLE["teacher"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    link(page, phone)


# --- variant 3: no ID account yet ------------------------------------------------------------------------


def test_variant_3_no_id_account_on_a_phone(phone: Page, journal: Parta) -> None:
    page = phone
    username = journal_account(journal, "teacher")
    number = new_phone(2)
    staff_entry_to_the_id(page, journal, username, shots=True)
    # 1–2: the phone and the SMS code (no password: there is no account yet).
    page.get_by_label("Телефон или почта").fill(number)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    sms_code(page, journal, number)
    # 5: «Создать учебный профиль»; 3–4, 6: the data → «Продолжить».
    expect(page.get_by_text(masked(number))).to_be_visible()
    page.get_by_role("button", name="Создать учебный профиль").click()
    about_yourself(page, *PEOPLE["teacher"])
    shot(page, 2, "7-variant-3-informaciya")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    link(page, number)
    shot(page, 2, "5-posle-privyazki")
    # The header's icon still reads «Личные сообщения» and leads to the section.
    open_chats_icon(page, "Личные сообщения")
    expect_linked(page, number)
