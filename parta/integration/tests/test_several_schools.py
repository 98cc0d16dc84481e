"""An account in several schools (issue 5): however it was linked — through the ID, confirmed in the
messenger (manual 003), or linked before it gained a role elsewhere — it ends up bound in every school
and role it has, to the one profile, on both sides or neither. Against the fake platform on a real local
socket (``fakes.py``, ``sync_fakes.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from parta.integration.actions.bindings import ALREADY_OTHER_PROFILE, binding_create
from parta.integration.actions.sync import sync_school
from parta.integration.conf import config_required
from parta.integration.models import Binding, BindingEvent, BindingState, SyncChange, SyncSchool
from parta.integration.oidc import ProfileClaims
from parta.integration.tasks import bindings_extend_task
from parta.integration.tests.conftest import signed_in
from parta.integration.tests.fakes import FakePlatform, Profile
from parta.integration.tests.sync_fakes import SyncPlatform, sync_platform  # noqa: F401 -- the fixture
from parta.integration.tests.test_linking import link, to_the_id_and_back
from parta.journal.actions import staff as staff_actions
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db

TEACHER_SUB = "6f1c2d9e-5a1b-4c1d-8e1f-000000000001"  # the fake ID's default profile: Смирнова Анна
MOTHER_SUB = "6f1c2d9e-5a1b-4c1d-8e1f-000000000021"
PHONE = "+7 (952) 111-22-33"
E164 = "+79521112233"


def live(account_id: int) -> list[tuple[str, str, str]]:
    """The account's live bindings as (role, school sourcedId, profile)."""
    return sorted(
        Binding.objects.filter(account_id=account_id, state__in=["pending", "active"]).values_list(
            "role", "org_ref", "profile_sub"
        )
    )


def platform_links(fake: FakePlatform, account_id: int) -> list[tuple[str, str]]:
    """The platform's links of the journal account as (school sourcedId, profile)."""
    return sorted(
        (link["org_ref"], link["profile_sub"])
        for link in fake.links.values()
        if link["journal_account_ref"] == str(account_id)
    )


def run_queued(task_name: str) -> list[Any]:
    """Run the tasks of this kind the journal queued, as the worker would (and forget them)."""
    queued = list(DBTaskResult.objects.filter(task_path__endswith=task_name).order_by("pk"))
    DBTaskResult.objects.filter(pk__in=[t.pk for t in queued]).delete()
    return [bindings_extend_task.call(*t.args_kwargs["args"]) for t in queued]


# --- linking confirmed in the messenger (manual 003) --------------------------------------------------------


