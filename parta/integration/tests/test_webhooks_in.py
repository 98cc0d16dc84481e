"""Webhooks received from the platform at ``/integration/webhooks/sphere/``: the signature and the
timestamp window, deduplication by event id, and what each event does to the journal's bindings."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from parta.integration.models import (
    Binding,
    BindingEvent,
    BindingState,
    MessengerLinkRequest,
    ReceivedWebhook,
)
from parta.integration.tests.conftest import signed_in
from parta.integration.tests.fakes import FakePlatform
from parta.integration.webhooks import signature

pytestmark = pytest.mark.django_db

URL = "/integration/webhooks/sphere/"
SECRET = "whsec_test_0123456789abcdef"
SUB = "6f1c2d9e-5a1b-4c1d-8e1f-000000000005"
_ids = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def secret(settings: Any) -> str:
    settings.PARTA_INTEGRATION_WEBHOOK_SECRET = SECRET
    return SECRET


def deliver(
    client: Client,
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    key: str = SECRET,
    at: float | None = None,
) -> Any:
    """POST one event exactly as the platform's worker does (docs/api.md «What is sent»)."""
    event_id = event_id or f"evt_{next(_ids):04d}"
    body = json.dumps(
        {"created_at": "2026-11-30T10:00:00+00:00", "data": data, "id": event_id, "type": event_type},
        ensure_ascii=False,
        sort_keys=True,
    ).encode()
    timestamp = str(int(at if at is not None else time.time()))
    return client.post(
        URL,
        body,
        content_type="application/json",
        headers={
            "Webhook-Id": event_id,
            "Webhook-Timestamp": timestamp,
            "Webhook-Signature": signature(key, timestamp, body),
        },
    )


def bound(account: Any, *, link_id: str = "100", sub: str = SUB) -> Binding:
    return Binding.objects.create(
        account=account,
        role="parent",
        org_ref="school-1",
        profile_sub=sub,
        profile_name="Кузнецова Елена",
        phone="+79521112233",
        link_id=link_id,
        state=BindingState.ACTIVE,
    )


def test_bad_signature_is_401_and_nothing_is_applied(client: Client, school_day) -> None:
    binding = bound(school_day["parent"])
    answer = deliver(client, "link.deleted", {"link_id": 100}, key="whsec_someone_else")
    assert answer.status_code == 401
    assert not ReceivedWebhook.objects.exists()
    binding.refresh_from_db()
    assert binding.state == BindingState.ACTIVE


def test_tampered_body_is_401(client: Client, school_day) -> None:
    bound(school_day["parent"])
    body = b'{"data": {"link_id": 100}, "id": "evt_x", "type": "link.deleted"}'
    timestamp = str(int(time.time()))
    answer = client.post(
        URL,
        body.replace(b"100", b"101"),
        content_type="application/json",
        headers={
            "Webhook-Id": "evt_x",
            "Webhook-Timestamp": timestamp,
            "Webhook-Signature": signature(SECRET, timestamp, body),
        },
    )
    assert answer.status_code == 401
    assert Binding.objects.get().state == BindingState.ACTIVE


@pytest.mark.parametrize("skew", [-310, 310, -3600])  # clear of the 300 s edge on a slow machine
def test_timestamp_outside_five_minutes_is_refused(client: Client, school_day, skew: int) -> None:
    bound(school_day["parent"])
    answer = deliver(client, "link.deleted", {"link_id": 100}, at=time.time() + skew)
    assert answer.status_code == 400
    assert "пяти минут" in answer.json()["detail"]
    assert Binding.objects.get().state == BindingState.ACTIVE


def test_timestamp_within_the_window_is_accepted(client: Client, school_day) -> None:
    assert deliver(client, "profile.updated", {"profile_sub": SUB}, at=time.time() - 290).status_code == 200


def test_missing_headers_and_not_json_are_400(client: Client) -> None:
    assert client.post(URL, b"{}", content_type="application/json").status_code == 400
    timestamp = str(int(time.time()))
    answer = client.post(
        URL,
        b"not json",
        content_type="application/json",
        headers={
            "Webhook-Id": "evt_1",
            "Webhook-Timestamp": timestamp,
            "Webhook-Signature": signature(SECRET, timestamp, b"not json"),
        },
    )
    assert answer.status_code == 400
    assert not ReceivedWebhook.objects.exists()


def test_only_post(client: Client) -> None:
    assert client.get(URL).status_code == 405


def test_no_secret_configured_is_503(client: Client, settings: Any) -> None:
    settings.PARTA_INTEGRATION_WEBHOOK_SECRET = ""
    settings.PARTA_INTEGRATION_WEBHOOK_SECRET_FILE = ""
    assert deliver(client, "profile.updated", {}).status_code == 503


