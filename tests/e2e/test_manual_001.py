"""Manual 001 (a parent in the Moscow e-diary) walked in a real browser across both real servers.

The chats icon of the diary (and the «Мессенджер» button of account settings on a phone-sized screen) →
«Перейти к подключению» → the phone → the SMS code with «Отправить SMS через 1:53» and «Изменить номер
телефона» (a mistyped number corrected) → «Создать учебный профиль» → «Информация о себе» →
«Добавление профиля «Сферум»» → «Привязать»; password recovery before linking («Забыли или не установили
пароль?» → the phone → the SMS code → the account check → recovery by e-mail → the new password → back in
the linking flow); and the manual's note that a child's online lesson is joined from the child's account.

Screens: ``test-artifacts/manual-001-*.png`` (``-telefon`` for the phone-sized screen).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Parta
from tests.e2e.manual_steps import about_yourself, journal_registered, new_phone, open_chats_icon, shot
from tests.e2e.test_linking_id import (
    ID_PASSWORD,
    PEOPLE,
    consent_window,
    expect_not_linked,
    expect_section,
    journal_account,
    journal_shell,
    masked,
    section_phone,
    sign_in,
)

pytestmark = pytest.mark.browser
PARENT = "Соколова Ольга Петровна"
NEW_PASSWORD = "Новый-пароль-2026"
CHILDS_LESSON = (
    "Если у вашего ребенка дистанционный урок, то переход в дистанционный урок реализуется "
    "непосредственно из учетной записи ребенка в электронном дневнике."
)


@pytest.fixture(scope="module")
def journal(parta: Parta) -> Parta:
    return journal_registered(parta)


def shown(phone: str) -> str:
    return f"+7 {phone[2:5]} {phone[5:8]}-{phone[8:10]}-{phone[10:12]}"


def link_a_new_profile_with_a_corrected_number(page: Page, journal: Parta, phone: str) -> None:
    """Steps 3–8 for a number without a profile, first mistyped, then corrected."""
    mistyped = new_phone(1)
    # Step 3: the phone → «Продолжить».
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    shot(page, 1, "3-vhod")
    page.get_by_label("Телефон или почта").fill(mistyped)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # Step 6's window «Подтвердите вход»: the SMS, its timer, «Изменить номер телефона».
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    expect(page.get_by_text(f"SMS с кодом отправлено на телефон {shown(mistyped)}")).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile(r"^Отправить SMS через [12]:[0-5]\d$"))
    ).to_be_disabled()
    shot(page, 1, "4-sms-kod")
    # «Если вы ошиблись в номере, измените его и запросите код заново.»
    page.get_by_role("link", name="Изменить номер телефона").click()
    expect(page.get_by_label("Телефон или почта")).to_have_value(shown(mistyped))
    page.get_by_label("Телефон или почта").fill(phone)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_text(f"SMS с кодом отправлено на телефон {shown(phone)}")).to_be_visible()
    page.get_by_label("Введите код").fill(journal.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # Step 4: check the data → «Создать учебный профиль».
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    expect(page.get_by_text(masked(phone))).to_be_visible()
    shot(page, 1, "5-sozdanie-profilya")
    page.get_by_role("button", name="Создать учебный профиль").click()
    # Step 7: «Информация о себе» → «Продолжить».
    about_yourself(page, *PEOPLE["parent"])
    shot(page, 1, "6-informaciya-o-sebe")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # Step 8: «Добавление профиля «Сферум»» → «Привязать».
    consent_window(page, phone, PARENT)
    shot(page, 1, "7-dobavlenie-profilya")
    page.get_by_role("button", name="Привязать").click()
    expect(page.get_by_text("Ваш учебный профиль «Сферум» привязан к вашей учетной записи.")).to_be_visible()
    if (page.viewport_size or {"width": 1280})["width"] < 640:  # the table's header is hidden on a phone
        expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value(section_phone(phone))
    else:
        expect_section(page, phone)
    shot(page, 1, "8-razdel-sferum")
    # The mistyped number got nothing beyond its one SMS.
    assert [m["channel"] for m in journal.outbox(mistyped)] == ["sms"]


def online_lesson_today_for_the_child(journal: Parta, username: str) -> str:
    """An online lesson today in the class of the parent's child (the children of these parents share a
    class); returns its sourcedId."""
    return (
        journal_shell(
            journal,
            "import datetime\n"
            "from django.utils import timezone\n"
            "from parta.journal.models import *\n"
            f"a = Account.objects.get(username={username!r})\n"
            "kid = Guardianship.objects.get(guardian=a.person).student\n"
            "c = Enrolment.objects.filter(student=kid).latest('begins_on').school_class\n"
            "subject, _ = Subject.objects.get_or_create(name='Алгебра')\n"
            "lesson, _ = Lesson.objects.get_or_create(date=timezone.localdate(), number=8, school_class=c, "
            "defaults=dict(starts_at=datetime.time(16, 0), ends_at=datetime.time(16, 45), "
            "subject=subject, online=True))\n"
            "print(lesson.sourced_id)\n",
        )
        .strip()
        .splitlines()[-1]
    )


# --- «Привязка при отсутствии учебного профиля», step 1 by the chats icon of the diary ------------------


def test_parent_from_the_diary_sms_code_and_a_corrected_number(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "parent")
    phone = new_phone(1)
    sign_in(page, journal, username)
    expect(page.get_by_role("link", name="Дневник")).to_be_visible()
    # Step 1: the chats icon in the navigation bar.
    shot(page, 1, "1-dnevnik")
    open_chats_icon(page)
    # Step 2: «Перейти к подключению».
    expect_not_linked(page)
    shot(page, 1, "2-perejti-k-podklyucheniyu")
    page.get_by_role("link", name="Перейти к подключению").click()
    link_a_new_profile_with_a_corrected_number(page, journal, phone)

    # «Обратите внимание!»: the child's online lesson is joined from the child's account.
    lesson = online_lesson_today_for_the_child(journal, username)
    page.get_by_role("link", name="Расписание", exact=True).click()
    row = page.locator(f'tr[data-lesson="{lesson}"]')
    expect(row).to_contain_text("Онлайн-урок")
    expect(row.get_by_role("link", name="Подключиться")).to_have_count(0)
    expect(page.get_by_role("region", name="Онлайн-уроки")).to_contain_text(CHILDS_LESSON)
    shot(page, 1, "9-raspisanie-rebenka")


# --- the same from the «Мессенджер» button of account settings, on a phone-sized screen -----------------


def test_parent_on_a_phone_messenger_button(phone: Page, journal: Parta) -> None:
    page = phone
    username = journal_account(journal, "parent")
    number = new_phone(1)
    sign_in(page, journal, username)
    shot(page, 1, "1-dnevnik")
    page.get_by_text("родитель ▾").click()
    page.get_by_role("link", name="Настройки аккаунта").click()
    shot(page, 1, "1-nastroyki")
    page.get_by_role("link", name="Мессенджер").click()
    expect_not_linked(page)
    shot(page, 1, "2-perejti-k-podklyucheniyu")
    page.get_by_role("link", name="Перейти к подключению").click()
    link_a_new_profile_with_a_corrected_number(page, journal, number)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    lesson = online_lesson_today_for_the_child(journal, username)
    page.goto(journal.journal + "/schedule/")
    expect(page.locator(f'tr[data-lesson="{lesson}"]')).to_contain_text("Онлайн-урок")
    expect(page.get_by_text(CHILDS_LESSON)).to_be_visible()
    shot(page, 1, "9-raspisanie-rebenka")


# --- «Восстановление пароля от VK ID» before linking -------------------------------------------------------


def test_recovery_by_e_mail_before_linking(page: Page, journal: Parta) -> None:
    username = journal_account(journal, "parent")
    phone = new_phone(1)
    email = f"olga.{phone[-4:]}@mail.ru"
    last, first, middle, born = PEOPLE["parent"]
    journal.platform_shell(
        "import datetime\n"
        "from django.utils import timezone\n"
        "from parta.identity.models import Account, EducationalProfile\n"
        f"a = Account.objects.create_user({phone!r}, {ID_PASSWORD!r})\n"
        f"a.email = {email!r}; a.email_confirmed_at = timezone.now()\n"
        "a.save(update_fields=['email', 'email_confirmed_at'])\n"
        f"EducationalProfile.objects.create(account=a, last_name={last!r}, first_name={first!r}, "
        f"middle_name={middle!r}, birth_date=datetime.date.fromisoformat({born!r}), gender='female')\n"
    )
    sign_in(page, journal, username)
    open_chats_icon(page)
    page.get_by_role("link", name="Перейти к подключению").click()
    page.get_by_label("Телефон или почта").fill(phone)
    page.get_by_role("button", name="Продолжить", exact=True).click()

    # Step 1: «Забыли или не установили пароль?».
    expect(page.get_by_role("heading", name="Введите пароль")).to_be_visible()
    page.get_by_role("link", name="Забыли или не установили пароль?").click()
    # Step 2: the phone given at registration.
    expect(page.get_by_role("heading", name="Восстановление доступа")).to_be_visible()
    expect(page.get_by_label("Номер телефона")).to_have_value(shown(phone))
    shot(page, 1, "10-vosstanovlenie")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # Step 3: the SMS code.
    expect(page.get_by_role("heading", name="Код подтверждения")).to_be_visible()
    page.get_by_label("Введите код").fill(journal.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # Step 4: the right account?
    expect(page.get_by_role("heading", name="Проверка аккаунта")).to_be_visible()
    expect(page.get_by_text(masked(phone))).to_be_visible()
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # Step 5: the way to confirm.
    expect(
        page.get_by_role("heading", name="Как вы хотите подтвердить, что аккаунт принадлежит вам?")
    ).to_be_visible()
    shot(page, 1, "11-sposoby")
    page.get_by_role("button", name=re.compile("С помощью электронной почты")).click()
    # Step 6: the code from the letter.
    expect(page.get_by_role("heading", name="Введите код из письма")).to_be_visible()
    expect(page.get_by_text("Мы отправили код на почту ol***@mail.ru")).to_be_visible()
    shot(page, 1, "12-kod-iz-pisma")
    letter = journal.latest_message(phone, "email")
    assert letter["to"] == email
    page.get_by_label("Код из письма").fill(letter["code"])
    page.get_by_role("button", name="Подтвердить").click()
    # Step 7: the new password, then sign in with it.
    expect(page.get_by_role("heading", name="Придумайте новый пароль")).to_be_visible()
    expect(page.get_by_label("Выйти на всех устройствах, кроме этого")).to_be_checked()
    page.get_by_label("Введите новый пароль").fill(NEW_PASSWORD)
    page.get_by_label("Повторите новый пароль").fill(NEW_PASSWORD)
    shot(page, 1, "13-novyy-parol")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_text("Пароль изменён. Войдите в Сферум ID с новым паролем.")).to_be_visible()
    # Still the journal's linking: the ID names it.
    expect(
        page.get_by_text("С сервисом «БАРС.Электронная школа» можно связать свой учебный профиль")
    ).to_be_visible()
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_label("Пароль", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_label("Введите код").fill(journal.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()
    page.get_by_role("button", name="Продолжить в учебном профиле").click()
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    page.get_by_role("button", name="Продолжить", exact=True).click()
    consent_window(page, phone, PARENT)
    shot(page, 1, "14-posle-vosstanovleniya")
    page.get_by_role("button", name="Привязать").click()
    expect_section(page, phone)
