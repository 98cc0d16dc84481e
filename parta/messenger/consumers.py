"""The messenger's WebSocket at ``/ws/``: live messages, read markers, unread counts, and catch-up.

- Connecting needs the platform's session (``AuthMiddlewareStack``) and an educational profile; the
  socket then joins its profile's group and the group of every chat the profile is a member of.
- The page sends ``{"type": "subscribe", "chats": {"<chat id>": <last message id it has>, …},
  "since": "<the server's time it last heard of>"}`` on every (re)connect. Membership of each chat is
  checked again; the server replays the messages the page missed (in order; past
  ``PARTA_MESSENGER_CATCHUP_LIMIT`` it asks the page to reload), then the older ones that changed since
  ``since`` (``message_updated``: the bot's request answered while the page was away), and sends the
  unread counts of all the profile's chats. Pages drop messages they already have, by id, and replace
  a changed one in place. ``subscribed`` carries the server's time (``at``): the page's next ``since``
  (the page's first one is the time the chat page was rendered).
- Events from :mod:`parta.messenger.events` are forwarded only for chats this socket is subscribed to;
  removal from a chat unsubscribes the socket at once.

Messages from server to page: ``hello``, ``message``, ``message_updated``, ``read``, ``unread``,
``counts``, ``chat_added``, ``chat_removed``, ``chat_state``, ``gone``, ``reload``, ``subscribed``,
``pong``.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any

from channels.db import database_sync_to_async  # type: ignore[import-untyped]  # channels ships no type information
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # type: ignore[import-untyped]  # channels ships no type information
from django.utils import timezone

from parta.messenger import conf, queries
from parta.messenger.events import chat_group, message_payload, profile_group

# Close codes (4000–4999 are the application's): not signed in, no educational profile.
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NO_PROFILE = 4403
MAX_CHATS_PER_SUBSCRIBE = 500
# The ids of the messages this socket sent lately: a message published while its catch-up is being
# replayed reaches the page once, not twice.
REMEMBERED_MESSAGES = 2000
# Changes are looked for this much before the page's ``since``: a change is stamped when its
# transaction starts, not when it commits, and the servers' clocks may differ a little. Sending a
# change twice only replaces a message with itself.
CHANGES_MARGIN = dt.timedelta(minutes=2)


def _profile_id(account_id: int) -> int | None:
    profile = queries.profile_of(account_id=account_id)
    return int(profile.pk) if profile is not None else None


def _missed(chat_id: int, after_id: int, limit: int) -> list[dict[str, Any]]:
    return [
        message_payload(message)
        for message in queries.messages_after(chat_id=chat_id, after_id=after_id, limit=limit)
    ]


def _changed(chat_id: int, since: dt.datetime, up_to_id: int, limit: int) -> list[dict[str, Any]]:
    return [
        message_payload(message)
        for message in queries.messages_changed(chat_id=chat_id, since=since, up_to_id=up_to_id, limit=limit)
    ]


def _since(value: Any) -> dt.datetime | None:
    """The page's ``since`` (an ISO 8601 time with its offset), less the margin; anything else: none."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment - CHANGES_MARGIN


# Events from the channel layer whose handlers do not touch the database. Channels runs Django's
# close_old_connections in a worker thread before every handler (a thread round trip per event per
# socket: with 200 sockets in a chat, 200 of them per message); these skip it. Handlers that read the
# database do so through database_sync_to_async, which closes old connections itself.
WITHOUT_DATABASE = frozenset(
    {
        "messenger.message",
        "messenger.message_updated",
        "messenger.read",
        "messenger.unread",
        "messenger.chat_removed",
        "messenger.chat_state",
    }
)


