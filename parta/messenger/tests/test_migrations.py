"""Migration 0006: chat members keyed by (chat, profile) — the members of an existing platform survive
the upgrade and the way back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from parta.messenger.models import ChatMember
from parta.messenger.tests import factories

BEFORE = ("messenger", "0005_message_changed_index")
AFTER = ("messenger", "0006_chat_member_keyed_by_chat_and_profile")
T0 = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


def _migrate(target: tuple[str, str]) -> Any:
    """Migrate the messenger to ``target``; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def _columns() -> list[str]:
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, ChatMember._meta.db_table)
    return sorted(column.name for column in description)


@pytest.fixture
def back_to_latest() -> Iterator[None]:
    """Whatever the test does, the database ends at the latest migrations for the tests after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_members_survive_the_upgrade_and_the_way_back() -> None:
    org = factories.organization()
    first, second, third = factories.profile(), factories.profile(), factories.profile()
    chat = factories.chat(org, title="5А")
    other = factories.chat(org, title="6Б")
    ChatMember.objects.bulk_create(
        [
            ChatMember(chat=chat, profile=second, is_admin=True, joined_at=T0 + dt.timedelta(days=1)),
            ChatMember(chat=chat, profile=first, joined_at=T0, last_read_id=7),
        ]
    )

    old = _migrate(BEFORE).get_model("messenger", "ChatMember")
    # Back at 0005 the rows have ids again, in the order the members joined, and the pair is unique.
    assert list(old.objects.order_by("id").values_list("profile_id", "is_admin", "last_read_id")) == [
        (first.pk, False, 7),
        (second.pk, True, 0),
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        old.objects.create(chat_id=chat.pk, profile_id=first.pk, joined_at=T0)
    old.objects.create(chat_id=other.pk, profile_id=third.pk, joined_at=T0, last_read_id=3)

    _migrate(AFTER)
    assert "id" not in _columns()
    rows = ChatMember.objects.order_by("chat_id", "profile_id").values_list(
        "chat_id", "profile_id", "is_admin", "joined_at", "last_read_id"
    )
    assert list(rows) == sorted(
        [
            (chat.pk, first.pk, False, T0, 7),
            (chat.pk, second.pk, True, T0 + dt.timedelta(days=1), 0),
            (other.pk, third.pk, False, T0, 3),
        ]
    )
    assert ChatMember.objects.get(pk=(other.pk, third.pk)).last_read_id == 3
    with pytest.raises(IntegrityError), transaction.atomic():  # the primary key keeps one row per pair
        ChatMember.objects.create(chat=chat, profile=first, joined_at=T0)
