"""The video engines the platform's conferences run on, chosen by ``PARTA_VIDEO_ENGINE`` (docs/video.md).

```python
from parta.messenger.video import Participant, RoomSpec, video_engine

engine = video_engine()
engine.ensure_room(room=room)                                    # idempotent
url = engine.join_url(room=room, participant=participant, now=now)  # or JoinNotOpenError / VideoEngineError
```

- ``"bigbluebutton"`` — :class:`~.bigbluebutton.BigBlueButtonEngine` (API ``create`` + signed ``join``);
- ``"jitsi"`` — :class:`~.jitsi.JitsiEngine` (a link with a JWT carrying ``nbf``/``exp``);
- ``"none"`` (the default) — :class:`~.disabled.DisabledEngine`, which refuses every link;
- or the dotted path of a class with the same methods.

Every engine checks the join window (:mod:`.window`) first, with the ``now`` it is given.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from parta.messenger.video.base import (
    JoinNotOpenError,
    Participant,
    RoomSpec,
    VideoEngine,
    VideoEngineError,
    VideoError,
    VideoNotConfiguredError,
)
from parta.messenger.video.window import (
    JoinWindow,
    join_grace,
    join_window,
    join_window_check,
    join_window_is_open,
)

ENGINES = {
    "bigbluebutton": "parta.messenger.video.bigbluebutton.BigBlueButtonEngine",
    "jitsi": "parta.messenger.video.jitsi.JitsiEngine",
    "none": "parta.messenger.video.disabled.DisabledEngine",
}

__all__ = [
    "ENGINES",
    "JoinNotOpenError",
    "JoinWindow",
    "Participant",
    "RoomSpec",
    "VideoEngine",
    "VideoEngineError",
    "VideoError",
    "VideoNotConfiguredError",
    "join_grace",
    "join_window",
    "join_window_check",
    "join_window_is_open",
    "video_engine",
]


def video_engine() -> VideoEngine:
    """The configured engine, built from the current settings (cheap: no connection is opened)."""
    choice = (getattr(settings, "PARTA_VIDEO_ENGINE", "none") or "none").strip()
    path = ENGINES.get(choice.lower(), choice if "." in choice else None)
    if path is None:
        raise ImproperlyConfigured(
            f"PARTA_VIDEO_ENGINE={choice!r}: use one of {', '.join(ENGINES)} or a dotted path (docs/video.md)"
        )
    return cast(VideoEngine, import_string(path)())
