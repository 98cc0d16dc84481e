"""Linking through the ID, the consent window, refusals, unlinking and faults — through the journal's
pages (Django's client), against a fake ID and API v1 on a real local socket (see ``fakes.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.test import Client

from parta.integration.models import Binding, BindingEvent, BindingState
from parta.integration.tests.conftest import signed_in
from parta.integration.tests.fakes import FakePlatform, Profile
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


def to_the_id_and_back(client: Client) -> Any:
    """«Перейти к подключению» → the ID (which answers with a code at once) → the journal's callback."""
    start = client.get("/integration/connect/")
    assert start.status_code == 302, start.content.decode()[:500]
    authorize = httpx.get(start["Location"], follow_redirects=False, timeout=5)
    assert authorize.status_code == 302
    back = urlsplit(authorize.headers["Location"])
    assert back.path == "/integration/callback/"
    return client.get(f"{back.path}?{back.query}")


def link(client: Client) -> Any:
    callback = to_the_id_and_back(client)
    assert callback["Location"] == "/integration/consent/"
    return client.post("/integration/consent/", {"action": "link"})


def test_authorize_request_carries_state_nonce_and_pkce_s256(client: Client, platform, school_day) -> None:
    signed_in(client, "teach")
    start = client.get("/integration/connect/")
    query = dict(pair.split("=", 1) for pair in urlsplit(start["Location"]).query.split("&"))
    assert start["Location"].startswith(platform.issuer + "/authorize/")
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["state"]
    assert query["nonce"]
    assert query["client_id"] == "test-journal"


def test_teacher_links_after_the_consent_window(client: Client, platform: FakePlatform, school_day) -> None:
    signed_in(client, "teach")
    consent = to_the_id_and_back(client)
    page = client.get(consent["Location"]).content.decode()
    assert "Добавление профиля «Сферум»" in page
    assert "Вы действительно хотите привязать аккаунт «Сферум» к вашей учетной записи?" in page
    assert "Смирнова Анна Петровна" in page
    assert "+7 952 ***-**-11" in page
    assert "teach" in page
    assert ">Отмена<" in page
    assert ">Привязать<" in page
    assert not Binding.objects.exists()  # nothing is stored before «Привязать»

    done = client.post("/integration/consent/", {"action": "link"})
    assert done["Location"] == "/integration/"
    binding = Binding.objects.get()
    assert (binding.state, binding.role, binding.profile_sub) == (
        BindingState.ACTIVE,
        "teacher",
        "6f1c2d9e-5a1b-4c1d-8e1f-000000000001",
    )
    assert binding.link_id in platform.links
    link_on_platform = platform.links[binding.link_id]
    assert link_on_platform["roles"] == ["teacher"]
    assert link_on_platform["org_ref"] == school_day["school"].sourced_id
    assert platform.orgs == {school_day["school"].sourced_id: "Школа № 1"}
    assert list(BindingEvent.objects.values_list("kind", flat=True)) == ["linked", "link_started"]

    section = client.get("/integration/").content.decode()
    assert "Телефон, привязанный к Сферум" in section
    assert 'value="+7(952) 111-11-11"' in section
    assert "Перейти в Сферум" in section
    assert "Отвязать учетную запись" in section
    assert "Чатов пока нет" in section


def test_parent_of_children_in_two_schools_links_in_both(
    client: Client, platform: FakePlatform, school_day
) -> None:
    other_school = factories.school("Школа № 2")
    two_b = factories.school_class(other_school, teacher=factories.teacher(other_school, "Орлова"))
    mother = school_day["mother"]
    factories.guardian_of(mother, factories.student(two_b, "Кузнецова", "Дарья"))
    platform.profile = Profile(
        sub="6f1c2d9e-5a1b-4c1d-8e1f-000000000009",
        family_name="Кузнецова",
        given_name="Елена",
        birthdate=mother.birth_date.isoformat(),
    )
    signed_in(client, "mother")

    done = link(client)

    assert done["Location"] == "/integration/"
    bindings = Binding.objects.filter(state=BindingState.ACTIVE).order_by("org_ref")
    assert sorted((b.role, b.org_ref) for b in bindings) == sorted(
        [("parent", school_day["school"].sourced_id), ("parent", other_school.sourced_id)]
    )
    assert {platform.links[b.link_id]["org_ref"] for b in bindings} == {
        school_day["school"].sourced_id,
        other_school.sourced_id,
    }


