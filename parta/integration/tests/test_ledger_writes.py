"""The ledger's batch writes touch exactly the (chat, profile) pairs they are given — the same profile in
another chat of the batch keeps its row — on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.utils import timezone

from parta.integration.models import SyncGroup, SyncMember
from parta.integration.sync import ledger

pytestmark = pytest.mark.django_db


def _group(ref: str, title: str) -> SyncGroup:
    return SyncGroup.objects.create(school_id=1, org_ref="org", group_ref=ref, kind="class", title=title)


def _members(*groups: SyncGroup) -> dict[tuple[str, str], bool]:
    rows = SyncMember.objects.filter(group__in=groups).values_list("group__group_ref", "sub", "admin")
    return {(ref, sub): admin for ref, sub, admin in rows}


def test_delete_and_admin_go_by_pair_not_by_profile_or_chat() -> None:
    a, b = _group("a", "5А класс"), _group("b", "5А Родители")
    for group in (a, b):
        for sub in ("p1", "p2", "p3"):
            SyncMember.objects.create(group=group, sub=sub, account_id=1)

    ledger.members_delete([(a.pk, "p1"), (b.pk, "p2"), (a.pk, "absent")])
    ledger.members_set_admin([(a.pk, "p2", True), (b.pk, "p3", True), (b.pk, "p1", False)])

    assert _members(a, b) == {
        ("a", "p2"): True,
        ("a", "p3"): False,
        ("b", "p1"): False,
        ("b", "p3"): True,
    }
    ledger.members_set_admin([(a.pk, "p2", False)])
    assert _members(a)[("a", "p2")] is False


def test_many_pairs_go_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger, "CHUNK", 7)
    a = _group("a", "5А класс")
    SyncMember.objects.bulk_create(SyncMember(group=a, sub=f"p{i}", account_id=i) for i in range(40))

    ledger.members_set_admin([(a.pk, f"p{i}", True) for i in range(0, 40, 2)])
    ledger.members_delete([(a.pk, f"p{i}") for i in range(30)])

    assert _members(a) == {("a", f"p{i}"): i % 2 == 0 for i in range(30, 40)}


def test_groups_update_rewrites_every_column_of_the_given_rows_only() -> None:
    a, b = _group("a", "5А класс"), _group("b", "5А Родители")
    _group("c", "Учительская")
    later = timezone.now()
    a.title, a.archived, a.chat_id, a.updated_at = "6А класс", True, 42, later
    b.kind, b.subject, b.chat_id, b.school_id = "subject", "Физика", None, 2

    ledger.groups_update([a, b])

    got = {g.group_ref: g for g in SyncGroup.objects.all()}
    a, b = got["a"], got["b"]
    assert (a.title, a.archived, a.chat_id, a.updated_at) == ("6А класс", True, 42, later)
    assert (b.kind, b.subject, b.chat_id, b.school_id) == ("subject", "Физика", None, 2)
    assert (got["c"].title, got["c"].archived) == ("Учительская", False)
