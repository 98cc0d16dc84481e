"""Linking confirmed in the messenger (manual 003) through the journal's pages, against a fake API v1 on a
real local socket: the phone's format, the request, the pending page, «Подключить» seen by the page's own
status check, «Не подключать», expiry, no account, and the platform down."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from parta.integration.actions.errors import LinkError
from parta.integration.actions.link_requests import PHONE_FORMAT, phone_check
from parta.integration.models import Binding, BindingEvent, BindingState, MessengerLinkRequest
from parta.integration.tasks import integration_repair_task
from parta.integration.tests.conftest import signed_in
from parta.integration.tests.fakes import FakePlatform
from parta.integration.tests.test_webhooks_in import SECRET, deliver

pytestmark = pytest.mark.django_db

PHONE = "+7 (952) 111-22-33"
E164 = "+79521112233"
SUB = "6f1c2d9e-5a1b-4c1d-8e1f-000000000003"


@pytest.mark.parametrize(
    "typed",
    ["+7 (952) 111-22-33", "+79521112233", "8 952 111 22 33", "9521112233", " +7 (952) 111-22-33 "],
)
def test_phone_in_the_mask_or_its_digits_is_accepted(typed: str) -> None:
    assert phone_check(typed) == E164


@pytest.mark.parametrize(
    "typed",
    ["", "+7 (", "+7 (952) 111-22", "+7 (495) 123-45-67", "+1 (952) 111-22-33", "телефон", "952-11-22"],
)
def test_anything_else_is_the_system_message(typed: str) -> None:
    with pytest.raises(LinkError) as refused:
        phone_check(typed)
    assert str(refused.value) == PHONE_FORMAT


def test_wrong_format_shows_the_message_keeps_the_number_and_asks_nobody(
    client: Client, platform: FakePlatform, school_day
) -> None:
    signed_in(client, "mother")
    page = client.post("/integration/messenger/", {"phone": "+7 (495) 123-45-67"})
    assert page.status_code == 400
    text = page.content.decode()
    assert PHONE_FORMAT in text
    assert 'value="+7 (495) 123-45-67"' in text  # what was typed is not lost
    assert "Мессенджер не подключен" in text
    assert platform.requests == []
    assert not MessengerLinkRequest.objects.exists()


def test_the_page_offers_the_phone_form(client: Client, platform: FakePlatform, school_day) -> None:
    signed_in(client, "mother")
    text = client.get("/integration/").content.decode()
    assert "Авторизация в Сферум" in text
    assert "Привязать учебный аккаунт Сферум" in text
    assert 'placeholder="+7 (9XX) XXX-XX-XX"' in text
    assert "Перейти к подключению" in text  # the demo offers both methods


def test_request_then_confirmed_in_the_messenger_then_refresh_shows_the_section(
    client: Client, platform: FakePlatform, school_day
) -> None:
    platform.phones_with_profile[E164] = SUB
    signed_in(client, "mother")
    sent = client.post("/integration/messenger/", {"phone": PHONE}, follow=True)
    text = sent.content.decode()
    assert "Запрос на привязку отправлен" in text
    assert "вкладке «Сферум»" in text
    assert "Запрос на привязку ждёт подтверждения в мессенджере." in text
    assert "+7 952 ***-**-33" in text
    (asked,) = platform.link_requests.values()
    school_ref = school_day["school"].sourced_id
    assert asked["phone"] == E164
    assert asked["org_ref"] == school_ref
    assert asked["roles"] == ["parent"]
    assert asked["name"].startswith("Кузнецова Елена")  # the journal's name of the account
    assert platform.orgs == {school_ref: "Школа № 1"}
    request = MessengerLinkRequest.objects.get()
    assert (request.state, request.phone, request.roles) == ("pending", E164, ["parent"])
    assert not Binding.objects.exists()

    # Asking again with the same number while it waits asks nobody twice.
    client.post("/integration/messenger/", {"phone": PHONE})
    assert len(platform.link_requests) == 1

    platform.link_request_answer(asked["id"], "confirmed")  # «Подключить» in the «Сферум» chat
    page = client.get("/integration/").content.decode()  # «обновите страницу»
    assert "Телефон, привязанный к Сферум" in page
    assert 'value="+7(952) 111-22-33"' in page
    binding = Binding.objects.get()
    assert (binding.state, binding.role, binding.profile_sub, binding.org_ref) == (
        BindingState.ACTIVE,
        "parent",
        SUB,
        school_ref,
    )
    assert binding.link_id in platform.links
    request.refresh_from_db()
    assert (request.state, request.decided_by) == ("confirmed", "status")
    kinds = list(BindingEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["link_started", "linked"]
    # Unlinking works as for a binding made through the ID.
    client.post("/integration/unlink/", {"action": "unlink"})
    assert Binding.objects.get().state == BindingState.ENDED
    assert binding.link_id not in platform.links


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        ("declined", "в мессенджере нажата кнопка «Не подключать»"),
        ("expired", "Срок запроса на привязку истёк"),
    ],
)
def test_declined_or_expired_says_why_and_offers_to_try_again(
    client: Client, platform: FakePlatform, school_day, outcome: str, words: str
) -> None:
    platform.phones_with_profile[E164] = SUB
    signed_in(client, "mother")
    client.post("/integration/messenger/", {"phone": PHONE})
    (asked,) = platform.link_requests.values()
    platform.link_request_answer(asked["id"], outcome)
    text = client.get("/integration/").content.decode()
    assert words in text
    assert "Мессенджер не подключен" in text
    assert "Привязать учебный аккаунт Сферум" in text  # the way to try again
    assert 'value="+7 (952) 111-22-33"' in text
    assert not Binding.objects.exists()
    assert MessengerLinkRequest.objects.get().state == outcome
    assert BindingEvent.objects.filter(kind="link_refused", detail__reason=outcome).exists()

    client.post("/integration/messenger/", {"phone": PHONE})  # again
    assert len(platform.link_requests) == 2
    assert "ждёт подтверждения" in client.get("/integration/").content.decode()


def test_no_account_on_that_phone(client: Client, platform: FakePlatform, school_day) -> None:
    signed_in(client, "mother")
    page = client.post("/integration/messenger/", {"phone": PHONE}, follow=True).content.decode()
    assert "нет учебного профиля «Сферум» с этим номером телефона" in page
    assert "ждёт подтверждения" not in page
    assert "Привязать учебный аккаунт Сферум" in page
    assert MessengerLinkRequest.objects.get().state == "no_account"


def test_profile_already_bound_to_another_account_is_refused(
    client: Client, platform: FakePlatform, school_day, django_capture_on_commit_callbacks
) -> None:
    Binding.objects.create(
        account=school_day["teacher"],
        role="teacher",
        org_ref="x",
        profile_sub=SUB,
        link_id="1",
        state=BindingState.ACTIVE,
    )
    platform.phones_with_profile[E164] = SUB
    signed_in(client, "mother")
    client.post("/integration/messenger/", {"phone": PHONE})
    (asked,) = platform.link_requests.values()
    platform.link_request_answer(asked["id"], "confirmed")
    with django_capture_on_commit_callbacks(execute=True):
        text = client.get("/integration/").content.decode()
    assert "уже привязан к другой учётной записи журнала" in text
    assert not Binding.objects.filter(account=school_day["parent"], state__in=["pending", "active"]).exists()
    # Both sides or neither: the link the platform made on «Подключить» is deleted by the repair — queued
    # at once for the task worker, and by the periodic repair or the command too.
    queued = DBTaskResult.objects.filter(task_path="parta.integration.tasks.bindings_repair_task")
    assert [r.args_kwargs["args"] for r in queued] == [[school_day["parent"].pk]]
    assert integration_repair_task.call() == 1  # the periodic repair (the queued task does the same)
    mother_ref = str(school_day["parent"].pk)
    assert not [v for v in platform.links.values() if v["journal_account_ref"] == mother_ref]


def test_messenger_only_deployment_partners_connect_leads_to_the_phone_form(
    client: Client, platform: FakePlatform, school_day, settings
) -> None:
    settings.PARTA_INTEGRATION_LINKING = "messenger"
    signed_in(client, "mother")
    assert 'href="/integration/connect/"' in client.get("/settings/partners/").content.decode()
    landing = client.get("/integration/connect/", follow=True)
    assert landing.status_code == 200
    text = landing.content.decode()
    assert "Привязать учебный аккаунт Сферум" in text
    assert "Перейти к подключению" not in text  # the ID's entry points are hidden
    assert not [r for r in platform.requests if r[0] != "GET"]


@pytest.mark.parametrize(("whose", "account"), [("pupil", "mother"), ("mother", "pupil")])
def test_the_childs_or_parents_number_is_refused_before_anyone_is_asked(
    client: Client, platform: FakePlatform, school_day, whose: str, account: str
) -> None:
    school_day[whose].phone = E164
    school_day[whose].save(update_fields=["phone"])
    signed_in(client, account)
    page = client.post("/integration/messenger/", {"phone": PHONE}).content.decode()
    relative = "вашего ребёнка (Кузнецов Артём" if whose == "pupil" else "вашего родителя (Кузнецова Елена"
    assert f"Это номер телефона {relative}" in page
    assert "укажите свой номер телефона" in page
    assert not platform.link_requests
    assert not MessengerLinkRequest.objects.exists()


def test_a_number_the_family_shares_is_not_refused(
    client: Client, platform: FakePlatform, school_day
) -> None:
    for person in (school_day["pupil"], school_day["mother"]):
        person.phone = E164
        person.save(update_fields=["phone"])
    signed_in(client, "mother")
    client.post("/integration/messenger/", {"phone": PHONE})
    assert len(platform.link_requests) == 1


def test_platform_down_at_the_request_stores_nothing(
    client: Client, platform: FakePlatform, school_day
) -> None:
    signed_in(client, "mother")
    platform.fail_next = [503]
    page = client.post("/integration/messenger/", {"phone": PHONE})
    assert page.status_code == 503
    assert "Сервис Сферум временно недоступен" in page.content.decode()
    assert not MessengerLinkRequest.objects.exists()


def test_platform_down_at_the_status_check_keeps_waiting(
    client: Client, platform: FakePlatform, school_day
) -> None:
    platform.phones_with_profile[E164] = SUB
    signed_in(client, "mother")
    client.post("/integration/messenger/", {"phone": PHONE})
    platform.fail_next = [503]
    page = client.get("/integration/")
    assert page.status_code == 200
    assert "ждёт подтверждения" in page.content.decode()
    assert MessengerLinkRequest.objects.get().state == "pending"


def test_linking_by_id_only_hides_the_phone_form(
    client: Client, platform: FakePlatform, school_day, settings
) -> None:
    settings.PARTA_INTEGRATION_LINKING = "id"
    signed_in(client, "mother")
    text = client.get("/integration/").content.decode()
    assert "Привязать учебный аккаунт Сферум" not in text
    assert client.post("/integration/messenger/", {"phone": PHONE}).status_code == 302
    assert platform.requests == []


def test_a_replaced_request_confirmed_later_leaves_no_link_on_the_platform(
    client: Client, platform: FakePlatform, school_day, settings, django_capture_on_commit_callbacks
) -> None:
    """The mother asked for one number, then for another; the first number's owner still pressed
    «Подключить». The journal no longer waits for that answer, so the platform's link is deleted."""
    settings.PARTA_INTEGRATION_WEBHOOK_SECRET = SECRET
    platform.phones_with_profile[E164] = SUB
    platform.phones_with_profile["+79521114455"] = "6f1c2d9e-5a1b-4c1d-8e1f-000000000004"
    signed_in(client, "mother")
    client.post("/integration/messenger/", {"phone": PHONE})
    client.post("/integration/messenger/", {"phone": "+7 (952) 111-44-55"})
    first = MessengerLinkRequest.objects.get(phone=E164)
    assert first.state == "expired"  # replaced
    confirmed = platform.link_request_answer(first.request_id, "confirmed")
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, "link_request.confirmed", confirmed).json() == {"status": "ok"}
        deliver(client, "link_request.confirmed", confirmed)  # a second delivery (another event id)
    assert platform.links  # the platform linked the first number's profile
    queued = DBTaskResult.objects.filter(task_path="parta.integration.tasks.bindings_repair_task")
    assert queued.count() == 1
    assert integration_repair_task.call() == 1
    assert not platform.links
    assert not Binding.objects.filter(state__in=["pending", "active"]).exists()
    assert MessengerLinkRequest.objects.get(phone="+79521114455").state == "pending"  # still asked
