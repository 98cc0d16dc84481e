"""The messenger's WebSocket (``/ws/``, parta.messenger.consumers) through the platform's real ASGI
application: who may connect, who receives what, and catching up after a reconnect.

Each test is one coroutine run by ``async_to_sync``; the database is used from it through
``database_sync_to_async``, as the consumer itself does. The sockets need committed rows (the consumer
reads them from its own thread), hence ``transaction=True``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from parta.messenger import consumers
from parta.messenger.actions import chat_members_apply, community_chat_of, message_send
from parta.messenger.actions.bot import BotButtonSpec, bot_answer, bot_request
from parta.messenger.actions.groups import GroupState, groups_sync
from parta.messenger.models import Chat, Link
from parta.messenger.tests import factories
from parta.sites.platform.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = b"http://127.0.0.1:8001"
YES_NO = [BotButtonSpec("confirm", "Подключить"), BotButtonSpec("decline", "Не подключать")]


def run(test: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(test)()


def cookie_of(account: Any) -> bytes:
    client = Client()
    client.force_login(account)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def socket(cookie: bytes | None = None, origin: bytes = ORIGIN) -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"127.0.0.1:8001")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/", headers=headers)


async def connected(profile: Any, chats: dict[int, int] | None = None) -> WebsocketCommunicator:
    """A socket of ``profile``'s page that has said hello and subscribed (with its last message ids)."""
    communicator = socket(await database_sync_to_async(cookie_of)(profile.account))
    ok, _ = await communicator.connect()
    assert ok
    assert (await communicator.receive_json_from())["type"] == "hello"
    await communicator.send_json_to(
        {"type": "subscribe", "chats": {str(k): v for k, v in (chats or {}).items()}}
    )
    return communicator


async def until(communicator: WebsocketCommunicator, kind: str) -> list[dict[str, Any]]:
    """Everything received up to and including the first frame of ``kind``."""
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=5)
        frames.append(frame)
        if frame["type"] == kind:
            return frames


async def next_frame(communicator: WebsocketCommunicator) -> dict[str, Any]:
    """The next frame other than ``unread`` (writing in a chat tells one's own pages it is read)."""
    while True:
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] != "unread":
            return dict(frame)


send = database_sync_to_async(message_send)


@pytest.fixture
def chat(school: Any) -> Chat:
    return factories.chat(school.org, members=[school.parent, school.student], admins=[school.teacher])


# --- who may connect ----------------------------------------------------------------------------------------


def test_an_anonymous_socket_is_refused() -> None:
    async def scenario() -> None:
        communicator = socket()
        assert await communicator.connect() == (False, 4401)

    run(scenario)


def test_a_socket_from_a_foreign_page_is_refused_even_signed_in(school: Any) -> None:
    cookie = cookie_of(school.parent.account)

    async def scenario() -> None:
        for origin in (b"http://evil.example", b"null"):
            communicator = socket(cookie, origin=origin)
            connected_, _ = await communicator.connect()
            assert not connected_
        communicator = socket(cookie)
        assert (await communicator.connect())[0]
        await communicator.disconnect()

    run(scenario)


def test_an_account_without_an_educational_profile_is_refused(db: None) -> None:
    cookie = cookie_of(factories.account())

    async def scenario() -> None:
        assert await socket(cookie).connect() == (False, 4403)

    run(scenario)


def test_a_signed_out_session_no_longer_connects(school: Any) -> None:
    client = Client()
    client.force_login(school.parent.account)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
    client.logout()

    async def scenario() -> None:
        assert await socket(cookie).connect() == (False, 4401)

    run(scenario)


# --- live delivery ------------------------------------------------------------------------------------------