class MessengerConsumer(AsyncJsonWebsocketConsumer):
    profile_id: int
    chat_ids: set[int]

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") in WITHOUT_DATABASE:
            await getattr(self, str(message["type"]).replace(".", "_"))(message)
        else:
            await super().dispatch(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        profile_id = await database_sync_to_async(_profile_id)(user.pk)
        if profile_id is None:
            await self.close(code=CLOSE_NO_PROFILE)
            return
        self.profile_id = profile_id
        self.chat_ids = set()
        self.sent_ids: deque[int] = deque()
        self.sent_set: set[int] = set()
        await self.accept()
        await self.channel_layer.group_add(profile_group(profile_id), self.channel_name)
        for chat_id in await database_sync_to_async(queries.member_chat_ids)(profile_id=profile_id):
            await self._join(chat_id)
        await self.send_json({"type": "hello", "profile": profile_id})

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "profile_id"):
            return
        await self.channel_layer.group_discard(profile_group(self.profile_id), self.channel_name)
        for chat_id in list(self.chat_ids):
            await self._leave(chat_id)

    async def _join(self, chat_id: int) -> None:
        if chat_id not in self.chat_ids:
            await self.channel_layer.group_add(chat_group(chat_id), self.channel_name)
            self.chat_ids.add(chat_id)

    async def _leave(self, chat_id: int) -> None:
        if chat_id in self.chat_ids:
            self.chat_ids.discard(chat_id)
            await self.channel_layer.group_discard(chat_group(chat_id), self.channel_name)

    async def _send_message(self, payload: dict[str, Any], *, replay: bool = False) -> None:
        """Send a message to the page unless this socket has sent it already."""
        message_id = int(payload["id"])
        if message_id in self.sent_set:
            return
        self.sent_set.add(message_id)
        self.sent_ids.append(message_id)
        if len(self.sent_ids) > REMEMBERED_MESSAGES:
            self.sent_set.discard(self.sent_ids.popleft())
        await self.send_json({"type": "message", **({"replay": True} if replay else {}), **payload})

    # --- from the page ------------------------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "subscribe":
            await self._subscribe(content.get("chats"), since=_since(content.get("since")))
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def _subscribe(self, requested: Any, *, since: dt.datetime | None = None) -> None:
        # Taken before anything is read: a change committed after it reaches this socket live (it is in
        # every chat's group already) or on the next reconnect, whose ``since`` this becomes.
        at = timezone.now()
        wanted: dict[int, int] = {}
        if isinstance(requested, dict):
            for key, value in list(requested.items())[:MAX_CHATS_PER_SUBSCRIBE]:
                try:
                    wanted[int(key)] = max(0, int(value or 0))
                except (TypeError, ValueError):
                    continue
        member_of = await database_sync_to_async(queries.member_chat_ids)(profile_id=self.profile_id)
        # Membership is checked again: leave what the profile left while this socket was away…
        for chat_id in self.chat_ids - member_of:
            await self._leave(chat_id)
            await self.send_json({"type": "chat_removed", "chat": chat_id})
        # … and join what it was added to.
        for chat_id in member_of:
            await self._join(chat_id)
        limit = conf.catchup_limit()
        for chat_id, last_id in wanted.items():
            if chat_id not in member_of:
                await self.send_json({"type": "gone", "chat": chat_id})
                continue
            missed = await database_sync_to_async(_missed)(chat_id, last_id, limit + 1)
            for payload in missed[:limit]:
                await self._send_message(payload, replay=True)
            if len(missed) > limit:
                await self.send_json({"type": "reload", "chat": chat_id})
                continue
            if since is None or not last_id:
                continue
            changed = await database_sync_to_async(_changed)(chat_id, since, last_id, limit + 1)
            if len(changed) > limit:
                await self.send_json({"type": "reload", "chat": chat_id})
                continue
            for payload in changed:
                await self.send_json({"type": "message_updated", "replay": True, **payload})
        counts = await database_sync_to_async(queries.unread_counts)(profile_id=self.profile_id)
        await self.send_json({"type": "counts", "unread": {str(k): v for k, v in counts.items()}})
        await self.send_json({"type": "subscribed", "chats": sorted(wanted), "at": at.isoformat()})

    # --- from the channel layer (events.py) ---------------------------------------------------------

    async def messenger_message(self, event: dict[str, Any]) -> None:
        message = event["message"]
        if message["chat"] in self.chat_ids:
            await self._send_message(message)

    async def messenger_message_updated(self, event: dict[str, Any]) -> None:
        """A message the page may show changed: sent every time (not once, as new messages are)."""
        message = event["message"]
        if message["chat"] in self.chat_ids:
            await self.send_json({"type": "message_updated", **message})

    async def messenger_read(self, event: dict[str, Any]) -> None:
        if event["chat"] in self.chat_ids:
            await self.send_json({"type": "read", "chat": event["chat"], "up_to": event["up_to"]})

    async def messenger_unread(self, event: dict[str, Any]) -> None:
        if event["chat"] in self.chat_ids:
            await self.send_json({"type": "unread", "chat": event["chat"], "unread": event["unread"]})

    async def messenger_chat_added(self, event: dict[str, Any]) -> None:
        chat_id = int(event["chat"])
        member_of = await database_sync_to_async(queries.member_chat_ids)(profile_id=self.profile_id)
        if chat_id in member_of:
            await self._join(chat_id)
            await self.send_json({"type": "chat_added", "chat": chat_id})

    async def messenger_chat_removed(self, event: dict[str, Any]) -> None:
        chat_id = int(event["chat"])
        if chat_id in self.chat_ids:
            await self._leave(chat_id)
            await self.send_json({"type": "chat_removed", "chat": chat_id})

    async def messenger_chats_changed(self, event: dict[str, Any]) -> None:
        """Many chats at once (``groups:sync``): one event per profile instead of one per chat."""
        removed = [int(chat_id) for chat_id in event.get("removed", ())]
        for chat_id in removed:
            await self.messenger_chat_removed({"chat": chat_id})
        added = [int(chat_id) for chat_id in event.get("added", ())]
        if not added:
            return
        member_of = await database_sync_to_async(queries.member_chat_ids)(profile_id=self.profile_id)
        for chat_id in added:
            if chat_id in member_of:
                await self._join(chat_id)
                await self.send_json({"type": "chat_added", "chat": chat_id})

    async def messenger_chat_state(self, event: dict[str, Any]) -> None:
        if event["chat"] in self.chat_ids:
            await self.send_json(
                {
                    "type": "chat_state",
                    "chat": event["chat"],
                    "title": event["title"],
                    "archived": event["archived"],
                }
            )
