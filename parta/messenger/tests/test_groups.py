"""``POST /api/v1/orgs/{org_ref}/groups:sync``: the journal's groups become managed chats, set-wise."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer  # type: ignore[import-untyped]  # no type information
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parta.messenger.actions import groups
from parta.messenger.events import chat_group, profile_group
from parta.messenger.models import Chat, ChatKind, ChatMember, Link
from parta.messenger.tests.apiclient import Journal, journal, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def bars(db: None) -> Journal:
    j = journal()
    j.put("/orgs/school-1", {"name": "ГБОУ Школа № 1"})
    return j


def _people(j: Journal, n: int, role: str = "student", prefix: str = "p") -> list[str]:
    subs = []
    for i in range(n):
        profile = person("Ученик", f"Номер{i}")
        j.link(profile, "school-1", f"{prefix}-{i}", role)
        subs.append(str(profile.sub))
    return subs


def _sync(j: Journal, *groups: dict[str, Any]) -> Any:
    response = j.post("/orgs/school-1/groups:sync", {"groups": list(groups)})
    assert response.status_code == 200, response.content
    return response.json()


def _members(group_ref: str) -> dict[str, bool]:
    return {
        str(sub): is_admin
        for sub, is_admin in ChatMember.objects.filter(chat__managed_ref=group_ref).values_list(
            "profile__sub", "is_admin"
        )
    }


def test_a_group_state_creates_the_chat_and_repeating_it_changes_nothing(bars: Journal) -> None:
    students = _people(bars, 3)
    (teacher,) = _people(bars, 1, "teacher", "t")
    state = {"group_ref": "5a", "kind": "class", "title": "5А", "members": students, "admins": [teacher]}
    first = _sync(bars, state)["groups"][0]
    chat = Chat.objects.get(managed_ref="5a")
    assert (chat.kind, chat.title, chat.organization.ref) == (ChatKind.CLASS, "5А", "school-1")
    assert first == {
        "group_ref": "5a",
        "chat_id": chat.pk,
        "added": 4,
        "removed": 0,
        "admins_changed": 0,
        "created": True,
        "renamed": False,
        "archived": None,
        "unknown": [],
        "error": "",
    }
    assert _members("5a") == {**dict.fromkeys(students, False), teacher: True}

    second = _sync(bars, state)
    assert second["groups"][0] | {"chat_id": None} == {
        **first,
        "chat_id": None,
        "added": 0,
        "created": False,
    }
    assert (second["added"], second["removed"], second["admins_changed"]) == (0, 0, 0)
    assert Chat.objects.filter(managed_ref="5a").count() == 1


def test_a_new_state_replaces_members_and_admins_and_renames(bars: Journal) -> None:
    a, b, c = _people(bars, 3)
    _sync(bars, {"group_ref": "5a", "kind": "class", "title": "5А", "members": [a, b], "admins": [a]})
    result = _sync(
        bars,
        {
            "group_ref": "5a",
            "kind": "class",
            "title": "6А",
            "members": [b, c],
            "admins": [b],
            "archived": True,
        },
    )["groups"][0]
    assert (result["added"], result["removed"], result["admins_changed"]) == (1, 1, 1)
    assert result["renamed"] is True
    assert result["archived"] is True
    assert _members("5a") == {b: True, c: False}
    chat = Chat.objects.get(managed_ref="5a")
    assert chat.title == "6А"
    assert chat.is_archived
    assert chat.archived_at is not None


def test_deltas_add_remove_and_change_admins(bars: Journal) -> None:
    a, b, c, d = _people(bars, 4)
    _sync(bars, {"group_ref": "g", "kind": "other", "title": "Кружок", "members": [a, b], "admins": [a]})
    delta = {"group_ref": "g", "add": [c, d], "remove": [b], "admins_add": [c], "admins_remove": [a]}
    result = _sync(bars, delta)["groups"][0]
    # c joins as an admin (counted in "added"); a stops being one (the one admin change).
    assert (result["added"], result["removed"], result["admins_changed"]) == (2, 1, 1)
    assert _members("g") == {a: False, c: True, d: False}
    again = _sync(bars, delta)["groups"][0]
    assert (again["added"], again["removed"], again["admins_changed"]) == (0, 0, 0)


def test_a_delta_with_a_title_renames_the_chat_and_keeps_the_rest(
    bars: Journal, django_capture_on_commit_callbacks: Any
) -> None:
    """A year rollover renames thousands of chats: the delta carries the title, not every member again."""
    a, b, c = _people(bars, 3)
    _sync(
        bars,
        {"group_ref": "5a", "kind": "class", "title": "5А", "subject": "", "members": [a, b], "admins": [a]},
    )
    chat_id = Chat.objects.get(managed_ref="5a").pk
    layer = get_channel_layer()
    inbox_chat = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(chat_group(chat_id), inbox_chat)

    with django_capture_on_commit_callbacks(execute=True):
        result = _sync(bars, {"group_ref": "5a", "title": "  6А ", "remove": [b], "add": [c]})["groups"][0]

    assert (result["renamed"], result["added"], result["removed"], result["created"]) == (True, 1, 1, False)
    chat = Chat.objects.get(managed_ref="5a")
    assert (chat.title, chat.kind, chat.is_archived) == ("6А", ChatKind.CLASS, False)
    assert _members("5a") == {a: True, c: False}
    assert async_to_sync(layer.receive)(inbox_chat) == {
        "type": "messenger.chat_state",
        "chat": chat_id,
        "title": "6А",
        "archived": False,
    }
    again = _sync(bars, {"group_ref": "5a", "title": "6А"})["groups"][0]
    assert again["renamed"] is False  # idempotent: the same title again changes nothing
    blank = bars.post("/orgs/school-1/groups:sync", {"groups": [{"group_ref": "5a", "title": "   "}]})
    assert blank.status_code == 422
    assert Chat.objects.get(managed_ref="5a").title == "6А"


def test_a_batch_of_renames_reads_no_members_and_keeps_them(bars: Journal) -> None:
    """A year rollover renames every class chat by delta: the platform does not read their members."""
    a, b, c = _people(bars, 3)
    made = [
        {"group_ref": f"c{i}", "kind": "class", "title": f"{i + 5}А", "members": [a, b], "admins": [a]}
        for i in range(3)
    ]
    _sync(bars, *made)

    with CaptureQueriesContext(connection) as captured:
        results = _sync(bars, *[{"group_ref": f"c{i}", "title": f"{i + 6}А"} for i in range(3)])["groups"]

    assert [(r["renamed"], r["added"], r["removed"]) for r in results] == [(True, 0, 0)] * 3
    reads = [
        q["sql"] for q in captured if "chatmember" in q["sql"] and q["sql"].lstrip().startswith("SELECT")
    ]
    assert reads == []
    # a rename with a member to add reads that chat's members, and adds
    result = _sync(bars, {"group_ref": "c2", "title": "9А", "add": [c]})["groups"][0]
    assert (result["renamed"], result["added"], result["removed"]) == (True, 1, 0)
    assert [_members(f"c{i}") for i in range(3)] == [{a: True, b: False}] * 2 + [
        {a: True, b: False, c: False}
    ]
    assert list(Chat.objects.order_by("managed_ref").values_list("title", flat=True)) == ["6А", "7А", "9А"]


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "ids-past-packing"])
def test_removals_and_admin_changes_touch_only_the_chat_and_profile_pairs_given(
    bars: Journal, monkeypatch: pytest.MonkeyPatch, packed: bool
) -> None:
    """Members are rows keyed by (chat, profile): removing someone from one group, or taking their admin
    rights there, leaves them as they were in another group of the same batch."""
    monkeypatch.setattr(groups, "CHUNK", 2)  # several statements on SQLite, as a batch past its limit
    if not packed:  # PostgreSQL: the pairs as two arrays, as for ids too large to pack
        monkeypatch.setattr(groups, "PACKED_CHAT_LIMIT", 0)
    a, b, c, d = _people(bars, 4)
    both = {"kind": "other", "title": "Кружок", "members": [a, b, c, d], "admins": [a, b]}
    _sync(bars, {"group_ref": "g1", **both}, {"group_ref": "g2", **both})
    results = _sync(
        bars,
        {"group_ref": "g1", "remove": [c, d], "admins_remove": [a, b]},
        {"group_ref": "g2", "remove": [a], "admins_add": [c]},
    )["groups"]
    assert [(r["added"], r["removed"], r["admins_changed"]) for r in results] == [(0, 2, 2), (0, 1, 1)]
    assert _members("g1") == {a: False, b: False}
    assert _members("g2") == {b: True, c: True, d: False}


def test_unknown_members_are_reported_not_fatal(bars: Journal) -> None:
    (a,) = _people(bars, 1)
    stranger = str(person("Чужой", "Человек").sub)  # has a profile, but no link with this school
    result = _sync(
        bars, {"group_ref": "5a", "kind": "class", "title": "5А", "members": [a, stranger, "not-a-sub"]}
    )["groups"][0]
    assert result["added"] == 1
    assert result["unknown"] == [stranger, "not-a-sub"]
    assert _members("5a") == {a: False}


def test_a_delta_for_an_unknown_group_is_reported_and_the_rest_applied(bars: Journal) -> None:
    (a,) = _people(bars, 1)
    body = _sync(
        bars,
        {"group_ref": "nowhere", "add": [a]},
        {"group_ref": "5a", "kind": "class", "title": "5А", "members": [a]},
    )
    nowhere, ok = body["groups"]
    assert nowhere["chat_id"] is None
    assert nowhere["error"].startswith("Группа не найдена")
    assert ok["added"] == 1


def test_bad_batches_are_refused_whole_with_russian_detail(bars: Journal) -> None:
    (a,) = _people(bars, 1)
    state = {"group_ref": "5a", "kind": "class", "title": "5А", "members": [a]}
    twice = bars.post("/orgs/school-1/groups:sync", {"groups": [state, {"group_ref": "5a", "add": [a]}]})
    assert twice.status_code == 400
    assert twice.json()["detail"] == "Группа «5a» передана в пакете дважды: объедините её изменения."
    no_title = bars.post(
        "/orgs/school-1/groups:sync", {"groups": [{"group_ref": "x", "kind": "class", "members": [a]}]}
    )
    assert no_title.status_code == 422
    bad_kind = bars.post("/orgs/school-1/groups:sync", {"groups": [{**state, "kind": "club"}]})
    assert bad_kind.status_code == 422
    assert not Chat.objects.filter(managed_ref__in=["5a", "x"]).exists()


def test_get_group(bars: Journal) -> None:
    early = person("Ученик", "Ранний")  # its profile is older than a's and b's; it joins after them
    a, b = _people(bars, 2)
    _sync(
        bars,
        {
            "group_ref": "5a-math",
            "kind": "subject",
            "title": "Математика",
            "subject": "Математика",
            "members": [a, b],
            "admins": [b],
        },
    )
    group = bars.get("/orgs/school-1/groups/5a-math").json()
    assert (group["kind"], group["title"], group["subject"], group["archived"]) == (
        "subject",
        "Математика",
        "Математика",
        False,
    )
    assert sorted(group["members"]) == sorted([a, b])
    assert group["admins"] == [b]
    bars.link(early, "school-1", "e-0", "student")
    _sync(bars, {"group_ref": "5a-math", "add": [str(early.sub)]})
    later = bars.get("/orgs/school-1/groups/5a-math").json()
    assert later["members"] == [*group["members"], str(early.sub)]  # in the order they joined
    missing = bars.get("/orgs/school-1/groups/nowhere")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Группа «nowhere» не найдена."


def test_sync_is_set_wise_the_query_count_does_not_grow_with_the_batch(bars: Journal) -> None:
    subs = _people(bars, 30)

    def queries(groups: list[dict[str, Any]]) -> int:
        with CaptureQueriesContext(connection) as captured:
            _sync(bars, *groups)
        return len(captured)

    small = queries([{"group_ref": "s0", "kind": "class", "title": "S", "members": subs[:2]}])
    # 20 groups of 5 members (rows stay within one INSERT even on SQLite's parameter limit).
    big = queries(
        [
            {
                "group_ref": f"b{i}",
                "kind": "class",
                "title": f"B{i}",
                "members": subs[i : i + 5],
                "admins": subs[:1],
            }
            for i in range(20)
        ]
    )
    assert big == small
    assert ChatMember.objects.filter(chat__managed_ref__startswith="b").count() == sum(
        5 + (1 if i else 0) for i in range(20)
    )
    swap = queries(
        [
            {
                "group_ref": f"b{i}",
                "kind": "class",
                "title": f"B{i}",
                "members": subs[:i],
                "admins": subs[1:2],
            }
            for i in range(20)
        ]
    )
    assert swap <= small + 3  # + the DELETE and the two admin UPDATEs


def test_open_pages_learn_of_the_changes(bars: Journal, django_capture_on_commit_callbacks: Any) -> None:
    """The sockets of the people concerned get the events the messenger's pages handle."""
    a, b = _people(bars, 2)
    ids = dict(Link.objects.values_list("profile_sub", "profile_id"))
    a_id, b_id = (ids[uuid.UUID(s)] for s in (a, b))
    layer = get_channel_layer()
    inbox_a = async_to_sync(layer.new_channel)()
    inbox_b = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(profile_group(a_id), inbox_a)
    async_to_sync(layer.group_add)(profile_group(b_id), inbox_b)

    with django_capture_on_commit_callbacks(execute=True):
        chat_id = _sync(bars, {"group_ref": "5a", "kind": "class", "title": "5А", "members": [a, b]})[
            "groups"
        ][0]["chat_id"]
    added = {"type": "messenger.chats_changed", "added": [chat_id], "removed": []}
    assert async_to_sync(layer.receive)(inbox_a) == added
    assert async_to_sync(layer.receive)(inbox_b) == added

    inbox_chat = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(chat_group(chat_id), inbox_chat)
    with django_capture_on_commit_callbacks(execute=True):
        _sync(bars, {"group_ref": "5a", "kind": "class", "title": "6А", "members": [a]})
    assert async_to_sync(layer.receive)(inbox_b) == {
        "type": "messenger.chats_changed",
        "added": [],
        "removed": [chat_id],
    }
    assert async_to_sync(layer.receive)(inbox_chat) == {
        "type": "messenger.chat_state",
        "chat": chat_id,
        "title": "6А",
        "archived": False,
    }


