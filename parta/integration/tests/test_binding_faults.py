"""Bindings when a deployment breaks (issue 5): a linking left ``pending`` by a killed process is settled
by the next attempt of any path; a school the platform refuses for good is remembered, not asked again on
every run, and told to the person; a class or subject teacher without a staff assignment in a school is a
teacher there. Against the fake platform on a real local socket (``fakes.py``, ``sync_fakes.py``)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from parta.integration.actions.bindings import IN_PROGRESS, bindings_pending_repair, bindings_repair
from parta.integration.actions.sync import sync_school
from parta.integration.conf import config_required
from parta.integration.models import Binding, BindingEvent, BindingState, LinkRefusal
from parta.integration.tasks import bindings_extend_task
from parta.integration.tests.conftest import signed_in
from parta.integration.tests.fakes import FakePlatform
from parta.integration.tests.sync_fakes import SyncPlatform, sync_platform  # noqa: F401 -- the fixture
from parta.integration.tests.test_linking import link
from parta.integration.tests.test_several_schools import (  # noqa: F401 -- the fixture
    TEACHER_SUB,
    hire_in_the_second_school,
    live,
    platform_links,
    two_schools,
)
from parta.journal.actions import staff as staff_actions
from parta.journal.public import account_info
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db

LONG_AGO = dt.timedelta(minutes=30)  # older than PARTA_INTEGRATION_PENDING_STALE (10 minutes)
REFUSED = "Организация не принимает новых участников из этого журнала."


def crashed_pending(
    account: Any, org_ref: str, *, age: dt.timedelta = LONG_AGO, role: str = "teacher"
) -> Binding:
    """The row a linking stored before its process was killed (never marked active or failed)."""
    return Binding.objects.create(
        account=account,
        role=role,
        org_ref=org_ref,
        profile_sub=TEACHER_SUB,
        profile_name="Смирнова Анна Петровна",
        phone="+79521111111",
        state=BindingState.PENDING,
        created_at=timezone.now() - age,
    )


def platform_link(fake: FakePlatform, account: Any, org_ref: str, roles: list[str]) -> str:
    """The link the killed process had registered on the platform before it died."""
    link_id = str(len(fake.links) + 100)
    fake.links[link_id] = {
        "id": link_id,
        "profile_sub": TEACHER_SUB,
        "org_ref": org_ref,
        "journal_account_ref": str(account.pk),
        "roles": roles,
    }
    return link_id


# --- 1. a binding left pending by a crash ------------------------------------------------------------------


def test_linking_again_after_a_crash_activates_the_link_the_platform_has(
    client: Client, platform: FakePlatform, school_day: dict[str, Any]
) -> None:
    account, school = school_day["teacher"], school_day["school"]
    stuck = crashed_pending(account, school.sourced_id)
    link_id = platform_link(platform, account, school.sourced_id, ["teacher"])
    signed_in(client, "teach")

    done = link(client)  # the person links again: no more «уже выполняется»

    assert done.status_code == 302, done.content.decode()[:500]
    assert done["Location"] == "/integration/"
    stuck.refresh_from_db()
    assert (stuck.state, stuck.link_id) == (BindingState.ACTIVE, link_id)
    assert list(platform.links) == [link_id]  # the same link, not a second one
    repaired = BindingEvent.objects.get(kind="linked", account=account)
    assert repaired.detail["repaired"] is True
    assert repaired.detail["links"] == [link_id]
    assert "Телефон, привязанный к Сферум" in client.get("/integration/").content.decode()


def test_linking_again_after_a_crash_without_a_link_on_the_platform_fails_the_row_and_links(
    client: Client, platform: FakePlatform, school_day: dict[str, Any]
) -> None:
    account, school = school_day["teacher"], school_day["school"]
    stuck = crashed_pending(account, school.sourced_id)
    signed_in(client, "teach")

    assert link(client)["Location"] == "/integration/"

    stuck.refresh_from_db()
    assert stuck.state == BindingState.FAILED
    failed = BindingEvent.objects.get(kind="link_failed", account=account)
    assert failed.detail["repaired"] is True
    assert failed.detail["schools"] == [school.sourced_id]
    (bound,) = Binding.objects.filter(account=account, state=BindingState.ACTIVE)
    assert bound.pk != stuck.pk
    assert platform_links(platform, account.pk) == [(school.sourced_id, TEACHER_SUB)]
    assert bound.link_id in platform.links


def test_a_fresh_pending_binding_is_another_linking_in_flight_and_is_respected(
    client: Client, platform: FakePlatform, school_day: dict[str, Any]
) -> None:
    account, school = school_day["teacher"], school_day["school"]
    in_flight = crashed_pending(account, school.sourced_id, age=dt.timedelta(seconds=20))
    signed_in(client, "teach")

    refused = link(client)

    assert refused.status_code == 409
    assert IN_PROGRESS in refused.content.decode()
    in_flight.refresh_from_db()
    assert in_flight.state == BindingState.PENDING
    assert not platform.links
    assert ("GET", "/links", None) not in platform.requests  # nobody second-guessed it


def test_platform_down_during_the_repair_changes_nothing_and_offers_a_retry(
    client: Client, platform: FakePlatform, school_day: dict[str, Any], settings: Any, closed_port: int
) -> None:
    account, school = school_day["teacher"], school_day["school"]
    stuck = crashed_pending(account, school.sourced_id)
    signed_in(client, "teach")
    consent = client.get("/integration/connect/")
    assert consent.status_code == 302
    from parta.integration.tests.test_linking import to_the_id_and_back

    assert to_the_id_and_back(client)["Location"] == "/integration/consent/"
    settings.PARTA_INTEGRATION_API_URL = f"http://127.0.0.1:{closed_port}/api/v1"

    page = client.post("/integration/consent/", {"action": "link"})

    assert page.status_code == 503
    assert "Сервис Сферум временно недоступен" in page.content.decode()
    stuck.refresh_from_db()
    assert stuck.state == BindingState.PENDING  # the platform could not tell: left for the next attempt
    assert not BindingEvent.objects.filter(kind__in=["linked", "link_failed"]).exists()


def test_two_repairers_settle_a_crashed_binding_once(
    platform: FakePlatform, school_day: dict[str, Any]
) -> None:
    account, school = school_day["teacher"], school_day["school"]
    stuck = crashed_pending(account, school.sourced_id)
    link_id = platform_link(platform, account, school.sourced_id, ["teacher"])
    cfg = config_required()

    assert bindings_pending_repair(config=cfg, account_id=account.pk) == 1
    assert bindings_pending_repair(config=cfg, account_id=account.pk) == 0
    bindings_repair(config=cfg, account_id=account.pk)

    stuck.refresh_from_db()
    assert (stuck.state, stuck.link_id) == (BindingState.ACTIVE, link_id)
    assert BindingEvent.objects.filter(kind="linked", account=account).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_repairers_at_the_same_time_settle_a_crashed_binding_once(
    platform: FakePlatform, school_day: dict[str, Any]
) -> None:
    """Two workers (two connections) ask the platform at the same moment; the account's lock lets one
    settle the row and audit it, the other finds nothing left to do."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("an in-memory SQLite database is not shared between threads")
    account, school = school_day["teacher"], school_day["school"]
    stuck = crashed_pending(account, school.sourced_id)
    platform_link(platform, account, school.sourced_id, ["teacher"])
    platform.delay = 0.5  # both are inside GET /links together
    cfg = config_required()
    start = threading.Barrier(2)
    settled: list[int] = []

    def repairer() -> None:
        try:
            start.wait()
            settled.append(bindings_pending_repair(config=cfg, account_id=account.pk))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=repairer) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert sorted(settled) == [0, 1]
    stuck.refresh_from_db()
    assert stuck.state == BindingState.ACTIVE
    assert BindingEvent.objects.filter(kind="linked", account=account).count() == 1