def test_cancel_in_the_consent_window_stores_nothing(client: Client, platform, school_day) -> None:
    signed_in(client, "teach")
    to_the_id_and_back(client)
    response = client.post("/integration/consent/", {"action": "cancel"}, follow=True)
    assert "Мессенджер не подключен" in response.content.decode()
    assert not Binding.objects.exists()
    assert not platform.links
    # The window cannot be confirmed afterwards.
    assert client.post("/integration/consent/", {"action": "link"}).status_code == 400


def test_replayed_or_unknown_state_is_refused(client: Client, platform, school_day) -> None:
    signed_in(client, "teach")
    start = client.get("/integration/connect/")
    back = urlsplit(httpx.get(start["Location"], follow_redirects=False, timeout=5).headers["Location"])
    first = client.get(f"{back.path}?{back.query}")
    assert first["Location"] == "/integration/consent/"
    replay = client.get(f"{back.path}?{back.query}")
    assert replay.status_code == 400
    assert "Ссылка подключения устарела или уже использована" in replay.content.decode()

    client.get("/integration/connect/")
    forged = client.get("/integration/callback/?code=x&state=not-the-state")
    assert forged.status_code == 400
    assert not Binding.objects.exists()


def test_state_is_bound_to_the_journal_account(client: Client, platform, school_day) -> None:
    signed_in(client, "teach")
    start = client.get("/integration/connect/")
    back = urlsplit(httpx.get(start["Location"], follow_redirects=False, timeout=5).headers["Location"])
    session_cookie = client.cookies
    other = Client()
    other.cookies = session_cookie
    other.logout()
    signed_in(other, "mother")  # another account signs in on the same browser
    assert other.get(f"{back.path}?{back.query}").status_code == 400


def test_wrong_nonce_in_the_id_token_is_refused(client: Client, platform: FakePlatform, school_day) -> None:
    platform.nonce_override = "someone-elses-nonce"
    signed_in(client, "teach")
    response = to_the_id_and_back(client)
    assert response.status_code == 400
    assert not Binding.objects.exists()


def test_profile_bound_to_another_account_is_refused(client: Client, platform, school_day) -> None:
    signed_in(client, "teach")
    link(client)
    client.logout()
    signed_in(client, "mother")  # the same profile (same phone) for another account of this journal
    platform.profile = Profile(
        sub="6f1c2d9e-5a1b-4c1d-8e1f-000000000001",
        family_name="Кузнецова",
        given_name="Елена",
        birthdate="1985-01-01",
    )
    response = link(client)
    assert response.status_code == 409
    assert "уже привязан к другой учётной записи журнала" in response.content.decode()
    assert Binding.objects.filter(state=BindingState.ACTIVE).count() == 1
    refused = BindingEvent.objects.get(kind="link_refused")  # the refusal is in the audit trail
    assert (refused.account_id, refused.detail["reason"]) == (school_day["parent"].pk, "elsewhere")


def test_conflict_reported_by_the_platform_is_shown_and_nothing_kept(
    client: Client, platform: FakePlatform, school_day
) -> None:
    platform.links["7"] = {
        "id": "7",
        "profile_sub": "6f1c2d9e-5a1b-4c1d-8e1f-000000000001",
        "org_ref": school_day["school"].sourced_id,
        "journal_account_ref": "999",
        "roles": ["teacher"],
    }
    signed_in(client, "teach")
    response = link(client)
    assert response.status_code == 409
    assert "Этот учебный профиль уже привязан к другой учётной записи журнала." in response.content.decode()
    assert not Binding.objects.filter(state__in=["pending", "active"]).exists()


def test_parent_cannot_link_their_childs_profile(client: Client, platform, school_day) -> None:
    pupil = school_day["pupil"]
    platform.profile = Profile(
        sub="6f1c2d9e-5a1b-4c1d-8e1f-000000000002",
        family_name="Кузнецов",
        given_name="Артём",
        birthdate=pupil.birth_date.isoformat(),
    )
    signed_in(client, "mother")
    response = link(client)
    assert response.status_code == 409
    assert "Это учебный профиль вашего ребёнка (Кузнецов Артём Сергеевич)" in response.content.decode()
    assert not Binding.objects.exists()
    assert not platform.links