def test_a_new_message_reaches_the_members_and_nobody_else(school: Any, chat: Chat) -> None:
    async def scenario() -> None:
        parent = await connected(school.parent)
        await until(parent, "subscribed")
        staff = await connected(school.staff)  # of the school, not of the chat
        await until(staff, "subscribed")
        sent = await send(chat=chat, author=school.teacher, text="<b>Собрание</b> в 18:00")
        frame = await parent.receive_json_from(timeout=5)
        assert frame["type"] == "message"
        assert (frame["id"], frame["chat"], frame["author_id"]) == (sent.pk, chat.pk, school.teacher.pk)
        assert frame["author_name"] == "Смирнова Анна Петровна"
        assert frame["text"] == "<b>Собрание</b> в 18:00"
        assert "&lt;b&gt;Собрание&lt;/b&gt;" in frame["html"]
        assert "replay" not in frame
        assert await staff.receive_nothing(timeout=0.3)
        await parent.disconnect()
        await staff.disconnect()

    run(scenario)


def test_the_author_of_a_read_message_learns_it_is_read(school: Any, chat: Chat) -> None:
    from parta.messenger.actions import message_read

    async def scenario() -> None:
        teacher = await connected(school.teacher)
        await until(teacher, "subscribed")
        sent = await send(chat=chat, author=school.teacher, text="Прочитайте")
        assert (await next_frame(teacher))["id"] == sent.pk
        await database_sync_to_async(message_read)(chat=chat, profile=school.parent, up_to=sent.pk)
        assert await next_frame(teacher) == {
            "type": "read",
            "chat": chat.pk,
            "up_to": sent.pk,
        }
        await teacher.disconnect()

    run(scenario)


def test_answering_reads_the_chat_and_the_author_learns_it(school: Any, chat: Chat) -> None:
    async def scenario() -> None:
        teacher = await connected(school.teacher)
        await until(teacher, "subscribed")
        await send(chat=chat, author=school.teacher, text="Кто придёт?")
        await next_frame(teacher)
        answer = await send(chat=chat, author=school.parent, text="Я приду")
        assert (await next_frame(teacher))["id"] == answer.pk
        assert await next_frame(teacher) == {
            "type": "read",
            "chat": chat.pk,
            "up_to": answer.pk,
        }
        await teacher.disconnect()

    run(scenario)


def test_removal_from_a_chat_stops_its_messages_at_once(school: Any, chat: Chat) -> None:
    async def scenario() -> None:
        student = await connected(school.student)
        await until(student, "subscribed")
        await database_sync_to_async(chat_members_apply)(chat=chat, remove=[school.student.pk])
        assert await student.receive_json_from(timeout=5) == {"type": "chat_removed", "chat": chat.pk}
        await send(chat=chat, author=school.teacher, text="Уже без ученика")
        assert await student.receive_nothing(timeout=0.3)
        await student.disconnect()

    run(scenario)


def test_a_chat_one_is_added_to_is_delivered_without_reconnecting(school: Any, chat: Chat) -> None:
    async def scenario() -> None:
        staff = await connected(school.staff)
        await until(staff, "subscribed")
        await database_sync_to_async(chat_members_apply)(chat=chat, add=[school.staff.pk])
        assert await staff.receive_json_from(timeout=5) == {"type": "chat_added", "chat": chat.pk}
        sent = await send(chat=chat, author=school.teacher, text="Добро пожаловать")
        assert (await staff.receive_json_from(timeout=5))["id"] == sent.pk
        await staff.disconnect()

    run(scenario)


def _linked(school: Any, *profiles: Any) -> list[str]:
    for n, profile in enumerate(profiles):
        Link.objects.create(
            client=school.org.client,
            organization=school.org,
            profile=profile,
            profile_sub=profile.sub,
            journal_account_ref=f"acc-{n}",
            roles=["student"],
        )
    return [str(profile.sub) for profile in profiles]


