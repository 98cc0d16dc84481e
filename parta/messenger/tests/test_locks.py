"""parta.messenger.actions.locks: a profile unlinked while an action adds it to a chat does not stay in
the chat — whichever of the two transactions commits first.

Two real connections (two threads) on PostgreSQL: one holds its transaction open at the dangerous
moment while the other runs; the test waits until the second is either done or waiting for a lock, then
lets the first commit. Without :func:`~parta.messenger.actions.locks.members_lock` the second never
waits, and the unlinked profile keeps a ChatMember row in a school it no longer belongs to. SQLite runs
one write transaction at a time (``BEGIN IMMEDIATE``): there is no interleaving to test there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections, transaction

from parta.messenger.actions import MessengerError, chat_create, chat_members_apply, direct_chat_open
from parta.messenger.actions.groups import GroupState, groups_sync
from parta.messenger.actions.links import link_delete, link_register
from parta.messenger.models import ChatKind, ChatMember, Link, Membership, Organization
from parta.messenger.tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 10.0  # seconds: far above what any step here takes


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite runs one write transaction at a time (BEGIN IMMEDIATE): two transactions cannot "
            "interleave there; this race exists only on PostgreSQL"
        )


@dataclass
class Setup:
    org: Organization
    teacher: Any
    parent: Any  # the one who is unlinked
    link: Link


@pytest.fixture
def setup() -> Setup:
    org = factories.organization("ГБОУ Школа № 7")
    teacher = factories.member(org, "teacher", last="Смирнова", first="Анна")
    parent = factories.profile(last="Кузнецова", first="Елена")
    link, _ = link_register(organization=org, profile=parent, journal_account_ref="bars-17", roles=["parent"])
    return Setup(org=org, teacher=teacher, parent=parent, link=link)


def _add_by_groups_sync(s: Setup) -> None:
    groups_sync(
        organization=s.org,
        items=[
            GroupState(
                group_ref="5a-parents",
                kind="parents",
                title="5А — родители",
                members=[str(s.parent.sub)],
            )
        ],
    )


def _add_by_teachers_new_chat(s: Setup) -> None:
    chat_create(
        organization=s.org,
        kind=ChatKind.OTHER,
        title="Экскурсия",
        created_by=s.teacher,
        members=[s.parent.pk],
    )


def _add_by_journal_delta(s: Setup) -> None:
    chat = factories.chat(s.org, members=[s.teacher], title="5А — классный чат")
    chat_members_apply(chat=chat, add=[s.parent.pk])


def _add_by_direct_chat(s: Setup) -> None:
    direct_chat_open(by=s.teacher, other=s.parent)


ACTIONS: dict[str, Callable[[Setup], None]] = {
    "groups_sync": _add_by_groups_sync,
    "teachers_new_chat": _add_by_teachers_new_chat,
    "journals_member_delta": _add_by_journal_delta,
    "direct_chat": _add_by_direct_chat,
}


class Side(threading.Thread):
    """``work`` in a thread of its own (its own database connection); ``hold`` keeps the transaction open
    after ``work`` until :attr:`release` is set."""

    def __init__(self, work: Callable[[], None], *, hold: bool) -> None:
        super().__init__(daemon=True)
        self.work, self.hold = work, hold
        self.done_work = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                try:
                    self.work()
                finally:
                    self.done_work.set()
                if self.hold:
                    self.release.wait(WAIT)
        except BaseException as error:
            self.error = error
        finally:
            connections.close_all()


def _waiting_or_done(side: Side) -> str:
    """Wait until ``side`` has finished its work or is waiting for a row lock; say which."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if side.done_work.is_set():
            return "done"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return "waiting"
        time.sleep(0.02)
    raise AssertionError("the second transaction neither finished nor waited")


def _in_school_chats(s: Setup) -> list[int]:
    return list(
        ChatMember.objects.filter(chat__organization=s.org, profile_id=s.parent.pk).values_list(
            "chat_id", flat=True
        )
    )


def _run(first: Side, second: Side) -> str:
    """``first`` works and holds its transaction; ``second`` starts; once it is done or waiting for a
    lock, ``first`` commits. Returns what ``second`` was doing at that moment."""
    first.start()
    assert first.done_work.wait(WAIT)
    second.start()
    state = _waiting_or_done(second)
    first.release.set()
    first.join(WAIT)
    second.join(WAIT)
    assert not first.is_alive()
    assert not second.is_alive()
    return state


@pytest.mark.parametrize("action", ACTIONS)
def test_an_unlink_committing_first_makes_the_action_leave_the_profile_out(setup: Setup, action: str) -> None:
    unlink = Side(lambda: link_delete(link=setup.link), hold=True)
    add = Side(lambda: ACTIONS[action](setup), hold=False)
    state = _run(unlink, add)

    assert unlink.error is None
    assert state == "waiting"  # the action waited for the unlink to commit…
    assert not Membership.objects.filter(organization=setup.org, profile_id=setup.parent.pk).exists()
    assert _in_school_chats(setup) == []  # … and left out the one who is no longer in the school
    if action != "groups_sync":  # a person's or a journal's chat refuses, with the reason
        assert isinstance(add.error, MessengerError)
    else:  # a sync skips whom it cannot add and applies the rest
        assert add.error is None


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_committing_first_has_its_new_member_removed_by_the_unlink(
    setup: Setup, action: str
) -> None:
    add = Side(lambda: ACTIONS[action](setup), hold=True)
    unlink = Side(lambda: link_delete(link=setup.link), hold=False)
    state = _run(add, unlink)

    assert add.error is None
    assert unlink.error is None
    assert state == "waiting"  # the unlink waited for the action to commit…
    assert _in_school_chats(setup) == []  # … and then took the new rows away too
