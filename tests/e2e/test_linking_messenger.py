"""Manual 003 in a real browser across both real servers: linking confirmed in the messenger.

The journal asks for the phone («Авторизация в Сферум»: a wrong format gets the system message), sends the
request («Привязать учебный аккаунт Сферум» → the information message), and the person — signed in to
the messenger in a second browser context through the ID's screens with the dev outbox's code — answers
in the «Сферум» chat. «Подключить» → after a refresh the journal shows the «Сферум» section;
«Не подключать» → delivered by the platform's webhook worker → a clear message and the form again. Then
the «Видеоконференции» tab and «Расписание» → «Подключиться» before and after a lesson's start (the
platform's clock is moved with ``PARTA_CLOCK_OFFSET_FILE``). Screens: ``test-artifacts/messenger-*.png``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, Parta

pytestmark = pytest.mark.browser
PASSWORD = "parta-demo"
PHONE_FORMAT = "Неверный формат номера телефона. Введите номер в формате +7 (9XX) XXX-XX-XX."
NOT_YET = "Ссылка будет доступна в момент начала видеоконференции"
_numbers = itertools.count(1)
_logins = itertools.count(1)


def new_phone() -> str:
    """A number no other browser test uses: +7 999 500-00-NN."""
    return f"+799950000{next(_numbers):02d}"


def typed(phone: str) -> str:
    return f"+7 ({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:12]}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"messenger-{name}.png"), full_page=True)


def _cli(parta: Parta, side: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "parta.cli", side, *args],
        env=dict(parta.env, DJANGO_SETTINGS_MODULE=f"parta.sites.{side}.settings"),
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def journal_shell(parta: Parta, code: str) -> str:
    return _cli(parta, "journal", "shell", "--no-imports", "-c", code)


@pytest.fixture(scope="module")
def journal(parta: Parta) -> Parta:
    """The journal registered as ``demo-journal`` with its webhook endpoint, as ``make demo`` does."""
    var = Path(parta.env["PARTA_VAR_DIR"])
    _cli(
        parta,
        "platform",
        "register_journal",
        "--client-id",
        "demo-journal",
        "--name",
        "БАРС.Электронная школа",
        "--redirect-uri",
        f"{parta.journal}/integration/callback/",
        "--post-logout-redirect-uri",
        f"{parta.journal}/",
        "--credentials-file",
        str(var / "demo-journal-client.json"),
        "-v",
        "0",
    )
    output = _cli(
        parta, "platform", "webhook_endpoint", "demo-journal", f"{parta.journal}/integration/webhooks/sphere/"
    )
    secret = output.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    # Where the journal reads it by default (PARTA_INTEGRATION_WEBHOOK_SECRET_FILE under PARTA_VAR_DIR).
    (var / "demo-journal-webhook-secret").write_text(secret + "\n")
    return parta


def deliver_webhooks(parta: Parta) -> None:
    """One pass of the platform's task worker (``make demo`` runs it all the time)."""
    _cli(parta, "platform", "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0")


def parent_account(parta: Parta, child_phone: str = "") -> str:
    """A new journal account: a parent of a new pupil of the demo school (whose phone in the journal is
    ``child_phone``)."""
    username = f"e2e-msg-parent-{next(_logins)}"
    journal_shell(
        parta,
        "import datetime\n"
        "from parta.journal.models import *\n"
        "school = School.objects.order_by('pk').first()\n"
        "c = SchoolClass.objects.filter(school=school, year__is_current=True).order_by('grade').first()\n"
        "p = Person.objects.create(last_name='Кузнецова', first_name='Елена', middle_name='Сергеевна', "
        "birth_date=datetime.date(1987, 3, 2), gender='female')\n"
        "kid = Person.objects.create(last_name='Кузнецов', first_name='Артём', middle_name='Дмитриевич', "
        f"birth_date=datetime.date(2015, 5, 1), gender='male', phone={child_phone!r})\n"
        "Enrolment.objects.create(student=kid, school_class=c, begins_on=c.year.starts_on)\n"
        "Guardianship.objects.create(guardian=p, student=kid)\n"
        f"Account.objects.create_user({username!r}, {PASSWORD!r}, person=p)\n",
    )
    return username


def id_profile(parta: Parta, phone: str, last: str, first: str, middle: str) -> str:
    """An ID account of ``phone`` with an educational profile (registered on the platform МАХ); its sub."""
    output = parta.platform_shell(
        "import datetime\n"
        "from parta.identity.models import Account, EducationalProfile\n"
        f"a = Account.objects.create_user({phone!r})\n"
        f"p = EducationalProfile.objects.create(account=a, last_name={last!r}, first_name={first!r}, "
        f"middle_name={middle!r}, birth_date=datetime.date(1987, 3, 2), gender='female')\n"
        "print(p.sub)\n"
    )
    return output.strip().splitlines()[-1]


