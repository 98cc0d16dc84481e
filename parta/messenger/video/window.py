"""The join window, the one rule every engine obeys: a conference's link exists from its start minus the
grace (``PARTA_VIDEO_JOIN_GRACE_SECONDS``, 5 minutes by default) until its end, and at no other time.

The window is half-open, ``[starts_at − grace, ends_at)``: at ``starts_at − grace`` exactly the link is
given, at ``ends_at`` exactly the conference is over. ``now`` always comes from the caller (a
controllable clock); nothing here reads the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext

from parta.messenger.video.base import ENDED, NOT_STARTED, JoinNotOpenError, RoomSpec

DEFAULT_GRACE_SECONDS = 300


@dataclass(frozen=True)
class JoinWindow:
    opens_at: datetime
    closes_at: datetime

    def is_open(self, *, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


def join_grace() -> timedelta:
    """How long before the start the link opens (the setting, or 5 minutes)."""
    return timedelta(seconds=int(getattr(settings, "PARTA_VIDEO_JOIN_GRACE_SECONDS", DEFAULT_GRACE_SECONDS)))


def join_window(*, room: RoomSpec, grace: timedelta | None = None) -> JoinWindow:
    grace = join_grace() if grace is None else grace
    if grace < timedelta(0):
        raise ValueError("the grace must not be negative")
    return JoinWindow(opens_at=room.starts_at - grace, closes_at=room.ends_at)


def join_window_check(*, room: RoomSpec, now: datetime, grace: timedelta | None = None) -> JoinWindow:
    """Return the window if ``now`` is inside it, else raise :class:`JoinNotOpenError` with the Russian
    message: «Ссылка будет доступна в момент начала видеоконференции» before it opens, «Видеоконференция
    уже закончилась» from its end on. Every engine calls this before it mints anything."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be an aware datetime, got {now!r}")
    window = join_window(room=room, grace=grace)
    if now < window.opens_at:
        raise JoinNotOpenError(
            gettext(NOT_STARTED), reason="not_started", opens_at=window.opens_at, closes_at=window.closes_at
        )
    if now >= window.closes_at:
        raise JoinNotOpenError(
            gettext(ENDED), reason="ended", opens_at=window.opens_at, closes_at=window.closes_at
        )
    return window


def join_window_is_open(*, room: RoomSpec, now: datetime, grace: timedelta | None = None) -> bool:
    """Whether a link may be minted at ``now`` (for lists that show «Подключиться» only when it works)."""
    try:
        join_window_check(room=room, now=now, grace=grace)
    except JoinNotOpenError:
        return False
    return True