def test_a_link_without_the_rows_role_does_not_make_the_row_active(
    platform: FakePlatform, school_day: dict[str, Any]
) -> None:
    """Killed before ``POST /links`` added the new role to the school's link: the role is not there."""
    account, school = school_day["teacher"], school_day["school"]
    stuck = crashed_pending(account, school.sourced_id, role="parent")
    platform_link(platform, account, school.sourced_id, ["teacher"])

    assert bindings_pending_repair(config=config_required(), account_id=account.pk) == 1

    stuck.refresh_from_db()
    assert stuck.state == BindingState.FAILED


def test_integration_repair_settles_crashed_bindings(
    platform: FakePlatform, school_day: dict[str, Any]
) -> None:
    from io import StringIO

    account, school = school_day["teacher"], school_day["school"]
    stuck = crashed_pending(account, school.sourced_id)
    link_id = platform_link(platform, account, school.sourced_id, ["teacher"])
    out = StringIO()

    call_command("integration_repair", stdout=out)

    assert "Проверено учётных записей: 1; удалено связей: 0; ждут повтора: 0." in out.getvalue()
    stuck.refresh_from_db()
    assert (stuck.state, stuck.link_id) == (BindingState.ACTIVE, link_id)


def test_the_reconcile_repairs_a_crashed_binding_in_the_second_school(
    two_schools: dict[str, Any],  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    s = two_schools
    fake, second, account = s["fake"], s["second"], s["account"]
    hire_in_the_second_school(s, django_capture_on_commit_callbacks)
    stuck = crashed_pending(account, second.sourced_id)  # killed before it asked the platform

    assert sync_school(school_id=second.pk).status == "ok"

    stuck.refresh_from_db()
    assert stuck.state == BindingState.FAILED
    bound = Binding.objects.get(account=account, org_ref=second.sourced_id, state=BindingState.ACTIVE)
    assert bound.link_id in fake.links
    assert TEACHER_SUB in fake.members(second.sourced_id, "staff")  # in «Учительская» of school B


# --- 2. a school the platform refuses for good --------------------------------------------------------------


def refuse_links_in(fake: SyncPlatform, org_ref: str, status: int = 409) -> list[int]:
    """The platform answers ``POST /links`` for this school with a refusal; returns a call counter."""
    original = fake.api
    asked = [0]

    def api(method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:
        if (method, path) == ("POST", "/links") and body["org_ref"] == org_ref:
            asked[0] += 1
            if fake.refusing:
                return status, {"detail": REFUSED}
        return original(method, path, query, body)

    fake.refusing = True  # type: ignore[attr-defined]
    fake.api = api  # type: ignore[method-assign]
    return asked


def test_a_school_refused_for_good_is_remembered_told_and_not_asked_again(
    two_schools: dict[str, Any],  # noqa: F811
    django_capture_on_commit_callbacks: Any,
    client: Client,
) -> None:
    s = two_schools
    fake, first, second, account = s["fake"], s["first"], s["second"], s["account"]
    hire_in_the_second_school(s, django_capture_on_commit_callbacks)
    asked = refuse_links_in(fake, second.sourced_id)

    assert sync_school(school_id=second.pk).status == "ok"  # the school's chats go on without her
    assert asked == [1]
    (refusal,) = LinkRefusal.objects.filter(account=account)
    assert (refusal.role, refusal.org_ref, refusal.status, refusal.detail) == (
        "teacher",
        second.sourced_id,
        409,
        REFUSED,
    )
    counts = (
        Binding.objects.filter(account=account).count(),
        BindingEvent.objects.filter(kind="link_refused").count(),
    )
    assert counts == (2, 1)

    for _ in range(2):  # later runs, and the task after a confirmation, do not ask again
        assert sync_school(school_id=second.pk, force=True).status == "ok"
    assert bindings_extend_task.call(account.pk, "messenger") == 0
    assert asked == [1]
    assert (
        Binding.objects.filter(account=account).count(),
        BindingEvent.objects.filter(kind="link_refused").count(),
    ) == counts
    assert live(account.pk) == [("teacher", first.sourced_id, TEACHER_SUB)]

    client.force_login(account)
    page = client.get("/integration/").content.decode()
    assert "Учебный профиль «Сферум» не удалось привязать в школе: Школа № 2 (учитель)." in page
    assert f"Сферум ответил: «{REFUSED.rstrip('.')}»." in page
    assert "Обратитесь в службу технической поддержки" in page
    assert "Привязать сейчас" in page
    assert "Привязка выполнится автоматически" not in page
    # «Привязать сейчас» still goes to the ID: the school is not bound.
    assert client.get("/integration/connect/")["Location"].startswith(fake.issuer + "/authorize/")


def test_the_operator_clears_a_refusal_and_the_next_run_binds_the_school(
    two_schools: dict[str, Any],  # noqa: F811
    django_capture_on_commit_callbacks: Any,
    admin_client: Client,
) -> None:
    s = two_schools
    fake, second, account = s["fake"], s["second"], s["account"]
    hire_in_the_second_school(s, django_capture_on_commit_callbacks)
    asked = refuse_links_in(fake, second.sourced_id)
    assert sync_school(school_id=second.pk).status == "ok"
    refusal = LinkRefusal.objects.get(account=account)
    listing = admin_client.get("/admin/integration/linkrefusal/").content.decode()
    assert REFUSED in listing
    fake.refusing = False  # type: ignore[attr-defined]  # the cause fixed on the platform's side

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(
            "/admin/integration/linkrefusal/",
            {"action": "retry", ACTION_CHECKBOX_NAME: [str(refusal.pk)]},
            follow=True,
        )
    assert "Отказов снято: 1." in done.content.decode()
    refusal.refresh_from_db()
    assert refusal.cleared_at is not None
    assert BindingEvent.objects.filter(kind="refusal_cleared", account=account).exists()
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="bindings_extend_task")
    assert bindings_extend_task.call(*queued.args_kwargs["args"]) == 1

    assert asked == [2]
    bound = Binding.objects.get(account=account, org_ref=second.sourced_id, state=BindingState.ACTIVE)
    assert bound.link_id in fake.links


def test_a_platform_that_does_not_answer_is_still_retried_not_remembered(
    two_schools: dict[str, Any],  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    s = two_schools
    fake, second, account = s["fake"], s["second"], s["account"]
    hire_in_the_second_school(s, django_capture_on_commit_callbacks)
    asked = refuse_links_in(fake, second.sourced_id, status=503)

    assert sync_school(school_id=second.pk).status == "failed"  # retried with back-off
    assert not LinkRefusal.objects.exists()
    fake.refusing = False  # type: ignore[attr-defined]
    assert sync_school(school_id=second.pk, force=True).status == "ok"
    assert asked == [2]
    assert Binding.objects.filter(account=account, org_ref=second.sourced_id, state="active").exists()


# --- 3. a class or subject teacher without a staff assignment ---------------------------------------------


def test_teaching_in_a_school_without_a_staff_assignment_is_a_teacher_role_there() -> None:
    first, second, third = (
        factories.school("Школа № 1"),
        factories.school("Школа № 2"),
        factories.school("Лицей"),
    )
    teacher = factories.teacher(first)
    # Class teacher of 5А in school 2 with no staff assignment there (as a roster import can leave it).
    factories.school_class(second, teacher=teacher)
    # Teaches a subject in the lyceum, whose staff she has left: the journal keeps the teaching.
    hired = staff_actions.staff_hire(person=teacher, school=third)
    staff_actions.teaching_set(
        school_class=factories.school_class(third, grade=7), subject=factories.subject(), teacher=teacher
    )
    staff_actions.staff_leave(assignment=hired)
    only_teaching = factories.person("Орлова", "Ирина")  # no open staff assignment anywhere
    left = staff_actions.staff_hire(person=only_teaching, school=second)
    staff_actions.teaching_set(
        school_class=factories.school_class(second, grade=6),
        subject=factories.subject("Музыка"),
        teacher=only_teaching,
    )
    staff_actions.staff_leave(assignment=left)

    info = account_info(account_id=factories.account(teacher).pk)
    assert info is not None
    assert sorted((r.role, r.school_name) for r in info.roles) == [
        ("teacher", "Лицей"),
        ("teacher", "Школа № 1"),
        ("teacher", "Школа № 2"),
    ]
    only = account_info(account_id=factories.account(only_teaching).pk)
    assert only is not None
    assert [(r.role, r.label, r.school_name) for r in only.roles] == [("teacher", "учитель", "Школа № 2")]


def test_a_class_teacher_without_a_staff_assignment_is_bound_and_in_the_class_chat(
    two_schools: dict[str, Any],  # noqa: F811
) -> None:
    s = two_schools
    fake, second, account = s["fake"], s["second"], s["account"]
    six_b = factories.school_class(second, grade=6, letter="Б", teacher=s["teacher"])  # no staff in B
    factories.student(six_b, "Кузнецов", "Артём")

    assert sync_school(school_id=second.pk).status == "ok"

    bound = Binding.objects.get(account=account, org_ref=second.sourced_id, state=BindingState.ACTIVE)
    assert bound.role == "teacher"
    admin_of = sorted(
        chat.title
        for (org_ref, _), chat in fake.groups.items()
        if org_ref == second.sourced_id and TEACHER_SUB in chat.admins
    )
    assert admin_of  # her class's chats, as their admin
    assert all("6Б" in title for title in admin_of)
    assert TEACHER_SUB in fake.linked(second.sourced_id)