def test_chats_a_groups_sync_adds_and_removes_reach_open_pages_at_once(school: Any) -> None:
    """groups:sync tells each profile concerned once (messenger.chats_changed): its sockets join the new
    chats and leave the ones it was removed from, without reconnecting."""
    staff_sub, student_sub = _linked(school, school.staff, school.student)
    sync = database_sync_to_async(groups_sync)

    def state(*members: str) -> list[GroupState]:
        return [GroupState(group_ref="5b", kind="class", title="5Б", members=members)]

    async def scenario() -> None:
        staff = await connected(school.staff)
        student = await connected(school.student)
        await until(staff, "subscribed")
        await until(student, "subscribed")
        (result,) = await sync(organization=school.org, items=state(staff_sub, student_sub))
        chat = await database_sync_to_async(Chat.objects.get)(pk=result.chat_id)
        assert await staff.receive_json_from(timeout=5) == {"type": "chat_added", "chat": chat.pk}
        assert await student.receive_json_from(timeout=5) == {"type": "chat_added", "chat": chat.pk}
        sent = await send(chat=chat, author=school.staff, text="Первое сообщение")
        assert (await next_frame(staff))["id"] == sent.pk
        assert (await next_frame(student))["id"] == sent.pk

        await sync(organization=school.org, items=state(staff_sub))
        assert await student.receive_json_from(timeout=5) == {"type": "chat_removed", "chat": chat.pk}
        await send(chat=chat, author=school.staff, text="Уже без ученика")
        assert (await next_frame(staff))["text"] == "Уже без ученика"
        assert await student.receive_nothing(timeout=0.3)
        await staff.disconnect()
        await student.disconnect()

    run(scenario)


# --- catch-up after a reconnect -----------------------------------------------------------------------------


def test_a_reconnecting_page_receives_what_it_missed_once_and_in_order(school: Any, chat: Chat) -> None:
    async def scenario() -> None:
        seen = await send(chat=chat, author=school.teacher, text="Было до отключения")
        parent = await connected(school.parent, {chat.pk: seen.pk})
        await until(parent, "subscribed")
        await parent.disconnect()  # the phone went offline
        missed = [
            await send(chat=chat, author=school.teacher, text=f"Пока вас не было № {n}") for n in range(3)
        ]
        parent = await connected(school.parent, {chat.pk: seen.pk})
        frames = await until(parent, "subscribed")
        replayed = [f for f in frames if f["type"] == "message"]
        assert [f["id"] for f in replayed] == [m.pk for m in missed]
        assert all(f["replay"] for f in replayed)
        counts = next(f for f in frames if f["type"] == "counts")
        assert counts["unread"] == {str(chat.pk): 4}
        # Live again, and nothing comes twice.
        after = await send(chat=chat, author=school.teacher, text="Снова на связи")
        assert (await parent.receive_json_from(timeout=5))["id"] == after.pk
        assert await parent.receive_nothing(timeout=0.3)
        await parent.disconnect()

    run(scenario)


def test_a_message_published_during_the_catch_up_is_sent_once(school: Any, chat: Chat) -> None:
    async def scenario() -> None:
        seen = await send(chat=chat, author=school.teacher, text="Было")
        communicator = socket(await database_sync_to_async(cookie_of)(school.parent.account))
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from())["type"] == "hello"
        # Sent after the socket joined the chat but before the page asked for its catch-up: it arrives live
        # and is also among the missed ones.
        sent = await send(chat=chat, author=school.teacher, text="В ту же секунду")
        await communicator.send_json_to({"type": "subscribe", "chats": {str(chat.pk): seen.pk}})
        frames = await until(communicator, "subscribed")
        assert [f["id"] for f in frames if f["type"] == "message"] == [sent.pk]
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()

    run(scenario)


def test_asking_for_a_chat_one_is_not_in_tells_gone_and_sends_nothing(school: Any, chat: Chat) -> None:
    async def scenario() -> None:
        await send(chat=chat, author=school.teacher, text="Секрет класса")
        staff = await connected(school.staff, {chat.pk: 0})
        frames = await until(staff, "subscribed")
        assert {"type": "gone", "chat": chat.pk} in frames
        assert not [f for f in frames if f["type"] == "message"]
        await staff.disconnect()

    run(scenario)


def test_past_the_catch_up_limit_the_page_is_told_to_reload(school: Any, chat: Chat, settings: Any) -> None:
    settings.PARTA_MESSENGER_CATCHUP_LIMIT = 2

    async def scenario() -> None:
        for n in range(3):
            await send(chat=chat, author=school.teacher, text=f"№ {n}")
        parent = await connected(school.parent, {chat.pk: 0})
        frames = await until(parent, "subscribed")
        assert len([f for f in frames if f["type"] == "message"]) == 2
        assert {"type": "reload", "chat": chat.pk} in frames
        await parent.disconnect()

    run(scenario)


