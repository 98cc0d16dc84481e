"""Issue 5's last promises that nothing else checks (audit5 item 11): a request of manual 003 ended by the
webhook ``link_request.expired``, the consent window's time limit, the audit row of a self-unlink as the
operator sees it, and an unlink from «Да» to the person leaving the school's chats."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from parta.integration.actions.link_requests import OUTCOMES
from parta.integration.actions.sync import sync_school
from parta.integration.models import (
    Binding,
    BindingEvent,
    BindingState,
    LinkRequestState,
    MessengerLinkRequest,
    ReceivedWebhook,
    SyncChange,
)
from parta.integration.tasks import sync_account_task
from parta.integration.tests import fakes
from parta.integration.tests.conftest import signed_in
from parta.integration.tests.fakes import FakePlatform
from parta.integration.tests.sync_fakes import SyncPlatform, sync_platform  # noqa: F401 -- the fixture
from parta.integration.tests.test_linking import link as link_by_id
from parta.integration.tests.test_linking import to_the_id_and_back
from parta.integration.tests.test_sync_cases import fake_school_ref, refs
from parta.integration.tests.test_sync_cases import link as linked_on_both_sides
from parta.integration.tests.test_webhooks_in import SECRET, deliver
from parta.integration.views import FLOW_SECONDS, LOST
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db

PHONE = "+7 (952) 111-22-33"
E164 = "+79521112233"
SUB = "6f1c2d9e-5a1b-4c1d-8e1f-000000000007"


# --- 1. «link_request.expired» by webhook -------------------------------------------------------------------


def test_link_request_expired_by_webhook_ends_the_request_once(
    client: Client, platform: FakePlatform, school_day, settings: Any
) -> None:
    settings.PARTA_INTEGRATION_WEBHOOK_SECRET = SECRET
    platform.phones_with_profile[E164] = SUB
    signed_in(client, "mother")
    client.post("/integration/messenger/", {"phone": PHONE})
    (asked,) = platform.link_requests.values()
    assert "ждёт подтверждения" in client.get("/integration/").content.decode()

    expired = platform.link_request_answer(asked["id"], "expired")  # nobody pressed anything in time
    answer = deliver(client, "link_request.expired", expired, event_id="evt_expired")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    # The webhook ended it, before any page of the journal could ask the platform.
    request = MessengerLinkRequest.objects.get()
    assert (request.state, request.decided_by) == (LinkRequestState.EXPIRED, "webhook")
    decided_at = request.decided_at
    assert BindingEvent.objects.filter(kind="link_refused", detail__reason="expired").count() == 1

    text = client.get("/integration/").content.decode()
    assert "Срок запроса на привязку истёк" in text
    assert OUTCOMES[LinkRequestState.EXPIRED] in text
    assert "ждёт подтверждения" not in text
    assert "Мессенджер не подключен" in text
    assert "Привязать учебный аккаунт Сферум" in text  # the phone form again
    assert 'name="phone"' in text
    assert 'value="+7 (952) 111-22-33"' in text
    assert not Binding.objects.exists()

    # The platform delivers the same event again (a retry): nothing changes.
    again = deliver(client, "link_request.expired", expired, event_id="evt_expired")
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    assert ReceivedWebhook.objects.count() == 1
    request.refresh_from_db()
    assert (request.state, request.decided_by, request.decided_at) == (
        LinkRequestState.EXPIRED,
        "webhook",
        decided_at,
    )
    assert BindingEvent.objects.filter(kind="link_refused").count() == 1
    assert Binding.objects.count() == 0

    # A new request, then the old outcome once more (even under another event id): the new one still waits.
    client.post("/integration/messenger/", {"phone": PHONE})
    assert MessengerLinkRequest.objects.filter(state=LinkRequestState.PENDING).count() == 1
    assert deliver(client, "link_request.expired", expired, event_id="evt_expired").json() == {
        "status": "duplicate"
    }
    assert deliver(client, "link_request.expired", expired, event_id="evt_expired_2").status_code == 200
    assert MessengerLinkRequest.objects.filter(state=LinkRequestState.PENDING).count() == 1
    assert BindingEvent.objects.filter(kind="link_refused").count() == 1
    assert "ждёт подтверждения" in client.get("/integration/").content.decode()


# --- 2. The consent window's time limit ---------------------------------------------------------------------


def test_consent_window_expires_after_its_limit_and_links_nothing(
    client: Client, platform: FakePlatform, school_day, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert FLOW_SECONDS == 15 * 60  # docs/integration.md: a linking not finished in 15 minutes starts again
    signed_in(client, "teach")
    assert to_the_id_and_back(client)["Location"] == "/integration/consent/"
    opened = time.time()
    calls_before = list(platform.requests)

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + FLOW_SECONDS - 60)  # 14 minutes on: still open
    window = client.get("/integration/consent/")
    assert window.status_code == 200
    assert "Добавление профиля «Сферум»" in window.content.decode()

    monkeypatch.setattr(time, "time", lambda: opened + FLOW_SECONDS + 5)  # past the limit
    late = client.post("/integration/consent/", {"action": "link"})
    assert late.status_code == 400
    text = late.content.decode()
    assert LOST[0] == "Ссылка подключения устарела или уже использована"
    assert LOST[0] in text
    assert "Перейти к подключению" in text
    assert "Добавление профиля «Сферум»" not in text
    assert not Binding.objects.exists()
    assert not BindingEvent.objects.filter(kind__in=["linked", "link_started"]).exists()
    assert platform.requests == calls_before  # no PUT /orgs, no POST /links: the platform was not asked
    assert not platform.links

    # Back in time, the window is still gone: the lost state was dropped, not just refused.
    monkeypatch.setattr(time, "time", real_time)
    assert client.post("/integration/consent/", {"action": "link"}).status_code == 400
    assert not Binding.objects.exists()
    assert not platform.links


# --- 3. The audit row of a self-unlink ----------------------------------------------------------------------


def _event_rows(page: str) -> list[dict[str, str]]:
    """The administration's audit list («журнал привязок»): the columns of each row, as text."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.S):
        cells = dict(re.findall(r'class="field-(\w+)[^"]*"[^>]*>(.*?)</t[dh]>', row, flags=re.S))
        if cells:
            rows.append({k: re.sub(r"<[^>]+>", "", v).strip() for k, v in cells.items()})
    return rows


