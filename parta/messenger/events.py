"""Real-time events: what the actions publish after their transaction commits, for the sockets.

Every socket of a profile is in the group of each chat the profile is a member of
(:func:`chat_group`) and in its profile's own group (:func:`profile_group`); see
:mod:`parta.messenger.consumers`. The actions call the ``publish_*`` functions from
``transaction.on_commit``, so nobody is told about a row that was rolled back, and a socket that was
offline catches up from the database (the same rows) when it reconnects.

Event ``type`` values map to the consumer's handlers (``messenger.message`` → ``messenger_message``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer  # type: ignore[import-untyped]  # channels ships no type information
from django.template.loader import render_to_string
from django.utils import timezone

from parta.messenger import conf
from parta.messenger.models import Chat, Message

log = logging.getLogger(__name__)


def chat_group(chat_id: int) -> str:
    return f"messenger.chat.{chat_id}"


def profile_group(profile_id: int) -> str:
    return f"messenger.profile.{profile_id}"


def author_name(message: Message) -> str:
    if message.author_id is None:
        return conf.platform_name()
    assert message.author is not None
    return message.author.full_name


def author_short_name(message: Message) -> str:
    """«Анна Смирнова»: how the chat list signs the last message."""
    if message.author_id is None:
        return conf.platform_name()
    assert message.author is not None
    return " ".join(part for part in (message.author.first_name, message.author.last_name) if part)


def message_payload(message: Message) -> dict[str, Any]:
    """What a page needs to show ``message``: its fields and its HTML (escaped by the template), as it
    looks to anybody — the page marks its own messages and their read state itself."""
    return {
        "id": message.pk,
        "chat": message.chat_id,
        "author_id": message.author_id,
        "author_name": author_name(message),
        "author_short": author_short_name(message),
        "text": "" if message.is_deleted else message.text,
        "has_attachment": message.attachment_id is not None,
        "created_at": timezone.localtime(message.created_at).isoformat(),
        "html": render_to_string(
            "messenger/_message.html",
            {"message": message, "platform_name": conf.platform_name(), "viewer_id": None, "read_up_to": 0},
        ),
    }


def _send(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    publish_many(messages)


# The background sends of publish_many(wait=False), newest last; each waits for the one before, so
# events reach the layer in the order they were published.
_background: list[asyncio.Task[None]] = []
YIELD_EVERY = 200  # events sent before the server's loop gets a turn to serve sockets and requests
CHECK_LISTENERS_FROM = 20  # batches from this size ask the layer which groups have a socket first
EXISTS_PER_ROUND_TRIP = 1000


async def _with_listeners(layer: Any, groups: list[str]) -> set[str] | None:
    """Those of ``groups`` some socket listens to, or ``None`` when the layer cannot say cheaply.

    A large batch (``groups:sync`` of a region: one event per profile concerned, most of them with no
    page open) would otherwise cost a ``group_send`` per group: Channels' in-memory layer cleans its
    whole state on each, and the Redis layer makes two round trips for a group nobody is in. The
    in-memory layer keeps its groups in a dict; ``channels_redis``' core layer keeps a group as a sorted
    set that exists only while it has members, so one pipelined ``EXISTS`` per thousand groups tells.
    A socket that joins a group a moment after this check misses the event exactly as one joining just
    after a send would: the page catches up from the database when it (re)subscribes.
    """
    from channels.layers import InMemoryChannelLayer

    if isinstance(layer, InMemoryChannelLayer):
        return {group for group in groups if layer.groups.get(group)}
    try:
        from channels_redis.core import RedisChannelLayer  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover -- channels_redis is a dependency
        return None
    if not isinstance(layer, RedisChannelLayer):
        return None
    by_host: dict[int, list[str]] = {}
    for group in groups:
        by_host.setdefault(layer.consistent_hash(group), []).append(group)
    found: set[str] = set()
    for index, names in by_host.items():
        connection = layer.connection(index)
        for start in range(0, len(names), EXISTS_PER_ROUND_TRIP):
            chunk = names[start : start + EXISTS_PER_ROUND_TRIP]
            pipe = connection.pipeline(transaction=False)
            for group in chunk:
                pipe.exists(layer._group_key(group))
            found.update(group for group, exists in zip(chunk, await pipe.execute(), strict=True) if exists)
    return found


def publish_many(events: Iterable[tuple[str, dict[str, Any]]], *, wait: bool = True) -> None:
    """group_send each (group, event), in order; a failing layer is logged, never raised: the rows are
    committed and the pages catch up when they reconnect.

    ``wait=False`` (large batches, e.g. ``groups:sync``): inside the server (an ASGI request, whose
    ``async_to_sync`` runs on the server's event loop in the main thread) the events are sent by a task
    on that loop after this returns, so the response does not wait for tens of thousands of
    ``group_send``. Anywhere else (a task worker, a shell, the test client) ``async_to_sync`` runs a
    throwaway loop in another thread that would cancel such a task, so it waits as with ``wait=True``."""
    layer = get_channel_layer()
    if layer is None:
        return
    batch = list(events)
    if not batch:
        return

    async def send_all(after: asyncio.Task[None] | None) -> None:
        if after is not None:
            await asyncio.wait([after])
        try:
            todo = batch
            if len(batch) >= CHECK_LISTENERS_FROM:
                listened = await _with_listeners(layer, list({group for group, _ in batch}))
                if listened is not None:
                    todo = [(group, event) for group, event in batch if group in listened]
            for index, (group, event) in enumerate(todo, start=1):
                await layer.group_send(group, event)
                if index % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
        except Exception:  # the layer (Redis) may be down; delivery resumes by catch-up
            log.exception("messenger: could not publish %d real-time event(s)", len(batch))

    async def start() -> None:
        if wait or threading.current_thread() is not threading.main_thread():
            await send_all(None)
            return
        while _background and _background[0].done():
            _background.pop(0)
        task = asyncio.get_running_loop().create_task(send_all(_background[-1] if _background else None))
        _background.append(task)

    try:
        async_to_sync(start)()
    except Exception:  # the layer (Redis) may be down; delivery resumes by catch-up
        log.exception("messenger: could not publish %d real-time event(s)", len(batch))


def publish_message(message: Message) -> None:
    _send([(chat_group(message.chat_id), {"type": "messenger.message", "message": message_payload(message)})])


def publish_message_updated(message: Message) -> None:
    """What ``message`` shows has changed (the bot's request was answered or expired): every open page
    of the chat replaces it in place. A page that was offline gets it on reconnect (``edited_at``)."""
    _send(
        [
            (
                chat_group(message.chat_id),
                {"type": "messenger.message_updated", "message": message_payload(message)},
            )
        ]
    )


def publish_read(*, chat_id: int, up_to: int, author_ids: Iterable[int]) -> None:
    """Tell the authors of messages up to ``up_to`` that someone else has read them."""
    event = {"type": "messenger.read", "chat": chat_id, "up_to": up_to}
    _send((profile_group(author_id), event) for author_id in set(author_ids))


def publish_unread(*, profile_id: int, chat_id: int, unread: int) -> None:
    """The reader's other pages: this chat's unread count is now ``unread``."""
    _send([(profile_group(profile_id), {"type": "messenger.unread", "chat": chat_id, "unread": unread})])


def publish_chats_added(*, chat_id: int, profile_ids: Iterable[int]) -> None:
    """The profiles' sockets join the chat's group (and their lists learn of it)."""
    event = {"type": "messenger.chat_added", "chat": chat_id}
    _send((profile_group(profile_id), event) for profile_id in set(profile_ids))


def publish_chats_removed(*, profile_id: int, chat_ids: Iterable[int]) -> None:
    """The profile's sockets leave these chats' groups at once."""
    _send(
        (profile_group(profile_id), {"type": "messenger.chat_removed", "chat": chat_id})
        for chat_id in chat_ids
    )


def publish_members_removed(*, chat_id: int, profile_ids: Iterable[int]) -> None:
    event = {"type": "messenger.chat_removed", "chat": chat_id}
    _send((profile_group(profile_id), event) for profile_id in set(profile_ids))


def publish_chat_state(chat: Chat) -> None:
    """Title or archived state changed: open pages of the chat update their header and composer."""
    event = {
        "type": "messenger.chat_state",
        "chat": chat.pk,
        "title": chat.title,
        "archived": chat.is_archived,
    }
    _send([(chat_group(chat.pk), event)])
