"""API v1 contract: authentication, organizations, links, a profile's chats (real HTTP through Django's
test client, real database)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from parta.messenger.models import ChatMember, Membership
from parta.messenger.tests.apiclient import Journal, journal, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def bars(db: None) -> Journal:
    j = journal("БАРС.Электронная школа")
    assert j.put("/orgs/school-1", {"name": "ГБОУ Школа № 1"}).status_code == 201
    return j


@pytest.fixture
def mesh(db: None) -> Journal:
    j = journal("МЭШ")
    assert j.put("/orgs/lyceum-8", {"name": "ГБОУ Лицей № 8"}).status_code == 201
    return j


# --- authentication -----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "wrong-token", "pj_" + "x" * 32])
def test_without_a_valid_token_every_endpoint_is_401_in_russian(bars: Journal, token: str) -> None:
    sub = str(uuid.uuid4())
    calls = [
        ("PUT", "/orgs/school-1", {"name": "Другая"}),
        ("GET", "/orgs/school-1", None),
        (
            "POST",
            "/links",
            {"profile_sub": sub, "org_ref": "school-1", "journal_account_ref": "a", "roles": ["student"]},
        ),
        ("GET", "/links", None),
        ("DELETE", "/links/1", None),
        ("POST", "/orgs/school-1/groups:sync", {"groups": []}),
        ("GET", "/orgs/school-1/groups/5a", None),
        ("GET", f"/profiles/{sub}/chats", None),
    ]
    for method, path, body in calls:
        response = bars.call(method, path, body, token=token)
        assert response.status_code == 401, (method, path)
        assert "токен API журнала" in response.json()["detail"]
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert bars.get("/orgs/school-1").json()["name"] == "ГБОУ Школа № 1"  # nothing was renamed


def test_a_switched_off_journal_is_refused(bars: Journal) -> None:
    bars.client.is_active = False
    bars.client.save()
    assert bars.get("/orgs/school-1").status_code == 401


def test_openapi_is_served_and_names_bearer_auth(bars: Journal) -> None:
    schema = bars.http.get("/api/v1/openapi.json").json()
    assert "/api/v1/orgs/{org_ref}/groups:sync" in schema["paths"]
    assert schema["components"]["securitySchemes"]["JournalToken"]["scheme"] == "bearer"


# --- organizations ------------------------------------------------------------------------------------


def test_put_org_registers_then_renames_idempotently(bars: Journal) -> None:
    response = bars.put("/orgs/school-2", {"name": "Школа № 2"})
    assert response.status_code == 201
    assert response.json()["org_ref"] == "school-2"
    again = bars.put("/orgs/school-2", {"name": "Школа № 2"})
    assert again.status_code == 200
    assert again.json()["updated_at"] == response.json()["updated_at"]
    renamed = bars.put("/orgs/school-2", {"name": "ГБОУ Школа № 2 имени Пушкина"})
    assert renamed.status_code == 200
    assert bars.get("/orgs/school-2").json()["name"] == "ГБОУ Школа № 2 имени Пушкина"


def test_empty_name_is_422_with_russian_detail(bars: Journal) -> None:
    response = bars.put("/orgs/school-2", {"name": ""})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Запрос не разобран: проверьте поля «name»")
    assert bars.get("/orgs/school-2").status_code == 404


def test_another_journals_org_is_simply_not_found(bars: Journal, mesh: Journal) -> None:
    sub = str(person().sub)
    assert mesh.get("/orgs/school-1").status_code == 404
    assert (
        mesh.get("/orgs/school-1").json()["detail"]
        == "Организация «school-1» не зарегистрирована этим журналом."
    )
    assert mesh.post("/orgs/school-1/groups:sync", {"groups": []}).status_code == 404
    assert mesh.get("/orgs/school-1/groups/5a").status_code == 404
    body = {"profile_sub": sub, "org_ref": "school-1", "journal_account_ref": "a", "roles": ["student"]}
    assert mesh.post("/links", body).status_code == 404
    # The same ref is a different school for another journal.
    assert mesh.put("/orgs/school-1", {"name": "Школа МЭШ"}).status_code == 201
    assert bars.get("/orgs/school-1").json()["name"] == "ГБОУ Школа № 1"


# --- links ------------------------------------------------------------------------------------------


def _link_body(
    profile: Any, account: str = "acc-1", roles: list[str] | None = None, org: str = "school-1"
) -> dict[str, Any]:
    return {
        "profile_sub": str(profile.sub),
        "org_ref": org,
        "journal_account_ref": account,
        "roles": roles or ["parent"],
        "display": {"first_name": "Елена", "last_name": "Кузнецова"},
    }


def test_post_link_makes_a_member_and_repeating_returns_the_same_link(bars: Journal) -> None:
    parent = person("Кузнецова", "Елена", "Сергеевна")
    first = bars.post("/links", _link_body(parent))
    assert first.status_code == 201
    link = first.json()
    assert link["roles"] == ["parent"]
    assert link["display"] == {"first_name": "Елена", "last_name": "Кузнецова"}
    membership = Membership.objects.get(profile=parent, organization__ref="school-1")
    assert membership.is_parent
    assert not membership.is_teacher

    again = bars.post("/links", _link_body(parent))
    assert again.status_code == 200
    assert again.json()["id"] == link["id"]

    more_roles = bars.post("/links", _link_body(parent, roles=["teacher", "parent"]))
    assert more_roles.status_code == 200
    assert more_roles.json()["roles"] == ["teacher", "parent"]
    assert Membership.objects.get(profile=parent).is_teacher


def test_one_profile_is_one_journal_account_per_journal_409(bars: Journal, mesh: Journal) -> None:
    anna, boris = person("Смирнова", "Анна"), person("Волков", "Борис")
    assert bars.post("/links", _link_body(anna, "acc-anna")).status_code == 201
    taken = bars.post("/links", _link_body(boris, "acc-anna"))
    assert taken.status_code == 409
    assert "«acc-anna» уже связана с другим учебным профилем" in taken.json()["detail"]
    other_account = bars.post("/links", _link_body(anna, "acc-anna-2"))
    assert other_account.status_code == 409
    assert "уже связан с другой учётной записью журнала «acc-anna»" in other_account.json()["detail"]
    assert not Membership.objects.filter(profile=boris).exists()
    # The same person in a second school of the same journal: the same account, a second link.
    bars.put("/orgs/school-2", {"name": "Школа № 2"})
    assert bars.post("/links", _link_body(anna, "acc-anna", org="school-2")).status_code == 201
    # Another journal has its own accounts.
    assert mesh.post("/links", _link_body(anna, "acc-anna-2", org="lyceum-8")).status_code == 201


def test_unknown_profile_and_bad_roles_are_refused(bars: Journal) -> None:
    body = _link_body(person())
    unknown = bars.post("/links", {**body, "profile_sub": str(uuid.uuid4())})
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "Учебный профиль с таким profile_sub не найден."
    assert bars.post("/links", {**body, "roles": ["director"]}).status_code == 422
    assert bars.post("/links", {**body, "roles": []}).status_code == 422
    assert bars.post("/links", {**body, "profile_sub": "not-a-uuid"}).status_code == 422


def test_get_links_by_journal_account(bars: Journal) -> None:
    anna = person("Смирнова", "Анна")
    bars.post("/links", _link_body(anna, "acc-anna"))
    bars.post("/links", _link_body(person(), "acc-other"))
    found = bars.get("/links?journal_account_ref=acc-anna").json()
    assert [(link["journal_account_ref"], link["profile_sub"]) for link in found] == [
        ("acc-anna", str(anna.sub))
    ]
    assert bars.get("/links?journal_account_ref=nobody").json() == []


def test_delete_link_ends_membership_and_leaves_the_orgs_chats(bars: Journal, mesh: Journal) -> None:
    student = person("Кузнецов", "Артём")
    link = bars.post("/links", _link_body(student, "acc-artem", roles=["student"])).json()
    sync = bars.post(
        "/orgs/school-1/groups:sync",
        {"groups": [{"group_ref": "5a", "kind": "class", "title": "5А", "members": [str(student.sub)]}]},
    )
    assert sync.json()["groups"][0]["added"] == 1
    assert mesh.delete(f"/links/{link['id']}").status_code == 404  # not mesh's link
    response = bars.delete(f"/links/{link['id']}")
    assert response.status_code == 204
    assert not Membership.objects.filter(profile=student).exists()
    assert not ChatMember.objects.filter(profile=student).exists()
    assert bars.delete(f"/links/{link['id']}").status_code == 404
    assert bars.get("/links?journal_account_ref=acc-artem").json() == []


# --- a profile's chats ------------------------------------------------------------------------------


def test_profile_chats_for_the_journals_sferum_section(bars: Journal, mesh: Journal) -> None:
    teacher = person("Смирнова", "Анна", "Петровна")
    student = person("Кузнецов", "Артём", "Дмитриевич")
    bars.post("/links", _link_body(teacher, "t-1", roles=["teacher"]))
    bars.post("/links", _link_body(student, "s-1", roles=["student"]))
    groups = [
        {
            "group_ref": "5a",
            "kind": "class",
            "title": "5А",
            "members": [str(student.sub)],
            "admins": [str(teacher.sub)],
        },
        {
            "group_ref": "5a-math",
            "kind": "subject",
            "title": "5А — математика",
            "subject": "Математика",
            "members": [str(student.sub), str(teacher.sub)],
        },
        {"group_ref": "staff", "kind": "staff", "title": "Учительская", "members": [str(teacher.sub)]},
    ]
    assert bars.post("/orgs/school-1/groups:sync", {"groups": groups}).status_code == 200

    chats = bars.get(f"/profiles/{student.sub}/chats?org_ref=school-1").json()
    assert [
        (c["name"], c["kind_label"], c["member_count"], c["admin_name"], c["subject"]) for c in chats
    ] == [
        ("5А", "Классный чат", 2, "Смирнова Анна Петровна", ""),
        ("5А — математика", "Предметный чат", 2, "", "Математика"),
    ]
    assert chats[0]["url"] == f"http://testserver/chats/{chats[0]['id']}/"
    assert chats[0]["group_ref"] == "5a"
    assert chats[0]["managed"] is True
    assert len(bars.get(f"/profiles/{teacher.sub}/chats").json()) == 3
    # Another journal does not see this profile's chats; an unknown org or profile is 404.
    assert mesh.get(f"/profiles/{student.sub}/chats").status_code == 404
    assert bars.get(f"/profiles/{student.sub}/chats?org_ref=nowhere").status_code == 404
    assert bars.get(f"/profiles/{uuid.uuid4()}/chats").status_code == 404


def test_strings_the_database_cannot_store_are_422_not_500(bars: Journal) -> None:
    nul = bars.put("/orgs/school-2", {"name": "Школа\u0000"})
    assert nul.status_code == 422
    assert nul.json()["detail"] == "Запрос не разобран: проверьте поля «name»."
    assert "NUL" in nul.json()["errors"][0]["msg"]
    surrogate = bars.call(
        "PUT", "/orgs/school-2", None, data='{"name": "\\ud800"}', content_type="application/json"
    )
    assert surrogate.status_code == 422
    assert bars.get("/orgs/school%002").status_code == 422
    assert bars.get("/orgs/school-2").status_code == 404  # nothing was stored
