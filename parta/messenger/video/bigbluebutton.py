"""BigBlueButton (https://docs.bigbluebutton.org/development/api), version 2.4 or newer, or Scalelite.

Every call is ``GET <api>/<call>?<query>&checksum=<hex>`` where the checksum is
``hash(call + query + secret)`` — SHA-256 by default, or SHA-1/SHA-384/SHA-512 (``PARTA_BBB_CHECKSUM``),
as the server's ``supportedChecksumAlgorithms`` allows; the server picks the algorithm from the
checksum's length. The answer is XML: ``<response><returncode>SUCCESS|FAILED</returncode>
<messageKey>…</messageKey><message>…</message>…</response>``.

- ``create`` (``name``, ``meetingID``, ``record=false``, ``moderatorOnlyMessage``) is idempotent on the
  server: a second call for a running meeting answers SUCCESS with ``messageKey=duplicateWarning``. No
  ``attendeePW``/``moderatorPW`` are sent (deprecated since 2.4): the role travels on ``join``.
- ``join`` (``fullName``, ``meetingID``, ``role=MODERATOR|VIEWER``, ``userID``, ``createTime``,
  ``redirect=true``) is not called by Parta: its signed URL is the link the person opens.

BigBlueButton removes a meeting nobody joined within a few minutes of ``create``
(``meetingExpireIfNoUserJoinedInMinutes``, 5 by default), so :meth:`BigBlueButtonEngine.join_url` calls
``create`` itself right before it signs the link: mint links when the person clicks, not in advance.
"""

from __future__ import annotations

import hashlib
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus

import httpx
from django.conf import settings

from parta.messenger.video.base import (
    Participant,
    RoomSpec,
    VideoEngineError,
    VideoNotConfiguredError,
    plain_text,
)
from parta.messenger.video.window import join_window_check

logger = logging.getLogger("parta.messenger.video")

CHECKSUM_ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
MAX_ANSWER_BYTES = 1_000_000  # a create answer is well under 2 KB
NAME_MAX = 64  # BigBlueButton 2.4 accepts meeting names of 2–64 characters


def bbb_query(params: list[tuple[str, str]]) -> str:
    """The query string, encoded the way Java's ``URLEncoder`` (and so BigBlueButton) would re-encode it:
    letters, digits and ``-_.*`` kept, space as ``+``, every other byte of UTF-8 as ``%XX``.

    BigBlueButton 2.4+ hashes the query string exactly as received, but some releases parse and
    re-encode it first; in this canonical form both hash the same string.
    """
    return "&".join(
        f"{quote_plus(name, safe='*').replace('~', '%7E')}={quote_plus(value, safe='*').replace('~', '%7E')}"
        for name, value in params
    )


def bbb_checksum(*, call: str, query: str, secret: str, algorithm: str = "sha256") -> str:
    """``hex(algorithm(call + query + secret))``, as in «API Security Model» of the BigBlueButton docs."""
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise ValueError(f"checksum algorithm {algorithm!r} is not one of {', '.join(CHECKSUM_ALGORITHMS)}")
    return hashlib.new(algorithm, (call + query + secret).encode("utf-8")).hexdigest()


def api_base(url: str) -> str:
    """The API's base: ``https://bbb.example.ru/bigbluebutton/`` (what ``bbb-conf --secret`` prints) and
    ``…/bigbluebutton/api`` both give ``https://bbb.example.ru/bigbluebutton/api``."""
    base = url.strip().rstrip("/")
    return base if base.endswith("/api") else base + "/api"


@dataclass(frozen=True)
class CreatedMeeting:
    """What ``create`` told: ``create_time`` (milliseconds, as text) when the server said it."""

    meeting_id: str
    create_time: str | None
    duplicate: bool


