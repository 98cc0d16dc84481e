"""Issue 5's promises no other test checked: «both or neither» when storing fails after the platform said
yes, a slow (not only unreachable) platform at «Привязать», at the link request and at the ID, the
callback's own account check, and an account with two roles in one school."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.test import Client

from parta.integration.actions import bindings as bindings_module
from parta.integration.models import Binding, BindingEventKind
from parta.integration.tests.conftest import signed_in
from parta.integration.tests.fakes import FakePlatform
from parta.integration.tests.test_linking import link, to_the_id_and_back
from parta.integration.views import AUTHORIZE_KEY
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db
LIVE = ("pending", "active")


# «both or neither»: storing ``active`` fails after the platform said yes (actions/bindings.py, step 3).
def test_store_fails_after_the_platform_said_yes_the_link_is_undone(
    client: Client, platform: FakePlatform, school_day, monkeypatch
) -> None:
    signed_in(client, "teach")
    to_the_id_and_back(client)
    original = bindings_module.binding_event_record

    def broken(*, kind: BindingEventKind, **kw: Any) -> Any:  # the write inside the atomic block of step 3
        if kind == BindingEventKind.LINKED:
            raise RuntimeError("database went away")
        return original(kind=kind, **kw)

    monkeypatch.setattr(bindings_module, "binding_event_record", broken)
    response = client.post("/integration/consent/", {"action": "link"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "Привязка не сохранена" in page
    assert "Не удалось сохранить привязку в журнале. Ничего не изменилось" in page
    assert "Повторить" in page
    assert not platform.links, "the link the platform made is undone"
    assert not Binding.objects.filter(state__in=LIVE).exists()
    monkeypatch.setattr(bindings_module, "binding_event_record", original)
    # and a retry links cleanly
    assert link(client)["Location"] == "/integration/"
    assert list(platform.links) == [Binding.objects.get(state="active").link_id]


# a slow platform (timeout) at «Привязать»: the unavailable page, nothing half-stored, a clean retry.
def test_slow_platform_at_consent_says_unavailable_and_the_retry_leaves_no_stray_link(
    client: Client, platform: FakePlatform, school_day, settings
) -> None:
    signed_in(client, "teach")
    to_the_id_and_back(client)
    settings.PARTA_INTEGRATION_TIMEOUT = 0.3
    platform.delay = 1.0
    response = client.post("/integration/consent/", {"action": "link"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "Сервис Сферум временно недоступен" in page
    assert "Повторить" in page
    assert not Binding.objects.filter(state__in=LIVE).exists()
    platform.delay = 0
    settings.PARTA_INTEGRATION_TIMEOUT = 2.0
    time.sleep(2.5)  # the slow requests finish on the platform after the journal gave up
    retry = client.post("/integration/consent/", {"action": "link"})
    assert retry["Location"] == "/integration/"
    assert list(platform.links) == [Binding.objects.get(state="active").link_id]


# a slow platform at the link request (manual 003).
def test_slow_platform_at_the_link_request_says_unavailable(
    client: Client, platform: FakePlatform, school_day, settings
) -> None:
    platform.phones_with_profile["+79521112233"] = "6f1c2d9e-5a1b-4c1d-8e1f-0000000000bb"
    signed_in(client, "mother")
    settings.PARTA_INTEGRATION_TIMEOUT = 0.3
    platform.delay = 1.0
    response = client.post("/integration/messenger/", {"phone": "+7 (952) 111-22-33"})
    assert response.status_code == 503
    assert "Сервис Сферум временно недоступен" in response.content.decode()
    platform.delay = 0


# a slow ID at «Перейти к подключению».
def test_slow_id_at_connect_says_unavailable(
    client: Client, platform: FakePlatform, school_day, settings
) -> None:
    signed_in(client, "teach")
    settings.PARTA_INTEGRATION_TIMEOUT = 0.3
    platform.delay = 1.0
    response = client.get("/integration/connect/")
    assert response.status_code == 503
    assert "Сервис Сферум временно недоступен" in response.content.decode()
    platform.delay = 0


# the callback's account check itself (views.py:196), not the session flush of a new login.
def test_state_of_another_account_in_the_same_session_is_refused(
    client: Client, platform: FakePlatform, school_day
) -> None:
    signed_in(client, "teach")
    start = client.get("/integration/connect/")

    back = urlsplit(httpx.get(start["Location"], follow_redirects=False, timeout=5).headers["Location"])
    session = client.session
    pending = dict(session[AUTHORIZE_KEY])
    pending["account_id"] = school_day["parent"].pk
    session[AUTHORIZE_KEY] = pending
    session.save()
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 400
    assert "Ссылка подключения устарела или уже использована" in response.content.decode()


# several roles: a teacher who is also a parent in the same school.
def test_teacher_who_is_a_parent_links_both_roles_and_mixed_policy_hides_unlink(
    client: Client, platform: FakePlatform, school_day, settings
) -> None:
    teacher = school_day["teacher"].person
    factories.guardian_of(teacher, school_day["pupil"])
    signed_in(client, "teach")
    assert link(client)["Location"] == "/integration/"
    rows = Binding.objects.filter(state="active")
    assert sorted(rows.values_list("role", flat=True)) == ["parent", "teacher"]
    (only,) = platform.links.values()
    assert sorted(only["roles"]) == ["parent", "teacher"]
    settings.PARTA_INTEGRATION_UNLINK_POLICY = {"teacher": "support_only", "*": "self"}
    assert "Отвязать учетную запись" not in client.get("/integration/").content.decode()
