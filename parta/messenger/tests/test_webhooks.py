"""Webhooks to a journal: a real HTTP server on a local socket receives them and checks the signature
exactly as docs/api.md tells journals to."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin.sites import site as admin_site
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from parta.messenger.actions.webhooks import webhook_attempt
from parta.messenger.models import DeliveryStatus, Link, WebhookEvent
from parta.messenger.tests.apiclient import Journal, journal, person

pytestmark = pytest.mark.django_db


def verify(secret: str, headers: Any, body: bytes, tolerance: int = 300) -> dict[str, Any]:
    """The receiver's check, as in docs/api.md."""
    timestamp = headers["Webhook-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        raise ValueError("stale")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    signatures = [
        part.removeprefix("v1=") for part in headers["Webhook-Signature"].split() if part.startswith("v1=")
    ]
    if not any(hmac.compare_digest(expected, sig) for sig in signatures):
        raise ValueError("bad signature")
    event: dict[str, Any] = json.loads(body)
    return event


@dataclass
class Receiver:
    """A journal's webhook endpoint: answers ``status`` and keeps the events whose signature is valid."""

    url: str
    secret: str = ""
    status: int = 200
    events: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                event = verify(state.secret, self.headers, body)
            except (ValueError, KeyError):
                state.rejected += 1
                self.send_response(400)
                self.end_headers()
                return
            assert event["id"] == self.headers["Webhook-Id"]
            state.events.append(event)
            self.send_response(state.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/sferum"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def bars(db: None, receiver: Receiver) -> Journal:
    j = journal()
    out = io.StringIO()
    call_command("webhook_endpoint", j.client.application.client_id, receiver.url, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"Вебхуки журнала отправляются на {receiver.url}"
    receiver.secret = lines[1]
    assert receiver.secret.startswith("whsec_")
    j.put("/orgs/school-1", {"name": "ГБОУ Школа № 1"})
    return j


def _rename(profile: Any, last_name: str) -> None:
    """What the ID's profile page does when the person corrects their name."""
    profile.last_name = last_name
    profile.save(update_fields=["last_name"])


def test_profile_name_change_is_delivered_signed(
    bars: Journal, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    anna = person("Смирнова", "Анна", "Петровна")
    bars.link(anna, "school-1", "acc-anna", "teacher")
    with django_capture_on_commit_callbacks(execute=True):
        _rename(anna, "Иванова")
    event = WebhookEvent.objects.get(type="profile.updated")
    # The task was enqueued for the worker; run it as the worker would.
    assert DBTaskResult.objects.filter(args_kwargs__args=[event.pk]).exists()
    attempt = webhook_attempt(event.pk)
    assert attempt is not None
    assert attempt.status_code == 200
    (received,) = receiver.events
    assert received["id"] == event.event_id
    assert received["type"] == "profile.updated"
    assert received["data"] == {
        "profile_sub": str(anna.sub),
        "journal_account_ref": "acc-anna",
        "last_name": "Иванова",
        "first_name": "Анна",
        "middle_name": "Петровна",
    }
    event.refresh_from_db()
    assert event.status == DeliveryStatus.DELIVERED
    assert event.attempts == 1
    assert webhook_attempt(event.pk) is None  # delivered once, never again
    assert receiver.rejected == 0


def test_other_profile_changes_and_unlinked_profiles_send_nothing(bars: Journal) -> None:
    anna = person("Смирнова", "Анна")
    anna.gender = "female"
    anna.save(update_fields=["gender"])
    _rename(anna, "Иванова")  # not linked to any journal
    bars.link(anna, "school-1", "acc-anna", "teacher")
    anna.save(update_fields=["gender"])
    assert not WebhookEvent.objects.exists()


def test_a_failing_endpoint_is_retried_with_back_off_then_given_up(
    bars: Journal, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PARTA_MESSENGER_WEBHOOK_BACKOFF = [60, 3600]
    anna = person("Смирнова", "Анна")
    bars.link(anna, "school-1", "acc-anna", "teacher")
    _rename(anna, "Иванова")
    event = WebhookEvent.objects.get()
    receiver.status = 503

    with django_capture_on_commit_callbacks(execute=True):
        first = webhook_attempt(event.pk)
    assert first is not None
    assert (first.number, first.status_code) == (1, 503)
    event.refresh_from_db()
    assert event.status == DeliveryStatus.PENDING
    assert event.next_attempt_at is not None
    wait = (event.next_attempt_at - timezone.now()).total_seconds()
    assert 55 < wait <= 60
    retry = DBTaskResult.objects.filter(args_kwargs__args=[event.pk]).exclude(run_after=None).get()
    assert retry.run_after == event.next_attempt_at
    assert webhook_attempt(event.pk) is None  # enqueued early: not yet

    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
    second = webhook_attempt(event.pk)
    assert second is not None
    assert second.number == 2
    event.refresh_from_db()
    assert 3500 < (event.next_attempt_at - timezone.now()).total_seconds() <= 3600  # type: ignore[operator]

    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
    third = webhook_attempt(event.pk)
    assert third is not None
    assert third.number == 3
    event.refresh_from_db()
    assert (event.status, event.attempts, event.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert [e["id"] for e in receiver.events] == [event.event_id] * 3  # the same id on every try
    assert list(event.attempt_log.values_list("status_code", flat=True)) == [503, 503, 503]


def test_an_unreachable_endpoint_logs_the_error(bars: Journal, receiver: Receiver) -> None:
    apps.get_model("messenger", "WebhookEndpoint").objects.update(
        url="http://127.0.0.1:9/closed"
    )  # the discard port: connection refused
    anna = person("Смирнова", "Анна")
    bars.link(anna, "school-1", "acc-anna", "teacher")
    _rename(anna, "Иванова")
    attempt = webhook_attempt(WebhookEvent.objects.get().pk)
    assert attempt is not None
    assert attempt.status_code is None
    assert "ConnectionError" in attempt.error


def test_a_wrong_secret_is_rejected_by_the_receiver(bars: Journal, receiver: Receiver) -> None:
    call_command("webhook_endpoint", bars.client.pk, receiver.url, "--rotate-secret", stdout=io.StringIO())
    anna = person("Смирнова", "Анна")
    bars.link(anna, "school-1", "acc-anna", "teacher")
    _rename(anna, "Иванова")
    attempt = webhook_attempt(WebhookEvent.objects.get().pk)
    assert attempt is not None
    assert attempt.status_code == 400
    assert receiver.rejected == 1
    assert receiver.events == []


def test_link_deleted_only_when_the_platform_deletes(
    bars: Journal, receiver: Receiver, admin_user: Any
) -> None:
    anna, boris = person("Смирнова", "Анна"), person("Волков", "Борис")
    own = bars.link(anna, "school-1", "acc-anna", "teacher")
    bars.link(boris, "school-1", "acc-boris", "teacher")
    assert bars.delete(f"/links/{own['id']}").status_code == 204
    assert not WebhookEvent.objects.exists()  # the journal's own DELETE is not echoed

    link = Link.objects.get(journal_account_ref="acc-boris")
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    admin_site._registry[Link].delete_model(request, link)
    event = WebhookEvent.objects.get()
    assert event.type == "link.deleted"
    assert event.data == {
        "link_id": link.pk,
        "profile_sub": str(boris.sub),
        "org_ref": "school-1",
        "journal_account_ref": "acc-boris",
    }
    assert webhook_attempt(event.pk) is not None
    assert receiver.events[0]["type"] == "link.deleted"
    assert dt.datetime.fromisoformat(receiver.events[0]["created_at"]) == event.created_at


def test_no_endpoint_no_events(db: None) -> None:
    j = journal()
    j.put("/orgs/school-1", {"name": "Школа"})
    anna = person("Смирнова", "Анна")
    j.link(anna, "school-1", "acc-anna", "teacher")
    _rename(anna, "Иванова")
    assert not WebhookEvent.objects.exists()


def test_the_command_refuses_an_unknown_journal_and_a_bad_url(db: None) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"Журнал «nobody» не зарегистрирован\."):
        call_command("webhook_endpoint", "nobody", "https://example.org/hook")
    j = journal()
    with pytest.raises(CommandError, match="http:// или https://"):
        call_command("webhook_endpoint", j.client.application.client_id, "ftp://example.org")


def test_an_operator_retries_a_given_up_event_from_the_delivery_log(
    bars: Journal, receiver: Receiver, admin_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    anna = person("Смирнова", "Анна")
    bars.link(anna, "school-1", "acc-anna", "teacher")
    _rename(anna, "Иванова")
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=DeliveryStatus.FAILED, attempts=8, next_attempt_at=None
    )

    page = admin_client.get(f"/admin/messenger/webhookevent/{event.pk}/change/")
    assert page.status_code == 200
    assert "не доставлено" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/messenger/webhookevent/", {"action": "retry", "_selected_action": [event.pk]}, follow=True
        )
    assert "Поставлено в очередь событий: 1." in response.content.decode()
    event.refresh_from_db()
    assert (event.status, event.attempts) == (DeliveryStatus.PENDING, 0)
    assert DBTaskResult.objects.filter(args_kwargs__args=[event.pk]).count() == 1  # the retry, for the worker
    assert webhook_attempt(event.pk) is not None
    event.refresh_from_db()
    assert event.status == DeliveryStatus.DELIVERED
