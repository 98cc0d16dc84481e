"""Manual 003's link requests: the journal asks over API v1, the bot asks the person in the «Сферум»
chat, «Подключить» registers the membership as POST /links does, every outcome reaches the journal by
webhook — and each button pressed twice acts once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from parta.messenger.actions import community_chat_of
from parta.messenger.actions.webhooks import endpoint_set
from parta.messenger.models import Link, LinkRequest, Membership, Message, WebhookEvent
from parta.messenger.tests import factories
from parta.messenger.tests.apiclient import Journal, journal

pytestmark = pytest.mark.django_db

PHONE = "+79521112233"


@pytest.fixture
def bars(db: None) -> Journal:
    j = journal("БАРС.Электронная школа")
    assert j.put("/orgs/school-1", {"name": "ГБОУ Школа № 1"}).status_code == 201
    endpoint_set(client_id=j.client.pk, url="http://127.0.0.1:9/webhooks/")
    return j


@pytest.fixture
def parent(db: None) -> Any:
    return factories.profile(factories.account(PHONE), last="Кузнецова", first="Елена", middle="Сергеевна")


@pytest.fixture
def clock(settings: Any, tmp_path: Path) -> Any:
    path = tmp_path / "clock-offset"
    settings.PARTA_CLOCK_OFFSET_FILE = str(path)
    return lambda seconds: path.write_text(str(seconds))


def ask(j: Journal, phone: str = "+7 (952) 111-22-33", **changes: Any) -> Any:
    body = {
        "phone": phone,
        "org_ref": "school-1",
        "journal_account_ref": "bars-parent-17",
        "name": "Кузнецова Елена Сергеевна",
        "roles": ["parent"],
    }
    body.update(changes)
    return j.post("/link-requests", body)


def signed_in(profile: Any) -> Client:
    client = Client()
    client.force_login(profile.account)
    return client


def press(profile: Any, label: str) -> Any:
    """Open the «Сферум» chat and press the button ``label`` of the newest request, as the page would."""
    client = signed_in(profile)
    page = client.get(f"/chats/{community_chat_of(profile=profile).pk}/").content.decode()
    found = {b: a for a, b in re.findall(r'name="token" value="([^"]+)"[^>]*>([^<]+)</button>', page)}
    return client, found


def events(kind: str) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(type=kind))


def test_the_bot_asks_the_owner_of_the_phone_in_the_sferum_chat(bars: Journal, parent: Any) -> None:
    response = ask(bars)
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "pending"
    assert body["phone"] == PHONE
    assert body["profile_sub"] is None
    message = Message.objects.get(chat=community_chat_of(profile=parent))
    assert message.author_id is None
    assert "«БАРС.Электронная школа» просит подключить ваш учебный профиль" in message.text
    assert "Кузнецова Елена Сергеевна" in message.text
    assert "ГБОУ Школа № 1" in message.text
    assert "Роль: родитель" in message.text
    _client, buttons = press(parent, "Подключить")
    assert list(buttons) == ["Подключить", "Не подключать"]

    # Asking again while it waits returns the same request, and the bot does not ask twice.
    again = ask(bars, phone="89521112233")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Message.objects.filter(chat=community_chat_of(profile=parent)).count() == 1


def test_podkluchit_pressed_twice_links_once_and_tells_the_journal_once(bars: Journal, parent: Any) -> None:
    request_id = ask(bars).json()["id"]
    client, buttons = press(parent, "Подключить")
    for _ in range(2):
        answered = client.post(
            "/bot/answer/", {"token": buttons["Подключить"]}, headers={"Accept": "application/json"}
        )
        assert answered.status_code == 200
    html = answered.json()["message"]["html"]
    assert "Готово: учебный профиль подключён к «БАРС.Электронная школа» (ГБОУ Школа № 1)." in html
    assert "Подключить</button>" not in html
    # The other button, pressed afterwards, does nothing either.
    late = client.post(
        "/bot/answer/", {"token": buttons["Не подключать"]}, headers={"Accept": "application/json"}
    )
    assert late.json()["acted"] is False

    link = Link.objects.get()
    assert link.profile_id == parent.pk
    assert link.journal_account_ref == "bars-parent-17"
    assert Membership.objects.get(profile_id=parent.pk).roles == {"parent"}
    state = bars.get(f"/link-requests/{request_id}").json()
    assert state["state"] == "confirmed"
    assert state["profile_sub"] == str(parent.sub)
    assert state["link_id"] == link.pk
    # The journal's own view of the link is the same as after POST /links.
    assert bars.get("/links?journal_account_ref=bars-parent-17").json()[0]["id"] == link.pk
    sent = events("link_request.confirmed")
    assert len(sent) == 1
    assert sent[0].data["id"] == request_id
    assert sent[0].data["profile_sub"] == str(parent.sub)
    assert not events("link_request.declined")


def test_ne_podkluchat_pressed_twice_declines_once(bars: Journal, parent: Any) -> None:
    request_id = ask(bars).json()["id"]
    client, buttons = press(parent, "Не подключать")
    for _ in range(2):
        client.post("/bot/answer/", {"token": buttons["Не подключать"]})
    client.post("/bot/answer/", {"token": buttons["Подключить"]})
    assert bars.get(f"/link-requests/{request_id}").json()["state"] == "declined"
    assert not Link.objects.exists()
    assert not Membership.objects.filter(profile_id=parent.pk).exists()
    assert len(events("link_request.declined")) == 1
    assert not events("link_request.confirmed")
    page = signed_in(parent).get(f"/chats/{community_chat_of(profile=parent).pk}/").content.decode()
    assert "Вы отказались: учебный профиль не подключён" in page
    assert 'name="token"' not in page


def test_a_phone_without_an_educational_profile_is_no_account(bars: Journal) -> None:
    factories.account("+79530000001")  # an ID account, but no educational profile
    for phone in ("+79530000001", "+79530000002"):
        response = ask(bars, phone=phone)
        assert response.status_code == 201
        assert response.json()["state"] == "no_account"
    assert not Message.objects.exists()


def test_an_unanswered_request_expires_and_the_journal_is_told(
    bars: Journal, parent: Any, clock: Any, settings: Any
) -> None:
    settings.PARTA_MESSENGER_LINK_REQUEST_SECONDS = 600
    request_id = ask(bars).json()["id"]
    _client, buttons = press(parent, "Подключить")
    clock(601)
    assert bars.get(f"/link-requests/{request_id}").json()["state"] == "expired"
    assert len(events("link_request.expired")) == 1
    client = signed_in(parent)
    client.post("/bot/answer/", {"token": buttons["Подключить"]})
    assert not Link.objects.exists()
    page = client.get(f"/chats/{community_chat_of(profile=parent).pk}/").content.decode()
    assert "больше не действует: срок ответа истёк" in page
    # A new request may be made after expiry.
    assert ask(bars).json()["id"] != request_id


@pytest.mark.django_db(transaction=True)
def test_the_task_workers_expire_unanswered_requests_by_themselves(
    bars: Journal, parent: Any, clock: Any, settings: Any
) -> None:
    """Nobody asks about the request and nobody runs a command: a task worker (started as ``make demo``
    does) closes it on the platform's schedule, and the journal is told ``link_request.expired``."""
    assert "messenger.bot_expire" in settings.PARTA_PERIODIC_TASKS
    settings.PARTA_MESSENGER_LINK_REQUEST_SECONDS = 600
    request_id = ask(bars).json()["id"]
    clock(601)
    call_command(
        "tasks_worker", "--batch", "--no-reload", "--no-startup-delay", "--processes", "1", verbosity=0
    )
    assert LinkRequest.objects.get(uuid=request_id).state == "expired"
    assert [e.data["id"] for e in events("link_request.expired")] == [request_id]
    page = signed_in(parent).get(f"/chats/{community_chat_of(profile=parent).pk}/").content.decode()
    assert "больше не действует: срок ответа истёк" in page
    assert 'name="token"' not in page