def test_a_large_batch_is_sent_only_to_profiles_with_an_open_page(
    bars: Journal, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class of 25 synced at once: the two people with a page open get their event; nothing is sent
    for the 23 without one (a region's sync would otherwise send a million events to nobody)."""
    subs = _people(bars, 25)
    ids = dict(Link.objects.values_list("profile_sub", "profile_id"))
    online = [ids[uuid.UUID(sub)] for sub in subs[:2]]
    layer = get_channel_layer()
    inboxes = [async_to_sync(layer.new_channel)() for _ in online]
    for profile_id, inbox in zip(online, inboxes, strict=True):
        async_to_sync(layer.group_add)(profile_group(profile_id), inbox)
    sent: list[str] = []
    real_send = layer.group_send

    async def counting_send(group: str, message: dict[str, Any]) -> None:
        sent.append(group)
        await real_send(group, message)

    monkeypatch.setattr(layer, "group_send", counting_send)
    with django_capture_on_commit_callbacks(execute=True):
        chat_id = _sync(bars, {"group_ref": "5a", "kind": "class", "title": "5А", "members": subs})["groups"][
            0
        ]["chat_id"]
    added = {"type": "messenger.chats_changed", "added": [chat_id], "removed": []}
    for inbox in inboxes:
        assert async_to_sync(layer.receive)(inbox) == added
    assert sorted(sent) == sorted(profile_group(profile_id) for profile_id in online)


def test_a_deleted_profile_leaves_its_chats(bars: Journal) -> None:
    """ChatMember's foreign keys have no check in the database (bench/RESULTS.md, groups:sync): deleting
    a profile still removes its memberships (Django's cascade), and a sync does not bring it back."""
    a, b = _people(bars, 2)
    state = {"group_ref": "5a", "kind": "class", "title": "5А", "members": [a, b]}
    _sync(bars, state)
    profile = Link.objects.get(profile_sub=b).profile
    profile.delete()
    assert set(_members("5a")) == {a}
    again = _sync(bars, state)["groups"][0]
    assert (again["added"], again["removed"], again["unknown"]) == (0, 0, [b])
    assert set(_members("5a")) == {a}


def test_a_deleted_chat_takes_its_members_with_it(bars: Journal) -> None:
    a, b = _people(bars, 2)
    _sync(
        bars,
        {"group_ref": "5a", "kind": "class", "title": "5А", "members": [a, b]},
        {"group_ref": "5b", "kind": "class", "title": "5Б", "members": [a]},
    )
    Chat.objects.get(managed_ref="5a").delete()
    assert set(ChatMember.objects.values_list("chat__managed_ref", "profile__sub")) == {("5b", uuid.UUID(a))}
