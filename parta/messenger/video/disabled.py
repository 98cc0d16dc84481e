"""``PARTA_VIDEO_ENGINE=none`` (the default): conferences exist on the platform, but no link is given."""

from __future__ import annotations

from datetime import datetime

from parta.messenger.video.base import Participant, RoomSpec, VideoNotConfiguredError
from parta.messenger.video.window import join_window_check


class DisabledEngine:
    """Refuses every link with «Видеоконференции не настроены: обратитесь к администратору платформы»."""

    name = "none"

    def ensure_room(self, *, room: RoomSpec) -> None:
        """Nothing to prepare: a conference may be planned before an engine is configured."""

    def join_url(self, *, room: RoomSpec, participant: Participant, now: datetime) -> str:
        # The window first, as for every engine: before the start the person learns when the link opens.
        join_window_check(room=room, now=now)
        raise VideoNotConfiguredError(engine=self.name, detail="PARTA_VIDEO_ENGINE is 'none'")
