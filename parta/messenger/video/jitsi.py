"""Jitsi Meet with token authentication (the ``jitsi-meet-tokens`` package, or docker-jitsi-meet with
``ENABLE_AUTH=1``, ``AUTH_TYPE=jwt``), as lib-jitsi-meet's ``doc/tokens.md`` describes it.

The link is ``<PARTA_JITSI_URL>/<room>?jwt=<token>``: a JWT signed with HS256 and the app secret that
Prosody shares (``app_secret``/``JWT_APP_SECRET``), header ``{"alg": "HS256", "typ": "JWT"}``, claims:

- ``iss`` — the app id (``app_id``/``JWT_APP_ID``; Prosody's ``asap_accepted_issuers`` must accept it);
- ``aud`` — ``PARTA_JITSI_AUDIENCE``, ``"jitsi"`` by default (``asap_accepted_audiences``);
- ``sub`` — the tenant, or the XMPP domain for ``/ROOM`` URLs (docker-jitsi-meet: ``meet.jitsi``), or ``*``;
- ``room`` — the room name (lowercase, as Prosody compares it);
- ``nbf`` — the start minus the grace, ``exp`` — the end plus ``PARTA_JITSI_TOKEN_TAIL_SECONDS``
  (Prosody checks both when the person connects; who is inside stays until they leave);
- ``context.user`` — ``id``, ``name`` and ``moderator`` as the strings ``"true"``/``"false"`` (8x8 JaaS
  and jitsi-contrib's ``token_affiliation`` read it; with stock Jicofo every token holder is a moderator
  unless ``enable-auto-owner`` is off — see docs/video.md).

Jitsi creates a room when the first person enters, so :meth:`JitsiEngine.ensure_room` does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from django.conf import settings
from jwcrypto import jwk, jwt

from parta.messenger.video.base import Participant, RoomSpec, VideoNotConfiguredError, plain_text
from parta.messenger.video.window import join_window_check

logger = logging.getLogger("parta.messenger.video")

DEFAULT_AUDIENCE = "jitsi"
DEFAULT_TAIL_SECONDS = 300


def _subject_from_url(url: str) -> str:
    """The default ``sub``: ``https://meet.example.ru`` → ``meet.example.ru``, and for a tenant
    ``https://meet.example.ru/school1`` → ``school1``."""
    parts = urlsplit(url)
    tenant = parts.path.strip("/")
    return (tenant.rsplit("/", 1)[-1] if tenant else parts.hostname or "").lower()


class JitsiEngine:
    """A :class:`~parta.messenger.video.VideoEngine` that signs Jitsi Meet links with JWTs."""

    name = "jitsi"

    def __init__(
        self,
        *,
        url: str | None = None,
        app_id: str | None = None,
        app_secret: str | None = None,
        audience: str | None = None,
        subject: str | None = None,
        tail: timedelta | None = None,
    ) -> None:
        self.url = (url if url is not None else getattr(settings, "PARTA_JITSI_URL", "")).strip().rstrip("/")
        self.app_id = app_id if app_id is not None else getattr(settings, "PARTA_JITSI_APP_ID", "")
        self.app_secret = (
            app_secret if app_secret is not None else getattr(settings, "PARTA_JITSI_APP_SECRET", "")
        )
        self.audience = audience or getattr(settings, "PARTA_JITSI_AUDIENCE", "") or DEFAULT_AUDIENCE
        self.subject = (
            subject
            or getattr(settings, "PARTA_JITSI_SUBJECT", "")
            or (_subject_from_url(self.url) if self.url else "")
        )
        self.tail = (
            tail
            if tail is not None
            else timedelta(
                seconds=int(getattr(settings, "PARTA_JITSI_TOKEN_TAIL_SECONDS", DEFAULT_TAIL_SECONDS))
            )
        )

    def ensure_room(self, *, room: RoomSpec) -> None:
        """Nothing to do: Jitsi opens a room when the first person with a valid token enters it."""

    def join_url(self, *, room: RoomSpec, participant: Participant, now: datetime) -> str:
        window = join_window_check(room=room, now=now)
        if not self.url or not self.app_id or not self.app_secret:
            logger.error("PARTA_VIDEO_ENGINE=jitsi but PARTA_JITSI_URL, _APP_ID or _APP_SECRET is empty")
            raise VideoNotConfiguredError(
                engine=self.name,
                detail="PARTA_JITSI_URL, PARTA_JITSI_APP_ID or PARTA_JITSI_APP_SECRET is empty",
            )
        room_name = room.room_id.lower()
        claims = {
            "iss": self.app_id,
            "aud": self.audience,
            "sub": self.subject,
            "room": room_name,
            "nbf": int(window.opens_at.timestamp()),
            "exp": int((window.closes_at + self.tail).timestamp()),
            "context": {
                "user": {
                    "id": participant.user_id,
                    "name": plain_text(participant.full_name),
                    "moderator": "true" if participant.is_moderator else "false",
                }
            },
        }
        token = jwt.JWT(header={"alg": "HS256", "typ": "JWT"}, claims=claims)
        token.make_signed_token(jwk.JWK.from_password(self.app_secret))
        return f"{self.url}/{quote(room_name, safe='')}?jwt={token.serialize()}"
