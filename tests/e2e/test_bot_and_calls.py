"""The community bot and «Звонки» in a real browser.

- Manual 003: a journal asks over API v1 to link a phone; the bot's request appears in the person's
  «Сферум» chat with «Подключить» / «Не подключать»; each button, pressed twice, acts once, and the
  buttons disappear — also, live, from a second tab of the same chat, and from a third one that was
  offline at that moment as soon as it is back online (the chat's ``message_updated`` and its catch-up).
- A conference's link is refused before its start and given after it: the servers' clock is moved with
  the file ``PARTA_CLOCK_OFFSET_FILE`` (parta/core/clock.py), never waited for.

The journal is registered in the platform's Django shell; everything else goes through API v1 over HTTP
and the pages. Screens are saved to ``test-artifacts/bot-*.png``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, JITSI_URL, Parta

pytestmark = pytest.mark.browser
_numbers = itertools.count(1)
_journals = itertools.count(1)
NOT_STARTED = "Ссылка будет доступна в момент начала видеоконференции"


def new_phone() -> str:
    """A number no other browser test uses: +7 999 400-00-NN."""
    return f"+799940000{next(_numbers):02d}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"bot-{name}.png"), full_page=True)


SETUP = """
import datetime, json
from oauth2_provider.models import Application
from parta.identity.models import Account, EducationalProfile, JournalClient

spec = json.loads({spec!r})
application = Application.objects.create(
    name=spec["name"], client_id=spec["client"], client_type="confidential",
    authorization_grant_type="authorization-code", redirect_uris="http://127.0.0.1/cb/", algorithm="RS256")
JournalClient.objects.create(application=application, display_name=spec["name"],
                             api_token_digest=spec["digest"])
subs = {{}}
for phone, (last, first, middle) in spec["people"].items():
    account = Account.objects.create_user(phone)
    profile = EducationalProfile.objects.create(account=account, last_name=last, first_name=first,
        middle_name=middle, birth_date=datetime.date(1985, 3, 1), gender="female")
    subs[phone] = str(profile.sub)