def sign_in_journal(page: Page, parta: Parta, username: str) -> None:
    page.goto(parta.journal + "/login/")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.get_by_role("link", name="Расписание", exact=True)).to_be_visible()


def sign_in_messenger(page: Page, parta: Parta, phone: str) -> None:
    """The messenger signed out: the ID's «Вход», the SMS code from the dev outbox, the profile step."""
    page.goto(parta.platform + "/")
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    page.get_by_label("Телефон или почта").fill(phone)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_label("Введите код").fill(parta.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    for _ in range(40):
        about = page.get_by_role("heading", name="Информация о себе")
        if page.url.split("#")[0] == parta.platform + "/" and not about.count():
            break
        choose = page.get_by_role("button", name="Продолжить в учебном профиле")
        if choose.count():
            choose.click()
        elif about.count():
            page.get_by_role("button", name="Продолжить", exact=True).click()
        else:
            page.wait_for_timeout(250)
    assert page.url.split("#")[0] == parta.platform + "/", page.url


def messenger(browser: Browser) -> Page:
    """A second browser context: the person's messenger, apart from the journal's session."""
    context = browser.new_context(
        locale="ru-RU", timezone_id="Europe/Moscow", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def request_in_the_chat(page: Page) -> Any:
    """Manual 003: «вкладка «Сферум»», the chat of the Сферум community, the request with its buttons."""
    page.locator("[data-chat-list]").get_by_role("link", name="Сферум").first.click()
    expect(page.locator("[data-chat-view]")).to_be_visible()
    return page.locator(".msg", has_text="просит подключить ваш учебный профиль").last


def send_request(page: Page, phone: str) -> None:
    page.get_by_label("Номер телефона").fill(typed(phone))
    page.get_by_role("button", name="Привязать учебный аккаунт Сферум").click()
    expect(page.get_by_text("Запрос на привязку отправлен.")).to_be_visible()
    expect(page.get_by_text("Запрос на привязку ждёт подтверждения в мессенджере.")).to_be_visible()


def test_manual_003_wrong_format_then_confirmed_in_the_messenger(
    page: Page, journal: Parta, browser: Browser
) -> None:
    username = parent_account(journal)
    phone = new_phone()
    id_profile(journal, phone, "Кузнецова", "Елена", "Сергеевна")
    sign_in_journal(page, journal, username)
    page.get_by_role("link", name="Чаты Сферум").click()
    expect(page.get_by_role("heading", name="Мессенджер не подключен")).to_be_visible()
    expect(page.get_by_role("heading", name="Авторизация в Сферум")).to_be_visible()
    shot(page, "1-avtorizaciya")

    # Примечание 2: the format is checked on «Привязать учебный аккаунт Сферум».
    page.get_by_label("Номер телефона").fill("+7 (495) 123-45-67")
    page.get_by_role("button", name="Привязать учебный аккаунт Сферум").click()
    expect(page.get_by_role("alert").filter(has_text=PHONE_FORMAT)).to_be_visible()
    expect(page.get_by_label("Номер телефона")).to_have_value("+7 (495) 123-45-67")
    shot(page, "2-format")
    # The mask: digits typed one by one become +7 (9XX) XXX-XX-XX.
    field = page.get_by_label("Номер телефона")
    field.fill("")
    field.press_sequentially(phone[2:])
    expect(field).to_have_value(typed(phone))

    page.get_by_role("button", name="Привязать учебный аккаунт Сферум").click()
    expect(page.get_by_text("Запрос на привязку отправлен.")).to_be_visible()
    expect(page.get_by_text("Запрос на привязку ждёт подтверждения в мессенджере.")).to_be_visible()
    expect(page.get_by_text(f"+7 {phone[2:5]} ***-**-{phone[10:12]}")).to_be_visible()
    shot(page, "3-informacionnoe-soobshchenie")

    chat = messenger(browser)
    try:
        sign_in_messenger(chat, journal, phone)
        request = request_in_the_chat(chat)
        expect(request).to_contain_text("Учётная запись: Кузнецова Елена Сергеевна")
        expect(request.get_by_role("button", name="Не подключать")).to_be_visible()
        shot(chat, "4-zapros-v-chate")
        request.get_by_role("button", name="Подключить", exact=True).click()
        expect(request).to_contain_text("Готово: учебный профиль подключён")
        shot(chat, "5-podklyucheno")
    finally:
        chat.context.close()

    page.reload()  # «вернитесь в ЭШ и обновите страницу web-браузера»
    expect(page.get_by_role("heading", name="Сферум", exact=True)).to_be_visible()
    expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value(
        f"+7({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:12]}"
    )
    expect(page.get_by_role("link", name="Перейти в Сферум")).to_be_visible()
    expect(page.get_by_role("link", name="Отвязать учетную запись")).to_be_visible()
    for header in ("Наименование", "Тип", "Количество участников", "Администратор чата", "Предмет"):
        expect(page.get_by_role("columnheader", name=header)).to_be_visible()
    shot(page, "6-razdel-sferum")

    # The webhook link_request.confirmed arrives afterwards and changes nothing twice.
    deliver_webhooks(journal)
    out = journal_shell(
        journal,
        "from parta.integration.models import Binding, ReceivedWebhook\n"
        f"print(Binding.objects.filter(account__username={username!r}, state='active').count(),"
        " ReceivedWebhook.objects.filter(type='link_request.confirmed').count())\n",
    )
    active, received = out.split()
    assert active == "1"
    assert int(received) >= 1


def test_manual_003_the_childs_number_is_refused_then_ones_own_is_asked(page: Page, journal: Parta) -> None:
    child, own = new_phone(), new_phone()
    username = parent_account(journal, child_phone=child)
    id_profile(journal, own, "Кузнецова", "Елена", "Сергеевна")
    sign_in_journal(page, journal, username)
    page.get_by_role("link", name="Чаты Сферум").click()
    page.get_by_label("Номер телефона").fill(typed(child))
    page.get_by_role("button", name="Привязать учебный аккаунт Сферум").click()
    refusal = page.get_by_role("alert").filter(has_text="Это номер телефона вашего ребёнка (Кузнецов Артём")
    expect(refusal).to_contain_text("укажите свой номер телефона")
    shot(page, "nomer-rebyonka")
    page.get_by_label("Номер телефона").fill(typed(own))
    page.get_by_role("button", name="Привязать учебный аккаунт Сферум").click()
    expect(page.get_by_text("Запрос на привязку отправлен.")).to_be_visible()


def test_manual_003_declined_in_the_messenger_then_try_again(
    page: Page, journal: Parta, browser: Browser
) -> None:
    username = parent_account(journal)
    phone = new_phone()
    id_profile(journal, phone, "Кузнецова", "Елена", "Сергеевна")
    sign_in_journal(page, journal, username)
    page.goto(journal.journal + "/integration/")
    send_request(page, phone)

    chat = messenger(browser)
    try:
        sign_in_messenger(chat, journal, phone)
        request = request_in_the_chat(chat)
        request.get_by_role("button", name="Не подключать").click()
        expect(request).to_contain_text("Вы отказались")
    finally:
        chat.context.close()

    # This time the outcome comes by the platform's signed webhook, before the page asks.
    deliver_webhooks(journal)
    state = journal_shell(
        journal,
        "from parta.integration.models import MessengerLinkRequest\n"
        f"r = MessengerLinkRequest.objects.filter(account__username={username!r}).get()\n"
        "print(r.state, r.decided_by)\n",
    )
    assert state.split() == ["declined", "webhook"]

    page.reload()
    expect(
        page.get_by_role("alert").filter(has_text="в мессенджере нажата кнопка «Не подключать»")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Мессенджер не подключен")).to_be_visible()
    expect(page.get_by_label("Номер телефона")).to_have_value(typed(phone))
    shot(page, "7-ne-podklyuchat")
    page.get_by_role("button", name="Привязать учебный аккаунт Сферум").click()  # try again
    expect(page.get_by_text("Запрос на привязку ждёт подтверждения в мессенджере.")).to_be_visible()


def test_manual_003_no_account_on_that_phone(page: Page, journal: Parta) -> None:
    username = parent_account(journal)
    sign_in_journal(page, journal, username)
    page.goto(journal.journal + "/integration/")
    page.get_by_label("Номер телефона").fill(typed(new_phone()))
    page.get_by_role("button", name="Привязать учебный аккаунт Сферум").click()
    expect(page.get_by_text("нет учебного профиля «Сферум» с этим номером телефона")).to_be_visible()
    expect(page.get_by_role("button", name="Привязать учебный аккаунт Сферум")).to_be_visible()


# --- «Видеоконференции» and «Расписание» → «Подключиться» ------------------------------------------------


def api_call(parta: Parta, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """API v1 with the demo journal's token (from the credentials file ``register_journal`` wrote)."""
    credentials = json.loads((Path(parta.env["PARTA_VAR_DIR"]) / "demo-journal-client.json").read_text())
    request = urllib.request.Request(  # noqa: S310 -- loopback
        parta.platform + "/api/v1" + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {credentials['api_token']}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 -- loopback
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


STUDENT = """
import datetime, json
from django.utils import timezone
from parta.journal.models import *
school = School.objects.order_by('pk').first()
c = SchoolClass.objects.filter(school=school, year__is_current=True).order_by('grade').first()
kid = Person.objects.create(last_name='Лукин', first_name='Игорь', middle_name='Петрович',
                            birth_date=datetime.date(2015, 2, 1), gender='male')
Enrolment.objects.create(student=kid, school_class=c, begins_on=c.year.starts_on)
account = Account.objects.create_user({username!r}, {password!r}, person=kid)
subject, _ = Subject.objects.get_or_create(name='Алгебра')
lesson = Lesson.objects.create(date=timezone.localdate(), number=7, starts_at=datetime.time(15, 0),
                               ends_at=datetime.time(15, 45), school_class=c, subject=subject, online=True)
print(json.dumps({{"account": account.pk, "school": school.sourced_id, "school_name": school.name,
                  "lesson": lesson.sourced_id, "class": c.title}}))
"""


def test_conferences_tab_and_schedule_closed_before_the_start_and_open_after(
    page: Page, journal: Parta
) -> None:
    clock = Path(journal.env["PARTA_CLOCK_OFFSET_FILE"])
    username = f"e2e-msg-student-{next(_logins)}"
    made = json.loads(
        journal_shell(journal, STUDENT.format(username=username, password=PASSWORD)).strip().splitlines()[-1]
    )
    phone = new_phone()
    sub = id_profile(journal, phone, "Лукин", "Игорь", "Петрович")
    assert api_call(journal, "PUT", f"/orgs/{made['school']}", {"name": made["school_name"]})[0] in (200, 201)
    status, link = api_call(
        journal,
        "POST",
        "/links",
        {
            "profile_sub": sub,
            "org_ref": made["school"],
            "journal_account_ref": str(made["account"]),
            "roles": ["student"],
        },
    )
    assert status == 201
    # The journal's side of the same link (what «Подключить» would have stored).
    journal_shell(
        journal,
        "from parta.integration.models import Binding\n"
        f"Binding.objects.create(account_id={made['account']}, role='student', org_ref={made['school']!r}, "
        f"profile_sub={sub!r}, profile_name='Лукин Игорь Петрович', phone={phone!r}, "
        f"link_id={str(link['id'])!r}, state='active')\n",
    )
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).replace(microsecond=0)
    status, _ = api_call(
        journal,
        "PUT",
        f"/orgs/{made['school']}/conferences/lesson-{made['lesson']}",  # as the roster sync names it
        {
            "title": f"Алгебра, {made['class']}",
            "kind": "lesson",
            "start": start.isoformat(),
            "end": (start + dt.timedelta(minutes=45)).isoformat(),
            "participants": [sub],
        },
    )
    assert status == 201

    try:
        sign_in_journal(page, journal, username)
        page.goto(journal.journal + "/integration/")
        page.get_by_role("link", name="Видеоконференции").click()
        row = page.locator(f'[data-conference="lesson-{made["lesson"]}"]')
        expect(row).to_contain_text(f"Алгебра, {made['class']}")
        expect(row).to_contain_text("Онлайн-урок")
        expect(row).to_contain_text(NOT_YET)
        expect(row.get_by_role("link", name="Перейти")).to_have_count(0)
        for header in ("Наименование", "Тип", "Время", "Ссылка"):
            expect(page.get_by_role("columnheader", name=header)).to_be_visible()
        shot(page, "8-videokonferencii-do-nachala")

        page.get_by_role("link", name="Расписание", exact=True).click()
        lesson = page.locator(f'[data-lesson="{made["lesson"]}"]')
        expect(lesson).to_contain_text(NOT_YET)
        expect(lesson.get_by_role("link", name="Подключиться")).to_have_count(0)

        clock.write_text(str(2 * 3600))  # two hours later on the platform: the lesson has begun
        page.reload()
        join = lesson.get_by_role("link", name="Подключиться")
        expect(join).to_be_visible()
        href = join.get_attribute("href") or ""
        assert href.startswith(journal.platform + "/calls/")
        shot(page, "9-raspisanie-podklyuchitsya")

        page.goto(journal.journal + "/integration/?tab=conferences")
        go = page.locator(f'[data-conference="lesson-{made["lesson"]}"]').get_by_role("link", name="Перейти")
        expect(go).to_be_visible()
        assert go.get_attribute("href") == href
        shot(page, "10-videokonferencii-idet")
    finally:
        clock.write_text("0")


def test_phone_sized_screen_shows_the_form_and_the_message(phone: Page, journal: Parta) -> None:
    username = parent_account(journal)
    sign_in_journal(phone, journal, username)
    phone.goto(journal.journal + "/integration/")
    phone.get_by_label("Номер телефона").fill("12345")
    phone.get_by_role("button", name="Привязать учебный аккаунт Сферум").click()
    expect(phone.get_by_role("alert").filter(has_text=PHONE_FORMAT)).to_be_visible()
    shot(phone, "11-telefon")