class BigBlueButtonEngine:
    """A :class:`~parta.messenger.video.VideoEngine` speaking the BigBlueButton API over HTTP(S)."""

    name = "bigbluebutton"

    def __init__(
        self,
        *,
        url: str | None = None,
        secret: str | None = None,
        checksum: str | None = None,
        timeout: float | None = None,
    ) -> None:
        url = url if url is not None else getattr(settings, "PARTA_BBB_URL", "")
        self.api = api_base(url) if url else ""
        self.secret = secret if secret is not None else getattr(settings, "PARTA_BBB_SECRET", "")
        self.checksum = str(checksum or getattr(settings, "PARTA_BBB_CHECKSUM", "") or "sha256").lower()
        if self.checksum not in CHECKSUM_ALGORITHMS:
            raise ValueError(f"PARTA_BBB_CHECKSUM must be one of {', '.join(CHECKSUM_ALGORITHMS)}")
        self.timeout = timeout if timeout is not None else float(getattr(settings, "PARTA_BBB_TIMEOUT", 10))

    # --- the protocol --------------------------------------------------------------------------------

    def ensure_room(self, *, room: RoomSpec) -> None:
        self.create(room=room)

    def join_url(self, *, room: RoomSpec, participant: Participant, now: datetime) -> str:
        """Check the window, ``create`` the meeting (idempotent), and sign the ``join`` URL."""
        join_window_check(room=room, now=now)
        created = self.create(room=room)
        params = [
            ("fullName", plain_text(participant.full_name)),
            ("meetingID", room.room_id),
            ("role", "MODERATOR" if participant.is_moderator else "VIEWER"),
            ("userID", participant.user_id),
        ]
        if created.create_time:
            # The link then works only for this run of the meeting, not a later one with the same id.
            params.append(("createTime", created.create_time))
        params.append(("redirect", "true"))
        return self.signed_url(call="join", params=params)

    # --- the API ---------------------------------------------------------------------------------------

    def signed_url(self, *, call: str, params: list[tuple[str, str]]) -> str:
        self._require_configuration()
        query = bbb_query(params)
        checksum = bbb_checksum(call=call, query=query, secret=self.secret, algorithm=self.checksum)
        return (
            f"{self.api}/{call}?{query}&checksum={checksum}"
            if query
            else f"{self.api}/{call}?checksum={checksum}"
        )

    def create(self, *, room: RoomSpec) -> CreatedMeeting:
        name = plain_text(room.title)[:NAME_MAX]
        params = [
            ("name", name if len(name) >= 2 else room.room_id[:NAME_MAX]),
            ("meetingID", room.room_id),
            ("record", "false"),
        ]
        if room.moderator_message and plain_text(room.moderator_message):
            params.append(("moderatorOnlyMessage", plain_text(room.moderator_message)))
        answer = self._call(call="create", params=params, meeting_id=room.room_id)
        code = answer.findtext("returncode", "").strip()
        key = answer.findtext("messageKey", "").strip()
        if code == "SUCCESS":
            return CreatedMeeting(
                meeting_id=room.room_id,
                create_time=answer.findtext("createTime", "").strip() or None,
                duplicate=key == "duplicateWarning",
            )
        message = answer.findtext("message", "").strip()
        logger.error("BigBlueButton refused create %s: %s %s", room.room_id, key or code, message)
        raise VideoEngineError(engine=self.name, message_key=key or "FAILED", detail=message)

    def _require_configuration(self) -> None:
        if not self.api or not self.secret:
            logger.error("PARTA_VIDEO_ENGINE=bigbluebutton but PARTA_BBB_URL or PARTA_BBB_SECRET is empty")
            raise VideoNotConfiguredError(
                engine=self.name, detail="PARTA_BBB_URL or PARTA_BBB_SECRET is empty"
            )

    def _call(self, *, call: str, params: list[tuple[str, str]], meeting_id: str) -> ET.Element:
        url = self.signed_url(call=call, params=params)
        try:
            response = httpx.get(url, timeout=self.timeout, follow_redirects=False)
        except httpx.TimeoutException as error:
            logger.warning("BigBlueButton %s %s: no answer in %s s", call, meeting_id, self.timeout)
            raise VideoEngineError(
                engine=self.name, message_key="timeout", detail=f"{call}: no answer in {self.timeout} s"
            ) from error
        except httpx.HTTPError as error:
            # httpx's message names the cause (refused, name resolution, TLS); never repeat a signed URL.
            reason = str(error) if "checksum=" not in str(error) else ""
            logger.warning("BigBlueButton %s %s: %s %s", call, meeting_id, type(error).__name__, reason)
            raise VideoEngineError(
                engine=self.name,
                message_key="unreachable",
                detail=f"{call}: {type(error).__name__} {reason}".strip(),
            ) from error
        if response.status_code != 200:
            logger.warning("BigBlueButton %s %s answered HTTP %s", call, meeting_id, response.status_code)
            raise VideoEngineError(
                engine=self.name, message_key="httpError", detail=f"{call}: HTTP {response.status_code}"
            )
        return self._parse(call=call, content=response.content)

    def _parse(self, *, call: str, content: bytes) -> ET.Element:
        if len(content) > MAX_ANSWER_BYTES:
            raise VideoEngineError(
                engine=self.name, message_key="invalidResponse", detail=f"{call}: answer too long"
            )
        try:
            # The answer comes from the operator's own server; expat ≥ 2.4.1 (Python 3.11 ships 2.5)
            # refuses entity expansion attacks, and ElementTree never fetches external entities.
            root = ET.fromstring(content)  # noqa: S314
        except ET.ParseError as error:
            logger.warning("BigBlueButton %s answered something that is not XML", call)
            raise VideoEngineError(
                engine=self.name, message_key="invalidResponse", detail=f"{call}: not XML ({error})"
            ) from error
        if root.tag != "response" or root.findtext("returncode", "").strip() not in {"SUCCESS", "FAILED"}:
            logger.warning("BigBlueButton %s answered XML that is not an API response (<%s>)", call, root.tag)
            raise VideoEngineError(
                engine=self.name,
                message_key="invalidResponse",
                detail=f"{call}: not an API response (<{root.tag}>)",
            )
        return root