def test_ping_is_answered(school: Any) -> None:
    async def scenario() -> None:
        parent = await connected(school.parent)
        await until(parent, "subscribed")
        await parent.send_json_to({"type": "ping"})
        assert await parent.receive_json_from(timeout=5) == {"type": "pong"}
        await parent.send_json_to(["not", "an", "object"])
        assert await parent.receive_nothing(timeout=0.2)
        await parent.disconnect()

    run(scenario)


# --- a changed message (the bot's answered request) ---------------------------------------------------------


async def connected_since(profile: Any, chats: dict[int, int], since: str) -> WebsocketCommunicator:
    """A socket of ``profile``'s page that subscribed with the server time it last heard of."""
    communicator = socket(await database_sync_to_async(cookie_of)(profile.account))
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from())["type"] == "hello"
    await communicator.send_json_to(
        {"type": "subscribe", "chats": {str(k): v for k, v in chats.items()}, "since": since}
    )
    return communicator


def test_an_answered_request_reaches_every_open_tab_of_its_chat_without_buttons(school: Any) -> None:
    """Both tabs were sent the request when it came (``message``); the answer is a change of that same
    message, and each tab gets it (not dropped as «already sent»)."""

    async def scenario() -> None:
        await database_sync_to_async(community_chat_of)(profile=school.parent)  # the open «Сферум» chat
        tabs = [await connected(school.parent) for _ in range(2)]
        for tab in tabs:
            await until(tab, "subscribed")
        asked = await database_sync_to_async(bot_request)(
            profile=school.parent, text="Подключить профиль?", buttons=YES_NO
        )
        for tab in tabs:
            frame = await next_frame(tab)
            assert (frame["type"], frame["id"]) == ("message", asked.message_id)
            assert "data-bot-form" in frame["html"]
        token = await database_sync_to_async(lambda: asked.buttons.get(value="confirm").token)()
        await database_sync_to_async(bot_answer)(profile=school.parent, token=token)
        for tab in tabs:
            frame = await next_frame(tab)
            assert (frame["type"], frame["id"], frame["chat"]) == (
                "message_updated",
                asked.message_id,
                asked.message.chat_id,
            )
            assert "Ваш ответ: «Подключить»." in frame["html"]
            assert "data-bot-form" not in frame["html"]
            await tab.disconnect()

    run(scenario)


def test_a_tab_offline_when_the_request_was_answered_gets_the_outcome_on_reconnect(school: Any) -> None:
    async def scenario() -> None:
        asked = await database_sync_to_async(bot_request)(
            profile=school.parent, text="Подключить профиль?", buttons=YES_NO
        )
        chats = {asked.message.chat_id: asked.message_id}
        tab = await connected(school.parent, chats)
        heard = (await until(tab, "subscribed"))[-1]["at"]  # the server's time, the page's next «since»
        await tab.disconnect()  # the laptop went to sleep; the phone answered meanwhile
        token = await database_sync_to_async(lambda: asked.buttons.get(value="decline").token)()
        await database_sync_to_async(bot_answer)(profile=school.parent, token=token)

        tab = await connected_since(school.parent, chats, heard)
        frames = await until(tab, "subscribed")
        updated = [f for f in frames if f["type"] == "message_updated"]
        assert [f["id"] for f in updated] == [asked.message_id]
        assert updated[0]["replay"] is True
        assert "Ваш ответ: «Подключить»." not in updated[0]["html"]
        assert "Ваш ответ: «Не подключать»." in updated[0]["html"]
        assert "data-bot-form" not in updated[0]["html"]
        later = frames[-1]["at"]
        await tab.disconnect()

        # Heard of long after the change (past the margin): nothing is sent again; a «since» that is no
        # time at all is ignored, not an error.
        future = (dt.datetime.fromisoformat(later) + consumers.CHANGES_MARGIN * 2).isoformat()
        for since in (future, "вчера", "2026-01-01T10:00:00"):
            tab = await connected_since(school.parent, chats, since)
            frames = await until(tab, "subscribed")
            assert [f for f in frames if f["type"] == "message_updated"] == []
            await tab.disconnect()

    run(scenario)
