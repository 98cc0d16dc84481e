"""Each demo role signs in as manual 004 (and manual 002 for staff) shows, and reads the schedule."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Parta

pytestmark = pytest.mark.browser
PASSWORD = "parta-demo"


def sign_in(page: Page, parta: Parta, username: str) -> None:
    page.goto(parta.journal + "/")
    expect(page.get_by_role("heading", name="Вход в электронный журнал")).to_be_visible()
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.get_by_role("link", name="Расписание", exact=True)).to_be_visible()


def read_schedule(page: Page, *, on_phone: bool = False) -> None:
    page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Расписание", exact=True).click()
    expect(page.get_by_role("heading", name="Расписание", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Понедельник, "))).to_be_visible()
    lessons = page.locator("table.lessons tbody tr")
    expect(lessons.first).to_be_visible()
    for column in ("Время", "Предмет", "Тема", "Домашнее задание", "Учитель"):
        if on_phone:
            # On a phone each lesson is a card, and every line of it carries its column's label.
            expect(lessons.first.get_by_role("cell", name=re.compile(f"^{column} "))).to_be_visible()
        else:
            expect(page.get_by_role("columnheader", name=column).first).to_be_visible()


def test_login_page_shows_what_manual_004_shows(page: Page, parta: Parta) -> None:
    page.goto(parta.journal + "/login/")
    expect(page.get_by_label("Имя пользователя")).to_be_visible()
    expect(page.get_by_label("Пароль")).to_be_visible()
    expect(page.get_by_role("link", name="Забыли пароль?")).to_be_visible()
    expect(page.get_by_role("button", name="Войти", exact=True)).to_be_visible()
    page.get_by_role("link", name="Войти через госуслуги").click()
    expect(page.get_by_role("heading", name="Вход через госуслуги не настроен")).to_be_visible()


def test_student_signs_in_and_reads_the_diary_and_schedule(page: Page, parta: Parta) -> None:
    sign_in(page, parta, "student")
    expect(page.get_by_role("heading", name="Дневник")).to_be_visible()
    expect(page.get_by_text("5А класс")).to_be_visible()
    read_schedule(page)
    expect(page.get_by_text("Онлайн-урок").first).to_be_visible()


def test_parent_signs_in_and_reads_the_childs_schedule(page: Page, parta: Parta) -> None:
    sign_in(page, parta, "parent")
    expect(page.get_by_role("heading", name="Дневник")).to_be_visible()
    expect(page.get_by_label("Ребёнок")).to_be_visible()
    read_schedule(page)
    expect(page.get_by_text(re.compile(r"5А класс"))).to_be_visible()


def test_teacher_enters_through_the_staff_entry_of_manual_002(page: Page, parta: Parta) -> None:
    page.goto(parta.journal + "/")
    page.get_by_role("link", name="Вход для сотрудников").click()
    expect(page.get_by_role("heading", name="Вход для сотрудников")).to_be_visible()
    page.get_by_label("Имя пользователя").fill("teacher")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.get_by_role("heading", name="Журнал")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Классный руководитель: 5А"))).to_be_visible()
    read_schedule(page)
    expect(page.get_by_role("cell", name="Математика").first).to_be_visible()


def test_teacher_who_is_a_parent_switches_to_the_parent_role(page: Page, parta: Parta) -> None:
    sign_in(page, parta, "teacher")
    page.get_by_text("учитель ▾").click()
    page.get_by_role("button", name="родитель").click()
    expect(page.get_by_text("родитель ▾")).to_be_visible()
    expect(page.get_by_role("heading", name="Дневник")).to_be_visible()
    expect(page.get_by_text(re.compile(r"2Б класс"))).to_be_visible()


def test_admin_signs_in_sees_the_classes_and_opens_the_administration(page: Page, parta: Parta) -> None:
    sign_in(page, parta, "admin")
    expect(page.get_by_role("heading", name="Классы школы")).to_be_visible()
    expect(page.get_by_role("link", name="5А", exact=True)).to_be_visible()
    page.get_by_role("link", name="5А", exact=True).click()
    expect(page.get_by_text(re.compile(r"5А класс"))).to_be_visible()
    page.goto(parta.journal + "/admin/")
    expect(page.get_by_role("heading", name="Школа")).to_be_visible()


def test_account_settings_tabs_partners_and_external_accounts(page: Page, parta: Parta) -> None:
    sign_in(page, parta, "teacher")
    page.get_by_text("учитель ▾").click()
    page.get_by_role("link", name="Настройки аккаунта").click()
    expect(page.get_by_role("heading", name="Настройки аккаунта")).to_be_visible()
    page.get_by_role("link", name="Партнеры").click()
    expect(page.get_by_role("link", name="Партнеры")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Безопасность").click()
    expect(page.get_by_role("heading", name="Внешние аккаунты")).to_be_visible()


def test_wrong_password_gets_a_clear_message(page: Page, parta: Parta) -> None:
    page.goto(parta.journal + "/login/")
    page.get_by_label("Имя пользователя").fill("student")
    page.get_by_label("Пароль").fill("not-the-password")
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Неверное имя пользователя или пароль.")


def test_parent_reads_the_schedule_on_a_phone(phone: Page, parta: Parta) -> None:
    sign_in(phone, parta, "parent")
    read_schedule(phone, on_phone=True)
    # On a phone the lesson table turns into cards: no horizontal scrolling.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