def test_refusals_are_clear_and_another_journal_sees_nothing(bars: Journal, parent: Any) -> None:
    bad_phone = ask(bars, phone="12345")
    assert bad_phone.status_code == 400
    assert "+7 (9XX) XXX-XX-XX" in bad_phone.json()["detail"] or "номер" in bad_phone.json()["detail"]
    assert ask(bars, org_ref="nope").status_code == 404
    assert ask(bars, roles=["director"]).status_code == 422
    # A string PostgreSQL cannot store (NUL) is the journal's error, named by field, never a 500.
    nul = ask(bars, org_ref="school\u00001")
    assert nul.status_code == 422
    assert "org_ref" in nul.json()["detail"]
    assert ask(bars, name="Кузнецова\u0000").status_code == 422
    assert not LinkRequest.objects.exists()

    request_id = ask(bars).json()["id"]
    mesh = journal("МЭШ")
    assert mesh.get(f"/link-requests/{request_id}").status_code == 404
    assert (
        mesh.post(
            "/link-requests",
            {
                "phone": PHONE,
                "org_ref": "school-1",
                "journal_account_ref": "x",
                "name": "x",
                "roles": ["parent"],
            },
        ).status_code
        == 404
    )
    assert bars.get("/link-requests/00000000-0000-0000-0000-000000000000").status_code == 404


def test_a_conflicting_link_is_refused_to_the_person_and_the_request_stays(
    bars: Journal, parent: Any
) -> None:
    other = factories.profile(first="Олег")
    bars.link(
        other, "school-1", "bars-parent-17", "parent"
    )  # the journal account is linked to another profile
    request_id = ask(bars).json()["id"]
    client, buttons = press(parent, "Подключить")
    refused = client.post(
        "/bot/answer/", {"token": buttons["Подключить"]}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 400
    assert "уже связана с другим учебным профилем" in refused.json()["error"]
    assert bars.get(f"/link-requests/{request_id}").json()["state"] == "pending"
