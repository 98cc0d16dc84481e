"""Manual 004 (BARS «Электронная школа», plugin «Интеграция со Сферум», a parent or student) walked in a
real browser across both real servers.

«Авторизация»: the login form («Имя пользователя», «Пароль», «Забыли пароль?», «ВОЙТИ», «Войти через
госуслуги») → the desktop shortcut «Привязать аккаунт к Сферум» → «Авторизация в Сферум»; variant 2 with
the push code («Мы отправили push-уведомление с кодом на ваше устройство», «Подтвердить другим способом»,
«Войти при помощи пароля»); variant 1 on a phone-sized screen (password, SMS code, «Выбор учебного
профиля»). Then the «Сферум» section: «Чаты» with the table Наименование / Тип / Количество участников /
Администратор чата / Предмет, «Видеоконференции» with «Перейти» in «Ссылка», «Перейти в Сферум»,
«Расписание» → «Подключиться» beside the online lesson, and «Отвязать учетную запись» → «Да».

Screens: ``test-artifacts/manual-004-*.png`` (``-telefon`` for the phone-sized screen).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Parta
from tests.e2e.manual_steps import (
    PUSH_PHONE,
    about_yourself,
    is_phone_sized,
    journal_registered,
    new_phone,
    shot,
    shot_of,
)
from tests.e2e.test_linking_id import (
    ID_PASSWORD,
    PASSWORD,
    PEOPLE,
    consent_window,
    expect_not_linked,
    journal_account,
    journal_shell,
    masked,
    section_phone,
)

pytestmark = pytest.mark.browser
PARENT = "Соколова Ольга Петровна"
STUDENT = ("Лаптева", "Вера", "Игоревна", "2012-03-15")
CHAT_COLUMNS = ("Наименование", "Тип", "Количество участников", "Администратор чата", "Предмет")


@pytest.fixture(scope="module")
def journal(parta: Parta) -> Parta:
    return journal_registered(parta)


def api(journal: Parta, method: str, path: str, body: Any = None) -> httpx.Response:
    """API v1 with the journal's token (as the roster sync calls it)."""
    token = json.loads((Path(journal.env["PARTA_VAR_DIR"]) / "demo-journal-client.json").read_text())[
        "api_token"
    ]
    return httpx.request(
        method,
        f"{journal.platform}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def binding(journal: Parta, username: str) -> tuple[str, str]:
    sub, org_ref = journal_shell(
        journal,
        "from parta.integration.models import Binding\n"
        f"b = Binding.objects.get(account__username={username!r}, state='active')\n"
        "print(b.profile_sub, b.org_ref)\n",
    ).split()
    return sub, org_ref


def login_form(page: Page, journal: Parta, username: str) -> None:
    """«1. Войдите в ЭШ» (Рисунок 1)."""
    page.goto(journal.journal + "/")
    expect(page.get_by_role("heading", name="Вход в электронный журнал")).to_be_visible()
    expect(page.get_by_role("link", name="Забыли пароль?")).to_be_visible()
    expect(page.get_by_role("link", name="Войти через госуслуги")).to_be_visible()
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    shot(page, 4, "1-vhod")
    page.get_by_role("button", name="Войти", exact=True).click()


def shortcut_to_the_id(page: Page) -> None:
    """«2. Для перехода в мессенджер…»: the desktop shortcut (Рисунок 2) → «Авторизация в Сферум»."""
    shortcut = page.get_by_role("navigation", name="Ярлыки").get_by_role(
        "link", name="Привязать аккаунт к Сферум"
    )
    expect(shortcut).to_be_visible()
    shot(page, 4, "2-yarlyk")
    shortcut.click()
    expect_not_linked(page)
    expect(page.get_by_role("heading", name="Авторизация в Сферум")).to_be_visible()
    expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value("")
    shot(page, 4, "3-avtorizaciya-v-sferum")
    page.get_by_role("link", name="Перейти к подключению").click()
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()


def unlink_with_yes(page: Page) -> None:
    """«Отвязка учетной записи»: «Отвязать учетную запись» → the window (Рисунок 21) → «Да»."""
    page.get_by_role("link", name="Отвязать учетную запись").click()
    dialog = page.get_by_role("dialog", name="Отвязать учетную запись")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Нет")).to_be_visible()
    shot(page, 4, "9-okno-otvyazki")
    dialog.get_by_role("button", name="Да").click()
    expect(page.get_by_text("Учебный профиль «Сферум» отвязан от вашей учетной записи.")).to_be_visible()
    expect_not_linked(page)
    expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value("")
    shot(page, 4, "10-otvyazano")


# --- variant 2 with the push code; the section's tabs and table; «Отвязать учетную запись» → «Да» -------


def test_variant_2_push_code_then_the_section_and_unlink(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "parent")
    journal.platform_shell(
        "from parta.identity.models import Account\n"
        f"Account.objects.create_user({PUSH_PHONE!r}, {ID_PASSWORD!r})\n"
    )
    login_form(page, journal, username)
    shortcut_to_the_id(page)

    # 1. The phone → «Продолжить».
    page.get_by_label("Телефон или почта").fill(PUSH_PHONE)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # 3. «Подтвердите вход» (Рисунок 10): the push code, with the other ways.
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    expect(page.get_by_text("Мы отправили push-уведомление с кодом на ваше устройство")).to_be_visible()
    expect(page.get_by_role("link", name="Войти при помощи пароля")).to_be_visible()
    shot(page, 4, "4-push-kod")
    page.get_by_role("link", name="Подтвердить другим способом").click()
    for way in ("Получить SMS с кодом", "Получить звонок-сброс", "Получить push-уведомление"):
        expect(page.get_by_role("button", name=way)).to_be_visible()
    shot(page, 4, "5-drugim-sposobom")
    page.get_by_role("link", name="Назад").click()
    expect(page.get_by_text("Мы отправили push-уведомление с кодом на ваше устройство")).to_be_visible()
    page.get_by_label("Код", exact=True).fill(journal.latest_message(PUSH_PHONE, "push")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # 4. «Создать учебный профиль»; 5–6. «Информация о себе» → «Продолжить».
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    expect(page.get_by_text(masked(PUSH_PHONE))).to_be_visible()
    page.get_by_role("button", name="Создать учебный профиль").click()
    about_yourself(page, *PEOPLE["parent"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    consent_window(page, PUSH_PHONE, PARENT)
    page.get_by_role("button", name="Привязать").click()

    # «Раздел «Сферум»» (Рисунок 20): «Чаты», «Видеоконференции», «Перейти в Сферум», «Отвязать…».
    expect(page.get_by_role("heading", name="Сферум", exact=True)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Сферум")
    expect(tabs.get_by_role("link", name="Чаты")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value(section_phone(PUSH_PHONE))
    expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_attribute("readonly", "")
    sub, org_ref = binding(journal, username)
    answer = api(
        journal,
        "POST",
        f"/orgs/{org_ref}/groups:sync",
        {
            "groups": [
                {"group_ref": f"c-{sub}", "kind": "class", "title": "11А", "admins": [sub], "members": [sub]},
                {
                    "group_ref": f"m-{sub}",
                    "kind": "subject",
                    "title": "11А — алгебра",
                    "subject": "Алгебра",
                    "admins": [sub],
                    "members": [sub],
                },
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    page.reload()
    for column in CHAT_COLUMNS:
        expect(page.get_by_role("columnheader", name=column)).to_be_visible()
    algebra = page.get_by_role("row").filter(has_text="11А — алгебра")
    expect(algebra.get_by_role("cell")).to_have_text(
        ["11А — алгебра", "Предметный чат", "1", PARENT, "Алгебра"]
    )
    klass = page.get_by_role("row").filter(has=page.get_by_role("cell", name="11А", exact=True))
    expect(klass.get_by_role("cell")).to_have_text(["11А", "Классный чат", "1", PARENT, ""])
    shot(page, 4, "6-chaty")

    # «Вкладка «Видеоконференции»».
    tabs.get_by_role("link", name="Видеоконференции").click()
    expect(tabs.get_by_role("link", name="Видеоконференции")).to_have_attribute("aria-current", "page")
    for column in ("Наименование", "Тип", "Время", "Ссылка"):
        expect(page.get_by_role("columnheader", name=column)).to_be_visible()
    shot(page, 4, "7-videokonferencii")

    # «Для перехода на платформу Сферума необходимо нажать «Перейти в Сферум»» (a new tab).
    go = page.get_by_role("link", name="Перейти в Сферум")
    expect(go).to_have_attribute("target", "_blank")
    with page.context.expect_page() as opened:
        go.click()
    opened.value.wait_for_load_state()
    assert opened.value.url.startswith(journal.platform)
    opened.value.close()

    unlink_with_yes(page)
    # The desktop shortcut offers linking again.
    page.goto(journal.journal + "/")
    expect(page.get_by_role("link", name="Привязать аккаунт к Сферум")).to_be_visible()


# --- variant 1, a student on a phone: «Видеоконференции» → «Перейти», «Расписание» → «Подключиться» -----


def student_with_an_online_lesson_now(journal: Parta, username: str) -> tuple[str, dt.datetime]:
    """A student of the demo school's first class with an online lesson starting in two minutes (the
    platform opens joining a little before the start); returns its sourcedId and start."""
    last, first, middle, born = STUDENT
    out = journal_shell(
        journal,
        "import datetime, json\n"
        "from django.utils import timezone\n"
        "from parta.journal.models import *\n"
        "school = School.objects.order_by('pk').first()\n"
        "c = SchoolClass.objects.filter(school=school, year__is_current=True).order_by('grade').first()\n"
        f"kid = Person.objects.create(last_name={last!r}, first_name={first!r}, middle_name={middle!r}, "
        f"birth_date=datetime.date.fromisoformat({born!r}), gender='female')\n"
        "Enrolment.objects.create(student=kid, school_class=c, begins_on=c.year.starts_on)\n"
        f"Account.objects.create_user({username!r}, {PASSWORD!r}, person=kid)\n"
        "subject, _ = Subject.objects.get_or_create(name='Алгебра')\n"
        "start = (timezone.localtime() + datetime.timedelta(minutes=2)).replace(second=0, microsecond=0)\n"
        "lesson, _ = Lesson.objects.update_or_create(date=start.date(), number=9, school_class=c, "
        "defaults=dict(starts_at=start.time(), ends_at=(start + datetime.timedelta(minutes=45)).time(), "
        "subject=subject, online=True))\n"
        "print(json.dumps({'lesson': lesson.sourced_id, 'start': start.isoformat()}))\n",
    )
    made = json.loads(out.strip().splitlines()[-1])
    return made["lesson"], dt.datetime.fromisoformat(made["start"])


def expect_no_chats_message_at_the_left(page: Page) -> None:
    """«Чатов пока нет…» starts near the chats table's left edge, inside the screen and under the table's
    header where the header is shown (a phone hides it and shows each row as label: value lines)."""
    message = page.get_by_text("Чатов пока нет.")
    expect(message).to_be_visible()
    text = message.evaluate(
        "cell => { const range = document.createRange(); range.selectNodeContents(cell);"
        " const box = range.getBoundingClientRect();"
        " return {left: box.left, right: box.right, top: box.top}; }"
    )
    table = page.get_by_role("table").filter(has=message).bounding_box()
    width = (page.viewport_size or {"width": 1280})["width"]
    assert table is not None
    assert text["left"] - table["x"] <= 16, (text, table)
    assert text["right"] <= width, (text, width)
    header = page.get_by_role("columnheader", name="Наименование")
    if not is_phone_sized(page):
        box = header.bounding_box()
        assert box is not None
        assert text["top"] >= box["y"] + box["height"] - 1, (text, box)


def test_variant_1_on_a_phone_conference_and_schedule_then_unlink(phone: Page, journal: Parta) -> None:
    page = phone
    number = new_phone(4)
    username = f"e2e-manual-004-student-{number[-3:]}"
    lesson, start = student_with_an_online_lesson_now(journal, username)
    last, first, middle, born = STUDENT
    journal.platform_shell(
        "import datetime\n"
        "from parta.identity.models import Account, EducationalProfile\n"
        f"a = Account.objects.create_user({number!r}, {ID_PASSWORD!r})\n"
        f"EducationalProfile.objects.create(account=a, last_name={last!r}, first_name={first!r}, "
        f"middle_name={middle!r}, birth_date=datetime.date.fromisoformat({born!r}), gender='female')\n"
    )
    login_form(page, journal, username)
    shortcut_to_the_id(page)
    # 1. The phone; 2. the password; 3. the SMS code; 4. the profile; 5. the data.
    page.get_by_label("Телефон или почта").fill(number)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Введите пароль")).to_be_visible()
    expect(page.get_by_role("link", name="Забыли или не установили пароль?")).to_be_visible()
    page.get_by_label("Пароль", exact=True).fill(ID_PASSWORD)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_label("Введите код").fill(journal.latest_message(number, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()
    shot(page, 4, "4-vybor-profilya")
    page.get_by_role("button", name="Продолжить в учебном профиле").click()
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    page.get_by_role("button", name="Продолжить", exact=True).click()
    consent_window(page, number, " ".join(STUDENT[:3]))
    page.get_by_role("button", name="Привязать").click()
    expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value(section_phone(number))
    shot(page, 4, "6-chaty")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # No chats yet: the message sits at the table's left edge (it was pushed right on a phone), on a
    # desktop too, under the header.
    expect_no_chats_message_at_the_left(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    expect_no_chats_message_at_the_left(page)
    shot(page, 4, "6-chaty-pusto")
    page.set_viewport_size({"width": 390, "height": 844})

    # The lesson's conference on the platform at the lesson's time, open for joining (it starts in two
    # minutes), under «lesson-» and the lesson's sourcedId (as the roster sync puts online lessons there).
    sub, org_ref = binding(journal, username)
    answer = api(
        journal,
        "PUT",
        f"/orgs/{org_ref}/conferences/lesson-{lesson}",
        {
            "title": "Алгебра, онлайн-урок",
            "kind": "lesson",
            "start": start.isoformat(),
            "end": (start + dt.timedelta(minutes=45)).isoformat(),
            "participants": [sub],
        },
    )
    assert answer.status_code in (200, 201), answer.text
    page.get_by_role("link", name="Видеоконференции").click()
    row = page.locator(f'[data-conference="lesson-{lesson}"]')
    expect(row).to_contain_text("Онлайн-урок")
    join = row.get_by_role("link", name="Перейти")
    expect(join).to_be_visible()
    href = join.get_attribute("href") or ""
    assert href.startswith(journal.platform + "/calls/")
    shot(page, 4, "7-videokonferencii")

    # «К видеоконференции с типом «Онлайн-урок» также можно подключиться в разделе «Расписание»».
    page.get_by_role("link", name="Расписание", exact=True).click()
    lesson_row = page.locator(f'tr[data-lesson="{lesson}"]')
    expect(lesson_row).to_contain_text("Онлайн-урок")
    connect = lesson_row.get_by_role("link", name="Подключиться")
    expect(connect).to_be_visible()
    assert connect.get_attribute("href") == href
    shot(page, 4, "8-raspisanie-podklyuchitsya")
    shot_of(page, page.locator("section.day").filter(has=lesson_row), 4, "8-raspisanie-den")

    page.goto(journal.journal + "/integration/")
    unlink_with_yes(page)