def test_self_unlink_leaves_an_audit_row_the_operator_sees(
    client: Client, platform: FakePlatform, school_day, settings: Any
) -> None:
    settings.PARTA_INTEGRATION_UNLINK_POLICY = {"*": "self"}
    teacher = school_day["teacher"]
    signed_in(client, "teach")
    link_by_id(client)
    sub = Binding.objects.get().profile_sub
    assert "Отвязать учетную запись" in client.get("/integration/").content.decode()
    client.post("/integration/unlink/", {"action": "unlink"})  # «Отвязать учетную запись» → «Да»
    assert Binding.objects.get().state == BindingState.ENDED

    event = BindingEvent.objects.get(kind="unlinked")
    assert (event.account_id, event.actor_id, event.profile_sub) == (teacher.pk, teacher.pk, sub)
    assert event.detail["reason"] == "отвязано пользователем"
    assert event.detail["by_operator"] is False

    operator = factories.account(username="operator")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    admin = Client()
    signed_in(admin, "operator")
    page = admin.get("/admin/integration/bindingevent/?kind__exact=unlinked")
    assert page.status_code == 200
    rows = _event_rows(page.content.decode())
    assert [(r["kind"], r["account"], r["actor"], r["profile_sub"]) for r in rows] == [
        ("отвязан", "teach", "teach", sub)
    ]
    detail = admin.get(f"/admin/integration/bindingevent/{event.pk}/change/").content.decode()
    assert "отвязано пользователем" in detail


# --- 4. Unlink → the person leaves the school's chats -------------------------------------------------------


def test_unlink_with_yes_queues_the_sync_that_takes_the_person_out_of_the_chats(
    client: Client,
    sync_platform: SyncPlatform,  # noqa: F811
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PARTA_INTEGRATION_UNLINK_POLICY = {"*": "self"}
    fake = sync_platform
    school = factories.school("Школа № 8")
    fake_school_ref[0] = school.sourced_id
    teacher = factories.teacher(school)
    five_a = factories.school_class(school, teacher=teacher)
    pupil = factories.student(five_a, "Кузнецов", "Артём")
    account = factories.account(teacher, username="teach")
    factories.account(pupil)
    sub = linked_on_both_sides(fake, teacher, role="teacher")
    pupil_sub = linked_on_both_sides(fake, pupil)
    assert sync_school(school_id=school.pk).status == "ok"
    class_ref, parents_ref = refs(five_a)
    chats = {key: chat for key, chat in fake.groups.items() if key[0] == school.sourced_id}
    assert {ref for (_, ref), chat in chats.items() if sub in chat.members} == {
        "staff",
        class_ref,
        parents_ref,
    }

    # The real platform also drops the profile from its chats when the link goes; this fake does not, so
    # what is checked below is the journal's own doing (its account sync).
    def api_keeping_members(method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if method == "DELETE" and path.strip("/").split("/")[0] == "links":
            return fakes.FakePlatform.api(fake, method, path, query, body)
        return SyncPlatform.api(fake, method, path, query, body)

    monkeypatch.setattr(fake, "api", api_keeping_members)

    signed_in(client, "teach")
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/integration/unlink/", {"action": "unlink"})  # «Отвязать учетную запись» → «Да»
    assert done["Location"] == "/integration/"
    assert Binding.objects.get(account=account).state == BindingState.ENDED
    assert not [v for v in fake.links.values() if v["profile_sub"] == sub]
    assert sub in chats[(school.sourced_id, class_ref)].members  # still there until the sync runs

    queued = DBTaskResult.objects.filter(task_path="parta.integration.tasks.sync_account_task")
    assert [t.args_kwargs["args"] for t in queued] == [[account.pk, "unlinked"]]

    (task,) = queued
    assert sync_account_task.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"]) == 3
    assert all(sub not in chat.members and sub not in chat.admins for chat in chats.values())
    assert pupil_sub in chats[(school.sourced_id, class_ref)].members  # nobody else leaves
    assert set(SyncChange.objects.filter(sub=sub, change="removed").values_list("group_ref", "reason")) == {
        ("staff", "unlinked"),
        (class_ref, "unlinked"),
        (parents_ref, "unlinked"),
    }