def test_secret_read_from_the_file_and_rotation_accepts_either(
    client: Client, settings: Any, tmp_path, school_day
) -> None:
    settings.PARTA_INTEGRATION_WEBHOOK_SECRET = ""
    path = tmp_path / "secret"
    path.write_text("whsec_new_one whsec_old_one\n")
    settings.PARTA_INTEGRATION_WEBHOOK_SECRET_FILE = str(path)
    assert deliver(client, "profile.updated", {}, key="whsec_old_one").status_code == 200
    assert deliver(client, "profile.updated", {}, key="whsec_new_one").status_code == 200
    assert deliver(client, "profile.updated", {}, key=SECRET).status_code == 401


def test_link_deleted_ends_the_binding_once_audited(client: Client, school_day) -> None:
    binding = bound(school_day["parent"])
    first = deliver(client, "link.deleted", {"link_id": 100, "profile_sub": SUB}, event_id="evt_del")
    assert first.status_code == 200
    assert first.json() == {"status": "ok"}
    binding.refresh_from_db()
    assert binding.state == BindingState.ENDED
    assert "на платформе" in binding.end_reason
    event = BindingEvent.objects.get(kind="unlinked")
    assert event.detail["by_platform"] is True

    again = deliver(client, "link.deleted", {"link_id": 100}, event_id="evt_del")  # a retried delivery
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    assert ReceivedWebhook.objects.count() == 1
    assert BindingEvent.objects.filter(kind="unlinked").count() == 1

    signed_in(client, "mother")
    assert "Мессенджер не подключен" in client.get("/integration/").content.decode()


def test_link_deleted_of_another_link_changes_nothing(client: Client, school_day) -> None:
    bound(school_day["parent"], link_id="100")
    assert deliver(client, "link.deleted", {"link_id": 999}).status_code == 200
    assert Binding.objects.get().state == BindingState.ACTIVE


def test_profile_updated_refreshes_the_stored_name(client: Client, school_day) -> None:
    binding = bound(school_day["parent"])
    data = {"profile_sub": SUB, "last_name": "Петрова", "first_name": "Елена", "middle_name": "Сергеевна"}
    assert deliver(client, "profile.updated", data).status_code == 200
    binding.refresh_from_db()
    assert binding.profile_name == "Петрова Елена Сергеевна"


def test_link_request_confirmed_by_webhook_binds_once(
    client: Client, platform: FakePlatform, school_day
) -> None:
    platform.phones_with_profile["+79521112233"] = SUB
    signed_in(client, "mother")
    client.post("/integration/messenger/", {"phone": "+7 (952) 111-22-33"})
    (asked,) = platform.link_requests.values()
    confirmed = platform.link_request_answer(asked["id"], "confirmed")
    answer = deliver(client, "link_request.confirmed", confirmed, event_id="evt_ok")
    assert answer.status_code == 200
    request = MessengerLinkRequest.objects.get()
    assert (request.state, request.decided_by) == ("confirmed", "webhook")
    binding = Binding.objects.get()
    assert (binding.state, binding.profile_sub, binding.link_id) == (
        BindingState.ACTIVE,
        SUB,
        str(confirmed["link_id"]),
    )
    # The same outcome again — another event id, or the page's own status check — binds nothing twice.
    assert deliver(client, "link_request.confirmed", confirmed).status_code == 200
    client.get("/integration/")
    assert Binding.objects.count() == 1
    assert BindingEvent.objects.filter(kind="linked").count() == 1


def test_link_request_declined_by_webhook(client: Client, platform: FakePlatform, school_day) -> None:
    platform.phones_with_profile["+79521112233"] = SUB
    signed_in(client, "mother")
    client.post("/integration/messenger/", {"phone": "+7 (952) 111-22-33"})
    (asked,) = platform.link_requests.values()
    declined = platform.link_request_answer(asked["id"], "declined")
    assert deliver(client, "link_request.declined", declined).status_code == 200
    assert MessengerLinkRequest.objects.get().state == "declined"
    assert "«Не подключать»" in client.get("/integration/").content.decode()


def test_unknown_request_and_unknown_type_are_recorded_and_ignored(client: Client) -> None:
    assert deliver(client, "link_request.expired", {"id": "nobody"}).status_code == 200
    assert deliver(client, "something.new", {"x": 1}).status_code == 200
    assert set(ReceivedWebhook.objects.values_list("result", flat=True)) == {
        "link request: unknown",
        "ignored",
    }


def test_the_administration_lists_webhooks_and_link_requests_read_only(client: Client, school_day) -> None:
    from parta.journal.tests import factories

    deliver(client, "link.deleted", {"link_id": 5}, event_id="evt_admin")
    operator = factories.account(username="operator")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    signed_in(client, "operator")
    page = client.get("/admin/integration/receivedwebhook/").content.decode()
    assert "evt_admin" in page
    assert "bindings ended: 0" in page
    assert client.get("/admin/integration/messengerlinkrequest/").status_code == 200
    assert client.get("/admin/integration/receivedwebhook/add/").status_code == 403
