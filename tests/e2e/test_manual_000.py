"""Manual 000 (a teacher of the Moscow e-school) walked in a real browser across both real servers.

Both ways in: «Настройки аккаунта» → «Партнеры» → «Подключить», and the chats icon → «Мессенджер не
подключен» → «Перейти к подключению». The three cases of the manual: no ID account, an ID account without
an educational profile, and one with a profile; the shared computer («Войти в другой аккаунт»); the
call-reset code (the last 4 digits of the calling number, «Звонок поступит в течение 00:56»); the window
«Добавление профиля «Сферум»»; unlinking in «Безопасность» → «Внешние аккаунты» → «Отвязать»; and the
manual's first warning — unlinking only through support (the `support_only` policy: no button, the
support text, the operator unlinks in the administration with a reason).

Screens: ``test-artifacts/manual-000-*.png``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Parta
from tests.e2e.manual_steps import (
    about_yourself,
    expect_linked,
    journal_registered,
    new_phone,
    open_chats_icon,
    second_journal,
    shot,
)
from tests.e2e.test_linking_id import (
    ID_PASSWORD,
    PASSWORD,
    PEOPLE,
    consent_window,
    expect_not_linked,
    expect_section,
    id_account,
    id_new_phone,
    journal_account,
    masked,
    sign_in,
)

pytestmark = pytest.mark.browser
TEACHER = "Орлова Мария Ивановна"


@pytest.fixture(scope="module")
def journal(parta: Parta) -> Parta:
    return journal_registered(parta)


def id_account_without_profile(parta: Parta, phone: str) -> None:
    parta.platform_shell(
        "from parta.identity.models import Account\n"
        f"Account.objects.create_user({phone!r}, {ID_PASSWORD!r})\n"
    )


def settings_partners_connect(page: Page) -> None:
    """Way 1: «Настройки аккаунта» → «Партнеры» → «Подключить»."""
    page.get_by_text("учитель ▾").click()
    shot(page, 0, "1-nastroyki-akkaunta")
    page.get_by_role("link", name="Настройки аккаунта").click()
    page.get_by_role("link", name="Партнеры").click()
    expect(page.get_by_role("heading", name="Сферум", exact=True)).to_be_visible()
    shot(page, 0, "2-partnery")
    page.get_by_role("link", name="Подключить").click()


def chats_icon_to_connect(page: Page) -> None:
    """Way 2: the chats icon in the header → «Мессенджер не подключен» → «Перейти к подключению»."""
    open_chats_icon(page)
    expect_not_linked(page)
    expect(
        page.get_by_text(
            "Сферум — это безопасное образовательное пространство, где вы сможете общаться только "
            "с участниками своей школы в закрытых чатах."
        )
    ).to_be_visible()
    expect(page.get_by_text("Если на ваш номер телефона уже совершена привязка")).to_be_visible()
    shot(page, 0, "3-messendzher-ne-podklyuchen")
    page.get_by_role("link", name="Перейти к подключению").click()


def enter_phone(page: Page, phone: str) -> None:
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    page.get_by_label("Телефон или почта").fill(phone)
    page.get_by_role("button", name="Продолжить", exact=True).click()


def link_in_the_window(page: Page, phone: str, name: str, step: str) -> None:
    """«Добавление профиля «Сферум»» → «Привязать» → the «Сферум» section."""
    consent_window(page, phone, name)
    shot(page, 0, f"{step}-dobavlenie-profilya")
    page.get_by_role("button", name="Привязать").click()
    expect(page.get_by_text("Ваш учебный профиль «Сферум» привязан к вашей учетной записи.")).to_be_visible()
    expect_linked(page, phone)


# --- «Привязка при отсутствии аккаунта VK ID» — way 1 ------------------------------------------------


def test_way_1_partners_without_an_id_account(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone(0)
    sign_in(page, journal, username)
    settings_partners_connect(page)

    # 1. The phone → «Продолжить».
    expect(
        page.get_by_text("С сервисом «БАРС.Электронная школа» можно связать свой учебный профиль")
    ).to_be_visible()
    shot(page, 0, "4-vhod-v-id")
    enter_phone(page, phone)
    # 2. The code by SMS → «Продолжить».
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    shot(page, 0, "5-podtverdite-vhod")
    page.get_by_label("Введите код").fill(journal.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # 3. «Информация о себе» (after «Создать учебный профиль»).
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    page.get_by_role("button", name="Создать учебный профиль").click()
    about_yourself(page, *PEOPLE["teacher"])
    shot(page, 0, "6-informaciya-o-sebe")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # 4. «Добавление профиля «Сферум»» → «Привязать».
    link_in_the_window(page, phone, TEACHER, "7")
    shot(page, 0, "8-razdel-sferum")
    # The partner now says it is connected.
    page.goto(journal.journal + "/settings/partners/")
    expect(page.get_by_role("link", name="Подключить")).to_have_count(0)


# --- «Привязка при наличии аккаунта VK ID» (without an educational profile) — way 2 ---------------------


def test_way_2_chats_icon_with_an_id_account_without_a_profile_on_a_phone(
    phone: Page, journal: Parta
) -> None:
    page = phone
    username = journal_account(journal, "teacher")
    number = new_phone(0)
    id_account_without_profile(journal, number)
    sign_in(page, journal, username)
    chats_icon_to_connect(page)

    enter_phone(page, number)
    # 2. The ID account's password.
    expect(page.get_by_role("heading", name="Введите пароль")).to_be_visible()
    expect(page.get_by_text("Введите ваш текущий пароль, привязанный к номеру")).to_be_visible()
    expect(page.get_by_role("link", name="Забыли или не установили пароль?")).to_be_visible()
    shot(page, 0, "9-vvedite-parol")
    page.get_by_label("Пароль", exact=True).fill(ID_PASSWORD)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # 3. The code.
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    page.get_by_label("Введите код").fill(journal.latest_message(number, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # «Создать учебный профиль» (fig. 6), 4. «Информация о себе».
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    expect(page.get_by_text(masked(number))).to_be_visible()
    expect(page.get_by_role("button", name="Войти в другой аккаунт")).to_be_visible()
    shot(page, 0, "10-sozdanie-uchebnogo-profilya")
    page.get_by_role("button", name="Создать учебный профиль").click()
    about_yourself(page, *PEOPLE["teacher"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # 5. «Добавление профиля «Сферум»» → «Привязать».
    link_in_the_window(page, number, TEACHER, "11")


# --- «Привязка при наличии учебного профиля Сферум» ------------------------------------------------------


def test_with_an_educational_profile(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone(0)
    id_account(journal, phone)
    sign_in(page, journal, username)
    chats_icon_to_connect(page)

    enter_phone(page, phone)
    expect(page.get_by_role("heading", name="Введите пароль")).to_be_visible()
    page.get_by_label("Пароль", exact=True).fill(ID_PASSWORD)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # 2. The code.
    page.get_by_label("Введите код").fill(journal.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # 3. The account's data → «Продолжить».
    expect(page.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()
    expect(page.get_by_text(TEACHER.split()[1])).to_be_visible()
    shot(page, 0, "12-vybor-profilya")
    page.get_by_role("button", name="Продолжить в учебном профиле").click()
    # 4. «Информация о себе» filled from the profile → «Продолжить».
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    expect(page.get_by_label("Фамилия")).to_have_value("Орлова")
    expect(page.get_by_label("День рождения")).to_have_value("1986-04-12")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # 5. «Добавление профиля «Сферум»» → «Привязать».
    link_in_the_window(page, phone, TEACHER, "13")


# --- «Если вы работаете не с личного устройства» → «Войти в другой аккаунт» --------------------------


def test_shared_computer_sign_in_to_another_account(page: Page, journal: Parta) -> None:
    # Someone else signed in to the ID in this browser before (a school computer).
    stranger = new_phone(0)
    page.goto(f"{journal.platform}/id/")
    enter_phone(page, stranger)
    page.get_by_label("Введите код").fill(journal.latest_message(stranger, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_role("button", name="Создать учебный профиль").click()
    about_yourself(page, "Власенков", "Семен", "Леонидович", "1978-12-12")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Вы вошли в Сферум ID")).to_be_visible()

    username = journal_account(journal, "teacher")
    phone = new_phone(0)
    sign_in(page, journal, username)
    chats_icon_to_connect(page)
    # The ID shows the stranger's profile: check it, and sign in to one's own instead.
    expect(page.get_by_role("heading", name="Ваш профиль для связки")).to_be_visible()
    expect(page.get_by_text(masked(stranger))).to_be_visible()
    expect(page.get_by_text("Если вы работаете не с личного устройства")).to_be_visible()
    shot(page, 0, "14-chuzhoy-profil")
    page.get_by_role("button", name="Войти в другой аккаунт").click()
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    expect(page.get_by_label("Телефон или почта")).to_have_value("")
    enter_phone(page, phone)
    page.get_by_label("Введите код").fill(journal.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_text(masked(phone))).to_be_visible()
    page.get_by_role("button", name="Создать учебный профиль").click()
    about_yourself(page, *PEOPLE["teacher"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # The window names one's own profile and number, not the stranger's.
    expect(page.get_by_text(masked(stranger))).to_have_count(0)
    link_in_the_window(page, phone, TEACHER, "15")


# --- the call-reset code, then «Мой паспорт» → «Безопасность» → «Внешние аккаунты» → «Отвязать» --------


def test_call_reset_code_then_unlink_in_external_accounts(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone(0)
    sign_in(page, journal, username)
    chats_icon_to_connect(page)
    enter_phone(page, phone)
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    page.get_by_role("link", name="Подтвердить другим способом").click()
    page.get_by_role("button", name="Получить звонок-сброс").click()
    expect(
        page.get_by_text(
            "Вам поступит звонок-сброс с уникального номера. Введите последние 4 цифры этого номера"
        )
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Звонок поступит в течение 0[01]:[0-5]\d$"))).to_be_visible()
    shot(page, 0, "16-zvonok-sbros")
    call = journal.latest_message(phone, "call")
    assert re.fullmatch(r"\+7\d{10}", call["caller_number"])
    page.get_by_label("Введите 4 цифры").fill(call["caller_number"][-4:])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_role("button", name="Создать учебный профиль").click()
    about_yourself(page, *PEOPLE["teacher"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    link_in_the_window(page, phone, TEACHER, "17")

    # «Безопасность» → «Внешние аккаунты»: «Сферум» with the id; the unlink icon → «Отвязать».
    page.get_by_text("учитель ▾").click()
    page.get_by_role("link", name="Настройки аккаунта").click()
    page.get_by_role("link", name="Безопасность").click()
    external = page.get_by_role("region", name="Внешние аккаунты")
    row = external.get_by_role("row").filter(has_text="Сферум")
    expect(row.get_by_role("cell", name="Сферум", exact=True)).to_be_visible()
    expect(row).to_contain_text(masked(phone))
    expect(row.get_by_role("cell", name=re.compile(r"^[0-9a-f-]{36} "))).to_be_visible()  # the profile id
    shot(page, 0, "18-vneshnie-akkaunty")
    row.get_by_role("link", name="Отвязать Сферум").click()
    dialog = page.get_by_role("dialog", name="Удаление профиля «Сферум»")
    expect(dialog).to_be_visible()
    shot(page, 0, "19-udalenie-profilya")
    dialog.get_by_role("button", name="Отвязать").click()
    expect(page.get_by_text("Учебный профиль «Сферум» отвязан от вашей учетной записи.")).to_be_visible()
    expect(external.get_by_text("К учётной записи не привязан ни один внешний аккаунт.")).to_be_visible()
    open_chats_icon(page)
    expect_not_linked(page)


# --- «Отвязать учебный профиль … возможно только через службу технической поддержки» (support_only) ---


def test_support_only_no_button_and_the_operator_unlinks_with_a_reason(
    page: Page, browser: Browser, journal: Parta
) -> None:
    username = journal_account(journal, "teacher")
    phone = new_phone(0)
    sign_in(page, journal, username)
    page.goto(journal.journal + "/integration/connect/")
    id_new_phone(page, journal, phone)
    page.get_by_role("button", name="Привязать").click()
    expect_section(page, phone)

    with second_journal(journal, PARTA_INTEGRATION_UNLINK_POLICY="*=self,teacher=support_only") as support:
        page.goto(support + "/integration/")
        expect_section(page, phone)
        expect(page.get_by_role("link", name="Отвязать учетную запись")).to_have_count(0)
        expect(
            page.get_by_text(
                "Отвязать учебный профиль от вашей учетной записи в журнале возможно только через "
                "службу технической поддержки."
            )
        ).to_be_visible()
        shot(page, 0, "20-otvyazka-cherez-podderzhku")
        page.goto(support + "/settings/security/")
        external = page.get_by_role("region", name="Внешние аккаунты")
        expect(external.get_by_role("cell", name="Сферум", exact=True)).to_be_visible()
        expect(external.get_by_role("link", name="Отвязать Сферум")).to_have_count(0)
        # Typing the address does not unlink either.
        page.goto(support + "/integration/unlink/")
        expect(page.get_by_role("heading", name="Отвязка через службу поддержки")).to_be_visible()
        page.goto(support + "/integration/")
        expect_section(page, phone)

    # The operator (another browser) unlinks in the administration, with a reason.
    operator = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900}).new_page()
    try:
        operator.goto(journal.journal + "/login/")
        operator.get_by_label("Имя пользователя").fill("admin")
        operator.get_by_label("Пароль").fill(PASSWORD)
        operator.get_by_role("button", name="Войти", exact=True).click()
        operator.goto(journal.journal + "/admin/")
        operator.get_by_role("link", name="Привязки к Сферум").click()
        operator.locator("#searchbar").fill(username)
        operator.get_by_role("button", name="Найти").click()
        row = operator.get_by_role("row").filter(has_text=username)
        expect(row).to_have_count(1)
        row.get_by_role("checkbox").check()
        operator.get_by_role("combobox", name="Действие").select_option(
            label="Отвязать от Сферум (по обращению в поддержку)"
        )
        operator.get_by_role("button", name="Выполнить").click()
        # A reason is required (the browser does not send the form without it).
        expect(operator.get_by_label("Причина")).to_have_attribute("required", "")
        operator.get_by_label("Причина").fill("Обращение в поддержку № 1520: учитель сменил номер")
        shot(operator, 0, "21-operator-prichina")
        operator.get_by_role("button", name="Отвязать").click()
        expect(operator.get_by_text("Отвязано учётных записей: 1.")).to_be_visible()
        row = operator.get_by_role("row").filter(has_text=username)
        expect(row).to_contain_text("Обращение в поддержку № 1520")
        shot(operator, 0, "22-operator-otvyazano")
    finally:
        operator.context.close()

    page.goto(journal.journal + "/integration/")
    expect_not_linked(page)