def test_parent_with_children_in_two_schools_confirmed_in_the_messenger_is_bound_in_both(
    client: Client,
    platform: FakePlatform,
    school_day: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = school_day["school"]
    second = factories.school("Школа № 2")
    two_b = factories.school_class(second, teacher=factories.teacher(second, "Орлова"))
    factories.guardian_of(school_day["mother"], factories.student(two_b, "Кузнецова", "Дарья"))
    parent = school_day["parent"]
    platform.phones_with_profile[E164] = MOTHER_SUB
    signed_in(client, "mother")
    client.post("/integration/messenger/", {"phone": PHONE})
    (asked,) = platform.link_requests.values()
    assert asked["org_ref"] == first.sourced_id  # manual 003 asks about one school

    platform.link_request_answer(asked["id"], "confirmed")  # «Подключить» in the «Сферум» chat
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get("/integration/").content.decode()  # «обновите страницу»
    assert "Телефон, привязанный к Сферум" in page
    assert live(parent.pk) == [("parent", first.sourced_id, MOTHER_SUB)]
    # Until the worker binds the other school, the section says so.
    assert "Учебный профиль «Сферум» ещё не привязан в школе: Школа № 2 (родитель)." in page

    assert run_queued("bindings_extend_task") == [1]  # the task the confirmation queued

    assert live(parent.pk) == sorted(
        [
            ("parent", first.sourced_id, MOTHER_SUB),
            ("parent", second.sourced_id, MOTHER_SUB),
        ]
    )
    assert platform_links(platform, parent.pk) == sorted(
        [
            (first.sourced_id, MOTHER_SUB),
            (second.sourced_id, MOTHER_SUB),
        ]
    )
    assert platform.orgs[second.sourced_id] == "Школа № 2"
    (added,) = Binding.objects.filter(account=parent, org_ref=second.sourced_id)
    assert added.link_id in platform.links
    assert (added.phone, added.profile_name) == (
        E164,
        Binding.objects.get(org_ref=first.sourced_id).profile_name,
    )
    linked = BindingEvent.objects.filter(account=parent, kind="linked").order_by("pk")
    assert [e.detail.get("schools") for e in linked] == [None, [second.sourced_id]]
    assert "ещё не привязан" not in client.get("/integration/").content.decode()
    # A second run of the task (a duplicate) changes nothing.
    before = (len(platform.links), Binding.objects.count(), BindingEvent.objects.count())
    assert bindings_extend_task.call(parent.pk, "messenger") == 0
    assert (len(platform.links), Binding.objects.count(), BindingEvent.objects.count()) == before


# --- the reconcile: a linked teacher gains a second school ---------------------------------------------


def teacher_claims() -> ProfileClaims:
    return ProfileClaims(
        sub=TEACHER_SUB,
        phone="+79521111111",
        family_name="Смирнова",
        given_name="Анна",
        middle_name="Петровна",
        birthdate=dt.date(1985, 3, 14),
        gender="female",
    )


@pytest.fixture
def two_schools(sync_platform: SyncPlatform) -> dict[str, Any]:  # noqa: F811
    """A teacher linked through the ID in school A, whose chats are on the platform; school B synced."""
    first, second = factories.school("Школа № 1"), factories.school("Школа № 2")
    teacher = factories.teacher(first)
    account = factories.account(teacher)
    factories.school_class(second, teacher=factories.teacher(second, "Орлова", "Ирина"))
    binding_create(config=config_required(), account_id=account.pk, claims=teacher_claims())
    assert sync_school(school_id=first.pk).status == "ok"
    assert sync_school(school_id=second.pk).status == "ok"
    assert TEACHER_SUB in sync_platform.members(first.sourced_id, "staff")
    return {"fake": sync_platform, "first": first, "second": second, "teacher": teacher, "account": account}


def hire_in_the_second_school(s: dict[str, Any], capture: Any) -> Any:
    with capture(execute=True):
        hired = staff_actions.staff_hire(person=s["teacher"], school=s["second"])
    queued = DBTaskResult.objects.filter(task_path__endswith="sync_school_task")
    assert [t.args_kwargs["args"] for t in queued] == [[s["second"].pk]]  # the outbox queued B's run
    return hired


def test_teacher_hired_in_a_second_school_is_bound_there_by_the_reconcile(
    two_schools: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    s = two_schools
    fake, first, second, account = s["fake"], s["first"], s["second"], s["account"]
    assert TEACHER_SUB not in fake.members(second.sourced_id, "staff")
    hired = hire_in_the_second_school(s, django_capture_on_commit_callbacks)

    assert sync_school(school_id=second.pk).status == "ok"  # the task the outbox queued

    assert live(account.pk) == sorted(
        [
            ("teacher", first.sourced_id, TEACHER_SUB),
            ("teacher", second.sourced_id, TEACHER_SUB),
        ]
    )
    assert platform_links(fake, account.pk) == sorted(
        [
            (first.sourced_id, TEACHER_SUB),
            (second.sourced_id, TEACHER_SUB),
        ]
    )
    assert TEACHER_SUB in fake.members(second.sourced_id, "staff")  # «Учительская — Школа № 2»
    assert TEACHER_SUB in fake.members(first.sourced_id, "staff")
    assert SyncChange.objects.filter(sub=TEACHER_SUB, school_id=second.pk, group_ref="staff").exists()
    started = BindingEvent.objects.filter(account=account, kind="link_started").order_by("-pk").first()
    assert started is not None
    assert started.detail["method"] == "sync"
    assert started.detail["schools"] == [second.sourced_id]
    assert started.detail["added_to_existing"] is True
    assert BindingEvent.objects.filter(account=account, kind="linked").count() == 2

    # Level-triggered and idempotent: the next run has nothing to bind or send.
    counts = (
        len(fake.links),
        Binding.objects.count(),
        BindingEvent.objects.count(),
        SyncChange.objects.count(),
    )
    assert sync_school(school_id=second.pk, force=True).status == "ok"
    assert (
        len(fake.links),
        Binding.objects.count(),
        BindingEvent.objects.count(),
        SyncChange.objects.count(),
    ) == counts

    # The role lost: the run takes the teacher out of B's chats; the binding stays, nothing unlinked.
    staff_actions.staff_leave(assignment=hired)
    assert sync_school(school_id=second.pk).status == "ok"
    assert TEACHER_SUB not in fake.members(second.sourced_id, "staff")
    assert SyncChange.objects.filter(sub=TEACHER_SUB, school_id=second.pk, change="removed").get().reason == (
        "staff_left"
    )
    assert ("teacher", second.sourced_id, TEACHER_SUB) in live(account.pk)
    assert not BindingEvent.objects.filter(kind="unlinked").exists()


def test_a_lost_answer_while_binding_the_second_school_leaves_nothing_half_done_and_the_retry_repairs(
    two_schools: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    s = two_schools
    fake, first, second, account = s["fake"], s["first"], s["second"], s["account"]
    hire_in_the_second_school(s, django_capture_on_commit_callbacks)
    original = fake.api

    def lose_link_answers(method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:
        status, data = original(method, path, query, body)
        return (502, {"detail": "bad gateway"}) if (method, path) == ("POST", "/links") else (status, data)

    fake.api = lose_link_answers  # type: ignore[method-assign]
    result = sync_school(school_id=second.pk)
    assert result.status == "failed"  # retried with back-off
    assert live(account.pk) == [("teacher", first.sourced_id, TEACHER_SUB)]  # nothing half-written
    failed = Binding.objects.get(account=account, org_ref=second.sourced_id)
    assert (failed.state, failed.cleanup_needed) == (BindingState.FAILED, True)
    assert len(platform_links(fake, account.pk)) == 2  # the platform made the link we did not hear of
    assert TEACHER_SUB not in fake.members(second.sourced_id, "staff")
    assert SyncSchool.objects.get(school_id=second.pk).status == "failed"

    fake.api = original  # type: ignore[method-assign]
    assert sync_school(school_id=second.pk, force=True).status == "ok"  # the retry
    bound = Binding.objects.get(account=account, org_ref=second.sourced_id, state=BindingState.ACTIVE)
    assert platform_links(fake, account.pk) == sorted(
        [
            (first.sourced_id, TEACHER_SUB),
            (second.sourced_id, TEACHER_SUB),
        ]
    )
    assert bound.link_id in fake.links
    held = set(Binding.objects.filter(state=BindingState.ACTIVE).values_list("link_id", flat=True))
    assert set(fake.links) == held  # no stray link left on the platform
    assert TEACHER_SUB in fake.members(second.sourced_id, "staff")
    assert TEACHER_SUB in fake.members(first.sourced_id, "staff")  # school A's link was never touched


# --- linking again through the ID -----------------------------------------------------------------------


@pytest.fixture
def hired_after_linking(client: Client, platform: FakePlatform, school_day: dict[str, Any]) -> dict[str, Any]:
    """The teacher of ``school_day`` linked through the ID, then hired in a second school."""
    signed_in(client, "teach")
    assert link(client)["Location"] == "/integration/"
    second = factories.school("Школа № 2")
    teacher = school_day["teacher"].person
    staff_actions.staff_hire(person=teacher, school=second)
    return {"first": school_day["school"], "second": second, "account": school_day["teacher"]}


def test_linking_again_through_the_id_with_the_same_profile_adds_the_missing_school(
    client: Client, platform: FakePlatform, hired_after_linking: dict[str, Any]
) -> None:
    first, second, account = (hired_after_linking[k] for k in ("first", "second", "account"))
    first_link = Binding.objects.get(account=account).link_id
    section = client.get("/integration/").content.decode()
    assert "Учебный профиль «Сферум» ещё не привязан в школе: Школа № 2 (учитель)." in section
    assert "Привязать сейчас" in section
    # «Привязать сейчас» (or «Подключить» in «Партнеры») goes to the ID again, and back to the window.
    consent = to_the_id_and_back(client)
    assert consent["Location"] == "/integration/consent/"
    done = client.post("/integration/consent/", {"action": "link"})
    assert done["Location"] == "/integration/"

    assert live(account.pk) == sorted(
        [
            ("teacher", first.sourced_id, TEACHER_SUB),
            ("teacher", second.sourced_id, TEACHER_SUB),
        ]
    )
    assert platform_links(platform, account.pk) == sorted(
        [
            (first.sourced_id, TEACHER_SUB),
            (second.sourced_id, TEACHER_SUB),
        ]
    )
    assert Binding.objects.get(account=account, org_ref=first.sourced_id).link_id == first_link
    page = client.get("/integration/").content.decode()
    assert "Ваш учебный профиль «Сферум» привязан к вашей учетной записи." in page
    assert "ещё не привязан" not in page
    # Bound everywhere: the entry points lead to the section, not to the ID.
    assert client.get("/integration/connect/")["Location"] == "/integration/"


def test_linking_again_through_the_id_with_another_profile_is_still_refused(
    client: Client, platform: FakePlatform, hired_after_linking: dict[str, Any]
) -> None:
    account = hired_after_linking["account"]
    before = dict(platform.links)
    platform.profile = Profile(sub="6f1c2d9e-5a1b-4c1d-8e1f-000000000031", phone="+79521119999")
    response = link(client)
    assert response.status_code == 409
    assert ALREADY_OTHER_PROFILE in response.content.decode()
    assert live(account.pk) == [("teacher", hired_after_linking["first"].sourced_id, TEACHER_SUB)]
    assert platform.links == before
    refused = BindingEvent.objects.filter(kind="link_refused").get()
    assert refused.detail["reason"] == "other_profile"
