"""What every video engine takes and raises: the room, the participant, the protocol and the refusals.

Refusals carry a Russian message for the person (``str(error)``); :class:`VideoEngineError` also carries
the engine's own key and details for the operator's log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.utils.translation import gettext, gettext_noop

# Russian messages exactly as the person reads them (the platform shows ``str(error)``).
NOT_STARTED = gettext_noop("Ссылка будет доступна в момент начала видеоконференции")
ENDED = gettext_noop("Видеоконференция уже закончилась")
NOT_CONFIGURED = gettext_noop("Видеоконференции не настроены: обратитесь к администратору платформы")
ENGINE_FAILED = gettext_noop(
    "Не удалось подключиться к видеоконференции: сервер видеосвязи не ответил или отказал. "
    "Попробуйте ещё раз через минуту; если не получится, сообщите администратору платформы"
)

# Room ids travel as a BigBlueButton meetingID (2–256 characters, no commas) and as a Jitsi room name
# (a lowercase XMPP node, part of the URL): lowercase Latin letters, digits, "-" and "_" suit both.
ROOM_ID = re.compile(r"[a-z0-9][a-z0-9_-]{1,127}")


def plain_text(text: str) -> str:
    """One line without control characters (BigBlueButton refuses 0x00–0x1F; names are shown on one line):
    runs of whitespace become one space, other control characters go."""
    return " ".join("".join(ch if ch >= " " or ch.isspace() else "" for ch in text).split())


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class RoomSpec:
    """One conference as the engine sees it. ``room_id`` is stable for the conference's life
    (e.g. ``parta-conf-<uuid>``); the same id always means the same room on the engine."""

    room_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    moderator_message: str | None = None  # shown to moderators only (BigBlueButton)

    def __post_init__(self) -> None:
        if not ROOM_ID.fullmatch(self.room_id):
            raise ValueError(
                f"room_id {self.room_id!r}: 2–128 characters of a-z, 0-9, '-' and '_', "
                "beginning with a letter or a digit"
            )
        if not self.title.strip():
            raise ValueError("title must not be empty")
        _aware(self.starts_at, "starts_at")
        _aware(self.ends_at, "ends_at")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be later than starts_at")


@dataclass(frozen=True, kw_only=True)
class Participant:
    """Who gets the link: the platform's stable id for the person, the name others see, and the role."""

    user_id: str
    full_name: str
    is_moderator: bool = False

    def __post_init__(self) -> None:
        if not self.user_id:
            raise ValueError("user_id must not be empty")
        if not self.full_name.strip():
            raise ValueError("full_name must not be empty")


class VideoEngine(Protocol):
    """An existing video engine the platform's conferences run on (chosen by ``PARTA_VIDEO_ENGINE``)."""

    name: str

    def ensure_room(self, *, room: RoomSpec) -> None:
        """Make sure the room exists on the engine; calling it again changes nothing."""
        ...

    def join_url(self, *, room: RoomSpec, participant: Participant, now: datetime) -> str:
        """A signed link that takes ``participant`` into ``room``, minted at ``now``.

        Refuses with :class:`JoinNotOpenError` outside the join window (see :mod:`.window`), and with
        :class:`VideoEngineError` when the engine is not configured or does not take the room.
        """
        ...


class VideoError(Exception):
    """A refusal; ``str(error)`` is a Russian message fit to show the person."""


class JoinNotOpenError(VideoError):
    """The link is asked for outside the join window: ``reason`` is ``"not_started"`` or ``"ended"``."""

    def __init__(self, message: str, *, reason: str, opens_at: datetime, closes_at: datetime) -> None:
        super().__init__(message)
        self.reason = reason
        self.opens_at = opens_at
        self.closes_at = closes_at


class VideoEngineError(VideoError):
    """The engine did not do what was asked. ``str(error)`` is for the person; ``message_key`` (the engine's
    own key, e.g. BigBlueButton's ``checksumError``, or ours: ``timeout``, ``unreachable``, ``httpError``,
    ``invalidResponse``, ``notConfigured``) and ``detail`` are for the operator and never hold a secret."""

    def __init__(
        self, *, engine: str, message_key: str, detail: str = "", message: str | None = None
    ) -> None:
        super().__init__(message if message is not None else gettext(ENGINE_FAILED))
        self.engine = engine
        self.message_key = message_key
        self.detail = detail

    @property
    def operator_message(self) -> str:
        return f"{self.engine}: {self.message_key}" + (f": {self.detail}" if self.detail else "")


class VideoNotConfiguredError(VideoEngineError):
    """No engine is configured (``PARTA_VIDEO_ENGINE=none``), or the chosen one lacks its settings."""

    def __init__(self, *, engine: str, detail: str = "") -> None:
        super().__init__(
            engine=engine, message_key="notConfigured", detail=detail, message=gettext(NOT_CONFIGURED)
        )