print(json.dumps(subs))
"""


class Api:
    """A journal calling the platform's API v1 with its bearer token."""

    def __init__(self, parta: Parta, people: dict[str, tuple[str, str, str]]) -> None:
        self.base = parta.platform + "/api/v1"
        self.token = "pj_" + secrets.token_urlsafe(24)
        spec = {
            "name": "БАРС.Электронная школа",
            "client": f"e2e-bot-{next(_journals)}-{secrets.token_hex(3)}",
            "digest": hashlib.sha256(self.token.encode()).hexdigest(),
            "people": people,
        }
        output = parta.platform_shell(SETUP.format(spec=json.dumps(spec)))
        self.subs: dict[str, str] = json.loads(output.strip().splitlines()[-1])

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 -- loopback
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 -- loopback
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def sign_in(page: Page, parta: Parta, phone: str, path: str = "/") -> None:
    """A messenger page signed out: the ID's «Вход», the SMS code from the outbox, the profile step, back."""
    page.goto(parta.platform + path)
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    page.get_by_label("Телефон или почта").fill(phone)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.get_by_label("Введите код").fill(parta.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    # The ID's profile steps, whichever of them it shows, until the messenger's page is back.
    for _ in range(40):
        about = page.get_by_role("heading", name="Информация о себе")
        if page.url.split("#")[0] == parta.platform + path and not about.count():
            break
        choose = page.get_by_role("button", name="Продолжить в учебном профиле")
        if choose.count():
            choose.click()
        elif about.count():
            page.get_by_role("button", name="Продолжить", exact=True).click()
        else:
            page.wait_for_timeout(250)
    assert page.url.split("#")[0] == parta.platform + path, page.url


def open_sferum_chat(page: Page) -> None:
    page.locator("[data-chat-list]").get_by_role("link", name="Сферум").first.click()
    expect(page.locator("[data-chat-view]")).to_be_visible()


def press_again(page: Page, token: str) -> dict[str, Any]:
    """The same button's callback posted once more, as a double click or a second tab would."""
    response = page.request.post(
        page.url.split("/chats/")[0] + "/bot/answer/",
        form={"token": token},
        headers={"Accept": "application/json"},
    )
    assert response.status == 200
    return dict(response.json())


def test_bot_request_answered_with_each_button_pressed_twice(page: Page, parta: Parta) -> None:
    phone = new_phone()
    api = Api(parta, {phone: ("Кузнецова", "Елена", "Сергеевна")})
    assert api.call("PUT", "/orgs/school-7", {"name": "ГБОУ Школа № 7"})[0] == 201
    asked = {
        "phone": f"+7 ({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:12]}",
        "org_ref": "school-7",
        "journal_account_ref": "bars-parent-1",
        "name": "Кузнецова Елена Сергеевна",
        "roles": ["parent"],
    }
    status, first = api.call("POST", "/link-requests", asked)
    assert status == 201
    assert first["state"] == "pending"

    sign_in(page, parta, phone)
    open_sferum_chat(page)
    request = page.locator(".msg", has_text="просит подключить ваш учебный профиль").last
    expect(request).to_contain_text("Учётная запись: Кузнецова Елена Сергеевна")
    expect(request).to_contain_text("Организация: ГБОУ Школа № 7")
    connect = request.get_by_role("button", name="Подключить", exact=True)
    expect(connect).to_be_visible()
    expect(request.get_by_role("button", name="Не подключать")).to_be_visible()
    shot(page, "1-zapros")

    # A second tab of the same chat, open while the person answers in the first…
    other = page.context.new_page()
    other.goto(page.url)
    other_request = other.locator(".msg", has_text="просит подключить ваш учебный профиль").last
    expect(other_request.get_by_role("button", name="Подключить", exact=True)).to_be_visible()
    expect(other.locator("body")).to_have_attribute("data-socket", "live")
    # … and a third one (another window of the same session) that is offline at that moment.
    browser = page.context.browser
    assert browser is not None
    away_window = browser.new_context(storage_state=page.context.storage_state())
    away = away_window.new_page()
    away.goto(page.url)
    away_request = away.locator(".msg", has_text="просит подключить ваш учебный профиль").last
    expect(away_request.get_by_role("button", name="Подключить", exact=True)).to_be_visible()
    expect(away.locator("body")).to_have_attribute("data-socket", "live")
    away_window.set_offline(True)
    expect(away.locator("body")).to_have_attribute("data-socket", "closed")

    token = connect.get_attribute("value")
    assert token
    connect.dblclick()
    expect(request).to_contain_text("Готово: учебный профиль подключён к «БАРС.Электронная школа»")
    expect(request.get_by_role("button")).to_have_count(0)
    # The other tab loses its buttons live, without a reload.
    expect(other_request).to_contain_text("Готово: учебный профиль подключён")
    expect(other_request.get_by_role("button")).to_have_count(0)
    assert press_again(page, token)["acted"] is False
    shot(page, "2-podklyuchit")
    other.close()
    # The offline one still shows the buttons; back online, it catches up without a reload.
    expect(away_request.get_by_role("button", name="Подключить", exact=True)).to_be_visible()
    away_window.set_offline(False)
    expect(away_request).to_contain_text("Готово: учебный профиль подключён")
    expect(away_request.get_by_role("button")).to_have_count(0)
    away.screenshot(path=str(ARTIFACTS / "bot-3-posle-otklyucheniya.png"), full_page=True)
    away_window.close()

    assert api.call("GET", f"/link-requests/{first['id']}")[1]["state"] == "confirmed"
    status, links = api.call("GET", "/links?journal_account_ref=bars-parent-1")
    assert status == 200
    assert len(links) == 1
    assert links[0]["profile_sub"] == api.subs[phone]

    # A second request (another school of the journal) answered «Не подключать», twice.
    assert api.call("PUT", "/orgs/school-8", {"name": "ГБОУ Школа № 8"})[0] == 201
    status, second = api.call("POST", "/link-requests", dict(asked, org_ref="school-8"))
    assert status == 201
    page.reload()
    request = page.locator(".msg", has_text="Организация: ГБОУ Школа № 8").last
    decline = request.get_by_role("button", name="Не подключать")
    token = decline.get_attribute("value")
    assert token
    decline.dblclick()
    expect(request).to_contain_text("Вы отказались: учебный профиль не подключён")
    expect(request.get_by_role("button")).to_have_count(0)
    assert press_again(page, token)["acted"] is False
    assert api.call("GET", f"/link-requests/{second['id']}")[1]["state"] == "declined"
    assert len(api.call("GET", "/links?journal_account_ref=bars-parent-1")[1]) == 1
    # After a reload the first request still shows its outcome and no buttons.
    page.reload()
    expect(page.get_by_role("button", name="Подключить", exact=True)).to_have_count(0)
    expect(page.get_by_text("Готово: учебный профиль подключён")).to_be_visible()
    shot(page, "3-ne-podklyuchat")


def test_conference_link_closed_before_the_start_and_open_after(page: Page, parta: Parta) -> None:
    clock = Path(parta.env["PARTA_CLOCK_OFFSET_FILE"])
    teacher, student = new_phone(), new_phone()
    api = Api(
        parta,
        {teacher: ("Смирнова", "Анна", "Петровна"), student: ("Кузнецов", "Артём", "Дмитриевич")},
    )
    assert api.call("PUT", "/orgs/school-9", {"name": "ГБОУ Школа № 9"})[0] == 201
    for phone, account, role in ((teacher, "t-1", "teacher"), (student, "s-1", "student")):
        body = {
            "profile_sub": api.subs[phone],
            "org_ref": "school-9",
            "journal_account_ref": account,
            "roles": [role],
        }
        assert api.call("POST", "/links", body)[0] == 201
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).replace(microsecond=0)
    status, _ = api.call(
        "PUT",
        "/orgs/school-9/conferences/algebra-1",
        {
            "title": "Алгебра, 5А",
            "kind": "lesson",
            "start": start.isoformat(),
            "end": (start + dt.timedelta(minutes=45)).isoformat(),
            "participants": [api.subs[student]],
            "organizer": api.subs[teacher],
        },
    )
    assert status == 201

    try:
        sign_in(page, parta, student, "/calls/")
        row = page.locator("[data-conference]", has_text="Алгебра, 5А")
        expect(row).to_contain_text("Онлайн-урок")
        expect(row).to_contain_text(NOT_STARTED)
        expect(row.get_by_role("link", name="Подключиться")).to_have_count(0)
        shot(page, "4-zvonki-do-nachala")
        uuid = row.get_attribute("data-conference")
        # The server refuses the link itself, not only the page.
        early = page.request.get(f"{parta.platform}/calls/{uuid}/join/", max_redirects=0)
        assert early.status == 403
        assert NOT_STARTED in early.text()
        (listed,) = api.call("GET", f"/profiles/{api.subs[student]}/conferences")[1]
        assert listed["join_open"] is False
        assert listed["join_url"] is None

        clock.write_text(str(2 * 3600))  # two hours later: the lesson has begun
        page.reload()
        join = row.get_by_role("link", name="Подключиться")
        expect(join).to_be_visible()
        shot(page, "5-zvonki-idet")
        page.route(
            f"{JITSI_URL}/**", lambda route: route.fulfill(body="<h1>Jitsi</h1>", content_type="text/html")
        )
        join.click()
        page.wait_for_url(f"{JITSI_URL}/**")
        assert f"{JITSI_URL}/parta-conf-{uuid}?jwt=" in page.url
        (listed,) = api.call("GET", f"/profiles/{api.subs[student]}/conferences")[1]
        assert listed["join_open"] is True
        assert listed["join_url"] == f"{parta.platform}/calls/{uuid}/join/"
    finally:
        clock.write_text("0")


def test_calls_on_a_phone_sized_screen(phone: Page, parta: Parta) -> None:
    number = new_phone()
    api = Api(parta, {number: ("Лукьянова", "Диана", "Дмитриевна")})
    assert api.call("PUT", "/orgs/school-10", {"name": "ГБОУ Школа № 10"})[0] == 201
    body = {
        "profile_sub": api.subs[number],
        "org_ref": "school-10",
        "journal_account_ref": "s-2",
        "roles": ["student"],
    }
    assert api.call("POST", "/links", body)[0] == 201
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)).replace(microsecond=0)
    api.call(
        "PUT",
        "/orgs/school-10/conferences/meeting-1",
        {
            "title": "Родительское собрание 5А",
            "kind": "meeting",
            "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=1)).isoformat(),
            "participants": [api.subs[number]],
        },
    )
    sign_in(phone, parta, number, "/calls/")
    row = phone.locator("[data-conference]", has_text="Родительское собрание 5А")
    expect(row).to_contain_text("Встреча")
    expect(row.get_by_role("link", name="Подключиться")).to_be_visible()  # within the 5-minute grace
    shot(phone, "6-zvonki-telefon")