def test_student_cannot_link_a_parents_profile(client: Client, platform, school_day) -> None:
    mother = school_day["mother"]
    platform.profile = Profile(
        sub="6f1c2d9e-5a1b-4c1d-8e1f-000000000003",
        family_name="Кузнецова",
        given_name="Елена",
        birthdate=mother.birth_date.isoformat(),
    )
    signed_in(client, "pupil")
    response = link(client)
    assert response.status_code == 409
    assert "Это учебный профиль вашего родителя" in response.content.decode()


def test_platform_down_at_consent_keeps_no_binding(
    client: Client, platform: FakePlatform, school_day, settings, closed_port: int
) -> None:
    signed_in(client, "teach")
    to_the_id_and_back(client)
    settings.PARTA_INTEGRATION_API_URL = f"http://127.0.0.1:{closed_port}/api/v1"
    response = client.post("/integration/consent/", {"action": "link"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "Сервис Сферум временно недоступен" in page
    assert "Повторить" in page
    assert not Binding.objects.filter(state__in=["pending", "active"]).exists()
    assert client.get("/integration/").content.decode().count("Мессенджер не подключен") == 1

    # The platform is back: «Повторить» confirms the same window, and it links.
    settings.PARTA_INTEGRATION_API_URL = ""
    retry = client.post("/integration/consent/", {"action": "link"})
    assert retry["Location"] == "/integration/"
    assert Binding.objects.get(state=BindingState.ACTIVE).link_id in platform.links


def test_lost_answer_is_repaired_before_the_next_linking(
    client: Client, platform: FakePlatform, school_day
) -> None:
    """The platform made the link but its answer was lost (HTTP 502): the stray link is deleted later."""
    signed_in(client, "teach")
    to_the_id_and_back(client)
    original = platform.api

    def lose_answer(method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:
        status, data = original(method, path, query, body)
        if method == "POST":
            return 502, {"detail": "bad gateway"}
        return status, data

    platform.api = lose_answer  # type: ignore[method-assign]
    assert client.post("/integration/consent/", {"action": "link"}).status_code == 503
    assert len(platform.links) == 1  # the platform has it, the journal does not
    failed = Binding.objects.get()
    assert failed.state == BindingState.FAILED
    assert failed.cleanup_needed

    platform.api = original  # type: ignore[method-assign]
    link(client)
    active = Binding.objects.get(state=BindingState.ACTIVE)
    assert list(platform.links) == [active.link_id]
    assert "repaired" in BindingEvent.objects.values_list("kind", flat=True)


def test_section_when_the_platform_is_slow_says_unavailable(
    client: Client, platform: FakePlatform, school_day, settings
) -> None:
    signed_in(client, "teach")
    link(client)
    settings.PARTA_INTEGRATION_TIMEOUT = 0.3
    platform.delay = 1.0
    page = client.get("/integration/")
    assert page.status_code == 200
    assert "Сервис Сферум временно недоступен" in page.content.decode()
    platform.delay = 0


def test_section_lists_the_chats_the_platform_reports(
    client: Client, platform: FakePlatform, school_day
) -> None:
    platform.chats = [
        {
            "name": "5А — класс",
            "kind_label": "Классный чат",
            "member_count": 3,
            "admin_name": "Смирнова Анна Петровна",
            "subject": "",
            "url": f"{platform.url}/chats/1/",
        },
        {
            "name": "Математика 5А",
            "kind_label": "Предметный чат",
            "member_count": 25,
            "admin_name": "Смирнова Анна Петровна",
            "subject": "Математика",
            "url": f"{platform.url}/chats/2/",
        },
    ]
    signed_in(client, "teach")
    link(client)
    page = client.get("/integration/").content.decode()
    for header in ("Наименование", "Тип", "Количество участников", "Администратор чата", "Предмет"):
        assert f">{header}</th>" in page
    assert "5А — класс" in page
    assert "Классный чат" in page
    assert "Математика 5А" in page
    conferences = client.get("/integration/?tab=conferences").content.decode()
    assert "Видеоконференции" in conferences
    assert "Видеоконференций пока нет" in conferences  # the tab itself: test_conferences.py


def test_unlink_with_yes_ends_both_sides_and_relinking_works(
    client: Client, platform: FakePlatform, school_day
) -> None:
    signed_in(client, "teach")
    link(client)
    window = client.get("/integration/unlink/").content.decode()
    assert ">Да<" in window
    assert ">Нет<" in window
    assert client.post("/integration/unlink/", {"action": "keep"})["Location"] == "/integration/"
    assert Binding.objects.filter(state=BindingState.ACTIVE).exists()

    client.post("/integration/unlink/", {"action": "unlink"})
    ended = Binding.objects.get()
    assert ended.state == BindingState.ENDED
    assert ended.ended_by_id == school_day["teacher"].pk
    assert not platform.links
    assert "Мессенджер не подключен" in client.get("/integration/").content.decode()

    link(client)
    assert Binding.objects.filter(state=BindingState.ACTIVE).count() == 1
    assert len(platform.links) == 1


def test_unlink_from_security_external_accounts(client: Client, platform: FakePlatform, school_day) -> None:
    signed_in(client, "teach")
    link(client)
    security = client.get("/settings/security/").content.decode()
    assert "Сферум" in security
    assert "6f1c2d9e-5a1b-4c1d-8e1f-000000000001" in security
    assert "Отвязать Сферум" in security
    window = client.get("/integration/unlink/?from=security").content.decode()
    assert "Удаление профиля «Сферум»" in window
    assert ">Отвязать<" in window
    done = client.post("/integration/unlink/?from=security", {"action": "unlink"})
    assert done["Location"] == "/settings/security/"
    assert not platform.links
    assert "6f1c2d9e-5a1b-4c1d-8e1f-000000000001" not in client.get("/settings/security/").content.decode()


def test_unlink_while_the_platform_is_down_changes_nothing(
    client: Client, platform: FakePlatform, school_day, settings, closed_port: int
) -> None:
    signed_in(client, "teach")
    link(client)
    settings.PARTA_INTEGRATION_API_URL = f"http://127.0.0.1:{closed_port}/api/v1"
    response = client.post("/integration/unlink/", {"action": "unlink"})
    assert response.status_code == 503
    assert "Повторить" in response.content.decode()
    assert Binding.objects.get().state == BindingState.ACTIVE
    assert len(platform.links) == 1


def test_support_only_policy_hides_the_button_and_refuses_self_unlink(
    client: Client, platform: FakePlatform, school_day, settings
) -> None:
    settings.PARTA_INTEGRATION_UNLINK_POLICY = {"teacher": "support_only", "*": "self"}
    signed_in(client, "teach")
    link(client)
    section = client.get("/integration/").content.decode()
    assert "Отвязать учетную запись" not in section
    assert "только через службу технической поддержки" in section
    assert "Отвязать Сферум" not in client.get("/settings/security/").content.decode()
    refused = client.post("/integration/unlink/", {"action": "unlink"})
    assert refused.status_code == 403
    assert Binding.objects.get().state == BindingState.ACTIVE


def test_operator_unlinks_in_the_administration_with_a_reason(
    client: Client, platform: FakePlatform, school_day, settings
) -> None:
    settings.PARTA_INTEGRATION_UNLINK_POLICY = {"*": "support_only"}
    signed_in(client, "teach")
    link(client)
    from parta.journal.tests import factories

    operator = factories.account(username="operator")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    admin = Client()
    signed_in(admin, "operator")
    binding = Binding.objects.get()
    url = "/admin/integration/binding/"
    asked = admin.post(url, {"action": "unlink", "_selected_action": [binding.pk]})
    assert "Причина" in asked.content.decode()
    assert Binding.objects.get().state == BindingState.ACTIVE
    admin.post(url, {"action": "unlink", "_selected_action": [binding.pk], "reason": "Обращение №42"})
    binding.refresh_from_db()
    assert (binding.state, binding.end_reason, binding.ended_by_id) == ("ended", "Обращение №42", operator.pk)
    assert not platform.links
    event = BindingEvent.objects.filter(kind="unlinked").get()
    assert event.detail["reason"] == "Обращение №42"
    assert event.actor_id == operator.pk


def test_entry_points_lead_to_linking(client: Client, platform, school_day) -> None:
    signed_in(client, "teach")
    partners = client.get("/settings/partners/").content.decode()
    assert 'href="/integration/connect/"' in partners
    assert "Подключить" in partners
    assert client.get("/chats/")["Location"] == "/integration/"
    not_linked = client.get("/integration/").content.decode()
    assert "Мессенджер не подключен" in not_linked
    assert (
        "Для работы мессенджера необходимо связать ваш аккаунт Электронная школа с аккаунтом Сферум, "
        "чтобы общаться в чатах и проводить онлайн-звонки." in not_linked
    )
    assert "Перейти к подключению" in not_linked
    assert "Привязать учебный профиль Сферум ID" in not_linked  # staff (manual 002)
    home = client.get("/").content.decode()
    assert "Привязать аккаунт к Сферум" in home
    assert "Мессенджер" in client.get("/settings/").content.decode()


def test_families_do_not_see_the_staff_button(client: Client, platform, school_day) -> None:
    signed_in(client, "mother")
    page = client.get("/integration/").content.decode()
    assert "Перейти к подключению" in page
    assert "Привязать учебный профиль" not in page


def test_connect_with_the_id_down_says_unavailable(
    client: Client, school_day, settings, closed_port: int
) -> None:
    settings.PARTA_INTEGRATION_CREDENTIALS_FILE = ""
    settings.PARTA_INTEGRATION_CLIENT_ID = "c"
    settings.PARTA_INTEGRATION_CLIENT_SECRET = "s"
    settings.PARTA_INTEGRATION_API_TOKEN = "t"
    settings.PARTA_INTEGRATION_ISSUER = f"http://127.0.0.1:{closed_port}/id"
    signed_in(client, "teach")
    response = client.get("/integration/connect/")
    assert response.status_code == 503
    assert "Сервис Сферум временно недоступен" in response.content.decode()


def test_not_configured_says_so(client: Client, school_day, settings) -> None:
    settings.PARTA_INTEGRATION_CREDENTIALS_FILE = ""
    for name in ("CLIENT_ID", "CLIENT_SECRET", "API_TOKEN", "ISSUER"):
        setattr(settings, f"PARTA_INTEGRATION_{name}", "")
    signed_in(client, "teach")
    response = client.get("/integration/connect/")
    assert response.status_code == 503
    assert "Подключение к Сферум не настроено" in response.content.decode()


def test_credentials_file_configures_the_integration(tmp_path, settings) -> None:
    import json

    from parta.integration.conf import config

    file = tmp_path / "client.json"
    file.write_text(
        json.dumps(
            {
                "client_id": "demo-journal",
                "client_secret": "sec",
                "api_token": "parta_x",
                "issuer": "http://127.0.0.1:8001/id",
            }
        )
    )
    for name in ("CLIENT_ID", "CLIENT_SECRET", "API_TOKEN", "ISSUER", "API_URL", "PLATFORM_URL"):
        setattr(settings, f"PARTA_INTEGRATION_{name}", "")
    settings.PARTA_INTEGRATION_CREDENTIALS_FILE = str(file)
    current = config()
    assert (current.client_id, current.client_secret, current.api_token) == ("demo-journal", "sec", "parta_x")
    assert current.api_url == "http://127.0.0.1:8001/api/v1"
    assert current.platform_url == "http://127.0.0.1:8001"


def test_relinking_unknown_birthdate_person_is_allowed(client: Client, platform, school_day) -> None:
    person = school_day["teacher"].person
    person.birth_date = None
    person.save()
    platform.profile = Profile(
        sub="6f1c2d9e-5a1b-4c1d-8e1f-000000000004",
        birthdate=(dt.date.today() - dt.timedelta(days=365 * 40)).isoformat(),
    )
    signed_in(client, "teach")
    assert link(client)["Location"] == "/integration/"


def test_repair_command_deletes_links_left_by_a_lost_answer(
    client: Client, platform: FakePlatform, school_day
) -> None:
    from io import StringIO

    from django.core.management import call_command

    signed_in(client, "teach")
    to_the_id_and_back(client)
    original = platform.api

    def lose_answer(method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:
        status, data = original(method, path, query, body)
        return (502, {"detail": "bad gateway"}) if method == "POST" else (status, data)

    platform.api = lose_answer  # type: ignore[method-assign]
    client.post("/integration/consent/", {"action": "link"})
    platform.api = original  # type: ignore[method-assign]
    assert len(platform.links) == 1

    out = StringIO()
    call_command("integration_repair", stdout=out)
    assert "удалено связей: 1; ждут повтора: 0" in out.getvalue()
    assert not platform.links
    assert not Binding.objects.filter(cleanup_needed=True).exists()
