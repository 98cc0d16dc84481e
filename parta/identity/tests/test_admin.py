"""The ID's administration pages open in Russian, and support can lift a lock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from parta.identity.actions.codes import code_send
from parta.identity.models import Account, AuditEvent, AuditKind, Throttle
from parta.identity.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(Account.objects.create_superuser("+79990000001", "admin-password-1"))
    return client


def test_every_id_page_of_the_administration_opens(staff: Client) -> None:
    factories.profile(factories.account("+79991230001"))
    code_send(purpose="signin", channel="sms", target="+79991230001", ip="10.0.0.1")
    for model in ("account", "educationalprofile", "code", "auditevent", "throttle", "devmessage"):
        response = staff.get(f"/admin/identity/{model}/")
        assert response.status_code == 200, model
    page = staff.get("/admin/identity/code/").content.decode()
    assert "одноразовые коды" in page.lower()
    account = Account.objects.get(phone="+79991230001")
    assert staff.get(f"/admin/identity/account/{account.pk}/change/").status_code == 200


def test_codes_are_shown_without_their_hash(staff: Client) -> None:
    code = code_send(purpose="signin", channel="sms", target="+79991230001")
    page = staff.get(f"/admin/identity/code/{code.pk}/change/").content.decode()
    assert code.digest not in page


def test_support_lifts_a_lock(staff: Client) -> None:
    throttle = Throttle.objects.create(
        key="target:+79991230001", locked_until=timezone.now() + dt.timedelta(hours=1)
    )
    response = staff.post(
        "/admin/identity/throttle/", {"action": "unlock", "_selected_action": [throttle.pk]}, follow=True
    )
    assert "Блокировка снята: 1." in response.content.decode()
    throttle.refresh_from_db()
    assert throttle.locked_until is None
    assert AuditEvent.objects.get(kind=AuditKind.UNLOCKED).detail["key"] == "target:+79991230001"


def test_journals_are_listed_renamed_and_switched_off_by_support(staff: Client) -> None:
    journal = factories.journal_client("БАРС.Электронная школа", client_id="demo-journal")
    page = staff.get("/admin/identity/journalclient/").content.decode()
    assert "БАРС.Электронная школа" in page
    assert "demo-journal" in page
    assert staff.get("/admin/identity/journalclient/add/").status_code == 403
    response = staff.post(
        f"/admin/identity/journalclient/{journal.pk}/change/",
        {"display_name": "МЭШ.ВКС", "is_active": "on"},
    )
    assert response.status_code == 302
    journal.refresh_from_db()
    assert journal.display_name == "МЭШ.ВКС"
    assert AuditEvent.objects.filter(kind=AuditKind.JOURNAL_CHANGED, target="demo-journal").exists()

    response = staff.post(
        "/admin/identity/journalclient/",
        {"action": "switch_off", "_selected_action": [journal.pk]},
        follow=True,
    )
    assert "Журналов отключено: 1." in response.content.decode()
    journal.refresh_from_db()
    assert not journal.is_active
    event = AuditEvent.objects.get(kind=AuditKind.JOURNAL_SWITCHED_OFF)
    assert event.account is not None
    assert event.account.phone == "+79990000001"
