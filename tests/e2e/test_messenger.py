"""The messenger in real browsers: two people of one school write to each other live, one of them drops
off the network and catches up on return, an image is sent and previewed, and a student cannot find a
student of another school.

The schools, people and chats are made in the platform's Django shell through the messenger's actions
(as the journal would make them through API v1); people sign in through the ID's screens with the codes
from the dev outbox. Screens are saved to ``test-artifacts/messenger-*.png``.
"""

from __future__ import annotations

import itertools
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import ARTIFACTS, Parta

pytestmark = pytest.mark.browser
_numbers = itertools.count(1)
_schools = itertools.count(1)
DESKTOP: dict[str, Any] = {
    "locale": "ru-RU",
    "timezone_id": "Europe/Moscow",
    "viewport": {"width": 1280, "height": 860},
}
PHONE: dict[str, Any] = {
    "locale": "ru-RU",
    "timezone_id": "Europe/Moscow",
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def new_phone() -> str:
    """A number no other browser test uses: +7 999 300-00-NN."""
    return f"+799930000{next(_numbers):02d}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"messenger-{name}.png"))


def png(width: int = 160, height: int = 100) -> bytes:
    """A real PNG picture: a green field with a blue band."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + (b"\x1e\x88\xe5" if height // 3 < y < 2 * height // 3 else b"\x43\xa0\x47") * width
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SETUP = """
import datetime, json
from oauth2_provider.models import Application
from parta.identity.models import Account, EducationalProfile, JournalClient
from parta.messenger.actions import chat_create, membership_set, message_send, organization_register

spec = json.loads({spec!r})
application = Application.objects.create(
    name="Журнал", client_id=spec["client"], client_type="confidential",
    authorization_grant_type="authorization-code", redirect_uris="http://127.0.0.1/cb/", algorithm="RS256")
client = JournalClient.objects.create(application=application, display_name="Журнал",
                                      api_token_digest=spec["client"].ljust(64, "0")[:64])
ids = {{}}
profiles = {{}}
for school in spec["schools"]:
    org = organization_register(client_id=client.pk, ref=school["ref"], name=school["name"])
    for key, person in school["people"].items():
        account = Account.objects.create_user(person["phone"])
        profile = EducationalProfile.objects.create(
            account=account, last_name=person["last"], first_name=person["first"],
            middle_name=person["middle"], birth_date=datetime.date(1985, 3, 1), gender="female")
        membership_set(organization=org, profile=profile, roles=person["roles"])
        ids[key] = profile.pk
        profiles[key] = profile
    for chat in school.get("chats", []):
        made = chat_create(organization=org, kind=chat["kind"], title=chat["title"],
                           managed_ref=chat["ref"], members=[ids[k] for k in chat["members"]],
                           admins=[ids[k] for k in chat["admins"]])
        ids[chat["ref"]] = made.pk
        for n in range(1, chat.get("history", 0) + 1):
            message_send(chat=made, author=profiles[chat["admins"][0]], text=f"Сообщение № {{n}}")
print(json.dumps(ids))
"""


def make_schools(parta: Parta, schools: list[dict[str, Any]]) -> dict[str, int]:
    """Schools with their people (signed up in the ID with educational profiles) and chats; the ids."""
    spec = json.dumps({"client": f"e2e-messenger-{next(_schools)}", "schools": schools})
    return dict(json.loads(parta.platform_shell(SETUP.format(spec=spec)).strip().splitlines()[-1]))


def person(phone: str, roles: list[str], last: str, first: str, middle: str) -> dict[str, Any]:
    return {"phone": phone, "roles": roles, "last": last, "first": first, "middle": middle}


def sign_in(page: Page, parta: Parta, phone: str, path: str = "/") -> None:
    """Open a messenger page signed out: the ID's «Вход», the code from the outbox, the profile step, and
    back to the page."""
    page.goto(parta.platform + path)
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    assert "next=" in page.url
    page.get_by_label("Телефон или почта").fill(phone)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    page.get_by_label("Введите код").fill(parta.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # The ID's profile steps, whichever of them it shows, until the messenger's page is back.
    for _ in range(40):
        back = page.url.split("#")[0] == parta.platform + path
        if back and not page.get_by_role("heading", name="Информация о себе").count():
            break
        choose = page.get_by_role("button", name="Продолжить в учебном профиле")
        about = page.get_by_role("heading", name="Информация о себе")
        if choose.count():
            choose.click()
        elif about.count():
            page.get_by_role("button", name="Продолжить", exact=True).click()
        else:
            page.wait_for_timeout(250)
    assert page.url.split("#")[0] == parta.platform + path, page.url


def open_chat(page: Page, title: str) -> None:
    page.locator("[data-chat-list]").get_by_role("link", name=title).first.click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    # The socket is open and subscribed: the page is live.
    page.locator("body[data-socket=live]").wait_for(state="attached")


def write(page: Page, text: str) -> None:
    page.get_by_label("Сообщение").fill(text)
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_label("Сообщение")).to_have_value("")


def messages(page: Page, text: str) -> Any:
    return page.locator(".message-list .msg-text", has_text=text)


@pytest.fixture
def contexts(browser: Browser) -> Any:
    made: list[BrowserContext] = []

    def new(options: dict[str, Any]) -> Page:
        context = browser.new_context(**options)
        made.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield new
    for context in made:
        context.close()


def test_two_people_write_live_and_a_dropped_page_catches_up_once(parta: Parta, contexts: Any) -> None:
    teacher_phone, parent_phone = new_phone(), new_phone()
    make_schools(
        parta,
        [
            {
                "ref": "school-live",
                "name": "ГБОУ Школа № 1535",
                "people": {
                    "teacher": person(teacher_phone, ["teacher"], "Смирнова", "Анна", "Петровна"),
                    "parent": person(parent_phone, ["parent"], "Кузнецова", "Елена", "Сергеевна"),
                },
                "chats": [
                    {
                        "ref": "parents-5a",
                        "kind": "parents",
                        "title": "5А — родительский чат",
                        "members": ["parent"],
                        "admins": ["teacher"],
                    }
                ],
            }
        ],
    )
    teacher = contexts(DESKTOP)
    parent = contexts(DESKTOP)
    sign_in(teacher, parta, teacher_phone)
    sign_in(parent, parta, parent_phone)
    expect(parent.get_by_role("heading", name="Чаты", level=1)).to_be_visible()
    shot(parent, "1-chaty")
    open_chat(teacher, "5А — родительский чат")
    open_chat(parent, "5А — родительский чат")

    # Live, both ways, without reloading.
    write(teacher, "Добрый день! Собрание в пятницу в 18:00.")
    expect(messages(parent, "Собрание в пятницу в 18:00")).to_have_count(1)
    write(parent, "<b>Спасибо</b>, буду.")
    expect(messages(teacher, "<b>Спасибо</b>, буду.")).to_have_count(1)  # shown as text
    # The teacher's message is read by the parent: the teacher's page marks it.
    expect(teacher.locator(".msg.mine.read", has_text="Собрание в пятницу")).to_have_count(1)

    # The members panel marks the admin.
    parent.locator("summary", has_text="Участники").click()
    panel = parent.locator(".members-panel")
    expect(panel.get_by_text("Смирнова Анна Петровна")).to_be_visible()
    expect(
        panel.locator("li", has_text="Смирнова Анна Петровна").get_by_text("администратор")
    ).to_be_visible()
    shot(parent, "3-uchastniki")
    parent.locator("summary", has_text="Участники").click()

    # The parent's page drops off the network; what is written meanwhile arrives once on return.
    parent.context.set_offline(True)
    expect(parent.get_by_text("Нет соединения с сервером. Переподключаемся…")).to_be_visible()
    shot(parent, "4-net-soedineniya")
    parent.set_viewport_size(PHONE["viewport"])
    shot(parent, "phone-7-net-soedineniya")
    parent.set_viewport_size(DESKTOP["viewport"])
    write(teacher, "Пока вас не было: первое.")
    write(teacher, "Пока вас не было: второе.")
    parent.wait_for_timeout(500)
    expect(messages(parent, "Пока вас не было")).to_have_count(0)
    parent.context.set_offline(False)
    expect(messages(parent, "Пока вас не было: первое.")).to_have_count(1)
    expect(messages(parent, "Пока вас не было: второе.")).to_have_count(1)
    expect(parent.get_by_text("Нет соединения с сервером. Переподключаемся…")).to_be_hidden()
    # In order, and live again afterwards.
    texts = parent.locator(".message-list .msg-text").all_inner_texts()
    assert texts.index("Пока вас не было: первое.") < texts.index("Пока вас не было: второе.")
    write(teacher, "Снова на связи?")
    expect(messages(parent, "Снова на связи?")).to_have_count(1)
    parent.wait_for_timeout(500)
    assert parent.locator(".message-list .msg").count() == 5

    # An image: sent, previewed on both pages, served to the members.
    teacher.get_by_label("Прикрепить файл").set_input_files(
        files=[{"name": "класс.png", "mimeType": "image/png", "buffer": png()}]
    )
    expect(teacher.get_by_text("Файл: класс.png")).to_be_visible()
    teacher.get_by_role("button", name="Отправить").click()
    for page in (teacher, parent):
        image = page.locator(".message-list img[alt='класс.png']")
        expect(image).to_have_count(1)
        page.wait_for_function(
            "() => { const i = document.querySelector(\".message-list img[alt='класс.png']\");"
            " return i && i.complete && i.naturalWidth === 160; }"
        )
    shot(teacher, "2-chat")
    shot(parent, "2-chat-roditel")


def test_unread_counts_on_the_chat_list_follow_live_messages(parta: Parta, contexts: Any) -> None:
    teacher_phone, student_phone = new_phone(), new_phone()
    make_schools(
        parta,
        [
            {
                "ref": "school-unread",
                "name": "МАОУ Лицей № 3",
                "people": {
                    "teacher": person(teacher_phone, ["teacher"], "Орлова", "Ольга", "Ивановна"),
                    "student": person(student_phone, ["student"], "Петров", "Пётр", "Петрович"),
                },
                "chats": [
                    {
                        "ref": "class-7b",
                        "kind": "class",
                        "title": "7Б — классный чат",
                        "members": ["student"],
                        "admins": ["teacher"],
                    }
                ],
            }
        ],
    )
    teacher = contexts(DESKTOP)
    student = contexts(PHONE)
    sign_in(teacher, parta, teacher_phone)
    sign_in(student, parta, student_phone)
    student.locator("body[data-socket=live]").wait_for(state="attached")
    open_chat(teacher, "7Б — классный чат")
    write(teacher, "Завтра контрольная.")
    write(teacher, "Не забудьте калькулятор.")
    row = student.locator("[data-chat-list] li", has_text="7Б — классный чат")
    expect(row.get_by_label("Непрочитанных: 2")).to_be_visible()
    expect(row).to_contain_text("Ольга Орлова: Не забудьте калькулятор.")
    shot(student, "phone-1-chaty")
    row.get_by_role("link").click()
    expect(student.get_by_role("heading", name="7Б — классный чат", level=1)).to_be_visible()
    expect(messages(student, "Завтра контрольная.")).to_have_count(1)
    assert student.evaluate("document.documentElement.scrollWidth") <= 390
    shot(student, "phone-2-chat")
    write(student, "Поняла!")
    expect(messages(teacher, "Поняла!")).to_have_count(1)
    student.get_by_role("link", name="Назад к чатам").click()
    expect(student.locator("[data-chat-list] li", has_text="7Б — классный чат")).to_contain_text("Вы:")
    expect(student.locator("[data-chat-list] li", has_text="7Б").locator("[data-unread]")).to_be_hidden()


def test_a_student_cannot_find_a_student_of_another_school(parta: Parta, contexts: Any) -> None:
    student_phone, stranger_phone, classmate_phone = new_phone(), new_phone(), new_phone()
    make_schools(
        parta,
        [
            {
                "ref": "school-a",
                "name": "ГБОУ Школа № 7",
                "people": {
                    "student": person(student_phone, ["student"], "Лукьянова", "Диана", "Дмитриевна"),
                    "classmate": person(classmate_phone, ["student"], "Зайцев", "Максим", "Олегович"),
                },
            },
            {
                "ref": "school-b",
                "name": "ГБОУ Школа № 8",
                "people": {
                    "stranger": person(stranger_phone, ["student"], "Зайцева", "Вера", "Олеговна"),
                },
            },
        ],
    )
    student = contexts(PHONE)
    sign_in(student, parta, student_phone, "/people/")
    expect(student.get_by_role("heading", name="Контакты")).to_be_visible()
    student.get_by_label("Поиск по имени").fill("Зайцева")
    student.get_by_role("button", name="Найти").click()
    expect(student.get_by_text("Никого не нашлось.")).to_be_visible()
    expect(student.get_by_text("Зайцева Вера")).to_have_count(0)
    student.get_by_label("Поиск по имени").fill("зайцев")
    student.get_by_role("button", name="Найти").click()
    expect(student.get_by_text("Зайцев Максим Олегович")).to_be_visible()
    expect(student.get_by_text("Зайцева Вера")).to_have_count(0)
    shot(student, "phone-3-kontakty")
    # Writing to the classmate opens a direct chat.
    student.get_by_role("button", name="Написать").click()
    expect(student.get_by_role("heading", name="Зайцев Максим", level=1)).to_be_visible()
    write(student, "Привет! Что задали по алгебре?")
    expect(messages(student, "Что задали по алгебре?")).to_have_count(1)


def test_screens_on_a_desktop_and_a_phone(parta: Parta, contexts: Any) -> None:
    """«Новый чат» and the page for an account without an educational profile, on both screens."""
    teacher_phone = new_phone()
    make_schools(
        parta,
        [
            {
                "ref": "school-screens",
                "name": "ГБОУ Школа № 12",
                "people": {
                    "teacher": person(teacher_phone, ["teacher"], "Волкова", "Ирина", "Николаевна"),
                    "student": person(new_phone(), ["student"], "Кузнецов", "Артём", "Дмитриевич"),
                },
            }
        ],
    )
    desktop = contexts(DESKTOP)
    sign_in(desktop, parta, teacher_phone, "/chats/new/")
    expect(desktop.get_by_role("heading", name="Новый чат")).to_be_visible()
    desktop.get_by_label("Название чата").fill("Кружок робототехники")
    desktop.get_by_label("Тип чата").select_option(label="Другое")
    desktop.get_by_label("Кузнецов Артём Дмитриевич").check()
    shot(desktop, "4-novyi-chat")
    desktop.get_by_role("button", name="Создать чат").click()
    expect(desktop.get_by_role("heading", name="Кружок робототехники", level=1)).to_be_visible()
    desktop.set_viewport_size({"width": 390, "height": 844})
    shot(desktop, "phone-4-novyi-chat-sozdan")
    desktop.goto(parta.platform + "/people/")
    shot(desktop, "phone-5-kontakty-uchitel")


def test_the_page_works_before_the_script(parta: Parta, contexts: Any, tmp_path: Path) -> None:
    """Without JavaScript the composer is an ordinary form: it sends and comes back to the chat."""
    teacher_phone = new_phone()
    make_schools(
        parta,
        [
            {
                "ref": "school-nojs",
                "name": "ГБОУ Школа № 21",
                "people": {"teacher": person(teacher_phone, ["teacher"], "Белова", "Нина", "Юрьевна")},
                "chats": [
                    {
                        "ref": "staff",
                        "kind": "staff_room",
                        "title": "Учительская",
                        "members": [],
                        "admins": ["teacher"],
                    }
                ],
            }
        ],
    )
    page = contexts(DESKTOP)
    sign_in(page, parta, teacher_phone)
    page.context.route("**/static/messenger/messenger.js*", lambda route: route.abort())
    page.locator("[data-chat-list]").get_by_role("link", name="Учительская").click()
    page.get_by_label("Сообщение").fill("Педсовет в 15:00")
    page.get_by_role("button", name="Отправить").click()
    expect(messages(page, "Педсовет в 15:00")).to_have_count(1)
    assert "#m" in page.url


def test_an_account_without_a_profile_is_led_to_create_one_and_back(parta: Parta, contexts: Any) -> None:
    number = new_phone()
    page = contexts(PHONE)
    page.goto(parta.platform + "/")
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    page.get_by_label("Телефон или почта").fill(number)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_label("Введите код").fill(parta.latest_message(number, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    # Signed in, but the profile is not made yet: the messenger says what is missing and how to fix it.
    page.goto(parta.platform + "/")
    expect(page.get_by_role("heading", name="Нужен учебный профиль")).to_be_visible()
    shot(page, "phone-6-net-profilya")
    page.set_viewport_size({"width": 1280, "height": 860})
    shot(page, "5-net-profilya")
    page.get_by_role("link", name="Создать учебный профиль").click()
    page.get_by_role("button", name="Создать учебный профиль").click()
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    page.get_by_label("Имя", exact=True).fill("Мария")
    page.get_by_label("Фамилия").fill("Иванова")
    page.get_by_label("Отчество").fill("Петровна")
    page.get_by_label("День рождения").fill("1986-04-12")
    page.get_by_label("Пол").select_option(label="Женский")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Чаты", level=1)).to_be_visible()
    assert page.url == parta.platform + "/"
    expect(page.locator("[data-chat-list] .row-title", has_text="Сферум")).to_be_visible()


def test_older_history_comes_in_pages(parta: Parta, contexts: Any) -> None:
    parent_phone = new_phone()
    make_schools(
        parta,
        [
            {
                "ref": "school-history",
                "name": "ГБОУ Школа № 30",
                "people": {
                    "teacher": person(new_phone(), ["teacher"], "Морозова", "Дарья", "Игоревна"),
                    "parent": person(parent_phone, ["parent"], "Соколов", "Игорь", "Львович"),
                },
                "chats": [
                    {
                        "ref": "parents-3v",
                        "kind": "parents",
                        "title": "3В — родительский чат",
                        "members": ["parent"],
                        "admins": ["teacher"],
                        "history": 120,
                    }
                ],
            }
        ],
    )
    page = contexts(DESKTOP)
    sign_in(page, parta, parent_phone)
    open_chat(page, "3В — родительский чат")
    expect(messages(page, "Сообщение № 120")).to_be_visible()
    expect(page.locator(".message-list .msg")).to_have_count(50)
    page.get_by_role("link", name="Показать ранее").click()
    expect(page.locator(".message-list .msg")).to_have_count(100)
    # Scrolling to the top brings the rest by itself.
    page.locator("[data-messages]").evaluate("box => { box.scrollTop = 0; }")
    expect(page.locator(".message-list .msg")).to_have_count(120)
    expect(page.locator(".message-list").get_by_text("Сообщение № 1", exact=True)).to_have_count(1)
    expect(page.get_by_role("link", name="Показать ранее")).to_have_count(0)
    ids = page.locator(".message-list .msg").evaluate_all("items => items.map((i) => Number(i.dataset.id))")
    assert ids == sorted(ids)
    assert len(set(ids)) == 120
