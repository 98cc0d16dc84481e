"""A BigBlueButton server for tests and local trials: the API's checksum rule and XML answers, no video.

It listens on 127.0.0.1 (a free port) in a thread and answers like bbb-web 2.4+:

- every call's checksum is verified as bbb-web's ``GetChecksum`` + ``GetChecksumValidator`` do: the raw
  query string minus ``checksum=…``, prefixed with the call's name and followed by the shared secret,
  hashed with the algorithm the checksum's length names (40 → SHA-1, 64 → SHA-256, 96 → SHA-384,
  128 → SHA-512) if it is among ``algorithms`` (``supportedChecksumAlgorithms``); with ``reencode=True``
  the query is first parsed and re-encoded the Java way, as some releases do; a mismatch answers
  ``FAILED``/``checksumError``;
- ``create`` makes a meeting, answers ``duplicateWarning`` for a running one when no passwords are sent
  or the same ones, and ``idNotUnique`` when other passwords are sent;
- ``join`` with the right checksum, a known meeting, a valid ``role`` (or password) and a matching
  ``createTime`` redirects (302) to ``/html5client/join?sessionToken=…`` — or, with ``redirect=false``,
  answers ``successfullyJoined`` — and records the attendee; anything else answers 200 with a ``FAILED``
  XML error, as bbb-web does.

Knobs for the unhappy paths: ``slow_calls`` (the answer waits until :meth:`FakeBigBlueButton.stop`) and
``raw_answers`` (a call answers a given HTTP status and body instead).

```python
with FakeBigBlueButton(secret="…") as bbb:
    engine = BigBlueButtonEngine(url=bbb.url, secret="…")
```
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

ALGORITHM_BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
JAVA_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.*")


def java_form_encode(pairs: list[tuple[str, str]]) -> str:
    """``URLEncodedUtils.format(pairs, '&', UTF_8)`` of Apache HttpClient: what re-encoding releases hash."""

    def encode(text: str) -> str:
        out = []
        for byte in text.encode("utf-8"):
            if byte in JAVA_SAFE:
                out.append(chr(byte))
            elif byte == 0x20:
                out.append("+")
            else:
                out.append(f"%{byte:02X}")
        return "".join(out)

    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs)


@dataclass(frozen=True)
class FakeAttendee:
    full_name: str
    role: str  # MODERATOR or VIEWER
    user_id: str


@dataclass
class FakeMeeting:
    meeting_id: str
    name: str
    attendee_pw: str
    moderator_pw: str
    create_time: str
    record: str = "false"
    moderator_only_message: str = ""
    internal_id: str = field(default_factory=lambda: secrets.token_hex(20))
    attendees: list[FakeAttendee] = field(default_factory=list)


@dataclass(frozen=True)
class FakeCall:
    """One request as the fake saw it: the call, its parameters, and what it answered."""

    call: str
    params: dict[str, str]
    checksum_ok: bool
    returncode: str  # SUCCESS, FAILED, REDIRECT, RAW
    message_key: str


class FakeBigBlueButton:
    def __init__(
        self,
        *,
        secret: str,
        algorithms: tuple[str, ...] = ("sha1", "sha256", "sha384", "sha512"),
        reencode: bool = False,
    ) -> None:
        self.secret = secret
        self.algorithms = algorithms
        self.reencode = reencode
        self.meetings: dict[str, FakeMeeting] = {}
        self.calls: list[FakeCall] = []
        self.slow_calls: set[str] = set()
        self.raw_answers: dict[str, tuple[int, bytes]] = {}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._clock = 1_700_000_000_000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- running ---------------------------------------------------------------------------------------

    def start(self) -> FakeBigBlueButton:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = fake.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may have given up (a test of a slow engine's timeout): nothing to answer.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read ``fake.calls`` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.01), name="fake-bbb", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FakeBigBlueButton:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """What ``bbb-conf --secret`` would print as the URL."""
        return f"{self.origin}/bigbluebutton/"

    def seed_meeting(self, *, meeting_id: str, attendee_pw: str, moderator_pw: str) -> FakeMeeting:
        """A running meeting that another application created with passwords."""
        with self._lock:
            meeting = FakeMeeting(
                meeting_id=meeting_id,
                name=meeting_id,
                attendee_pw=attendee_pw,
                moderator_pw=moderator_pw,
                create_time=self._tick(),
            )
            self.meetings[meeting_id] = meeting
            return meeting

    def calls_to(self, call: str) -> list[FakeCall]:
        with self._lock:
            return [c for c in self.calls if c.call == call]

    # --- the protocol ----------------------------------------------------------------------------------

    def checksum_ok(self, *, call: str, raw_query: str, checksum: str) -> bool:
        if not checksum:
            return False
        if self.reencode:
            pairs = parse_qsl(raw_query, keep_blank_values=True)
            query = java_form_encode([(name, value) for name, value in pairs if name != "checksum"])
        else:
            query = raw_query.replace("&checksum=" + checksum, "")
            query = query.replace("checksum=" + checksum + "&", "")
            query = query.replace("checksum=" + checksum, "")
        algorithm = ALGORITHM_BY_LENGTH.get(len(checksum))
        if algorithm is None or algorithm not in self.algorithms:
            return False
        expected = hashlib.new(algorithm, (call + query + self.secret).encode("utf-8")).hexdigest()
        return expected == checksum.lower()

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        if parts.path == "/html5client/join":
            return (
                200,
                {"Content-Type": "text/html; charset=utf-8"},
                b"<!doctype html><title>BigBlueButton</title>",
            )
        prefix = "/bigbluebutton/api"
        if not parts.path.startswith(prefix):
            return 404, {"Content-Type": "text/plain"}, b"not found"
        call = parts.path[len(prefix) :].strip("/")
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        params = dict(pairs)
        if call in self.slow_calls:
            self._release.wait(timeout=60)
        if call in self.raw_answers:
            status, body = self.raw_answers[call]
            self._record(call, params, checksum_ok=False, returncode="RAW", key="")
            return status, {"Content-Type": "text/html"}, body
        if not call:
            return self._xml({"returncode": "SUCCESS", "version": "2.0", "apiVersion": "2.0"})
        checksum_ok = self.checksum_ok(call=call, raw_query=parts.query, checksum=params.get("checksum", ""))
        if not checksum_ok:
            return self._failed(call, params, False, "checksumError", "Checksums do not match")
        if call == "create":
            return self._create(params)
        if call == "join":
            return self._join(params)
        return self._failed(call, params, True, "unsupportedRequest", "This request is not supported.")

    def _create(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        meeting_id = params.get("meetingID", "")
        if not meeting_id:
            return self._failed(
                "create", params, True, "missingParamMeetingID", "You must specify a meeting ID."
            )
        if not 2 <= len(meeting_id) <= 256 or "," in meeting_id:
            return self._failed("create", params, True, "validationError", "Meeting ID is not valid.")
        attendee_pw, moderator_pw = params.get("attendeePW"), params.get("moderatorPW")
        with self._lock:
            existing = self.meetings.get(meeting_id)
            if existing is not None:
                same = existing.attendee_pw == attendee_pw and existing.moderator_pw == moderator_pw
                if not (same or (not attendee_pw and not moderator_pw)):
                    key, message = "idNotUnique", "A meeting already exists with that meeting ID."
                    self.calls.append(FakeCall("create", params, True, "FAILED", key))
                    return self._xml({"returncode": "FAILED", "messageKey": key, "message": message})
                meeting, key = existing, "duplicateWarning"
            else:
                meeting = FakeMeeting(
                    meeting_id=meeting_id,
                    name=params.get("name", meeting_id),
                    attendee_pw=attendee_pw or secrets.token_urlsafe(6),
                    moderator_pw=moderator_pw or secrets.token_urlsafe(6),
                    create_time=self._tick(),
                    record=params.get("record", "false"),
                    moderator_only_message=params.get("moderatorOnlyMessage", ""),
                )
                self.meetings[meeting_id] = meeting
                key = ""
            self.calls.append(FakeCall("create", params, True, "SUCCESS", key))
        fields = {
            "returncode": "SUCCESS",
            "meetingID": meeting.meeting_id,
            "internalMeetingID": meeting.internal_id,
            "parentMeetingID": "bbb-none",
            "attendeePW": meeting.attendee_pw,
            "moderatorPW": meeting.moderator_pw,
            "createTime": meeting.create_time,
            "voiceBridge": "70000",
            "dialNumber": "613-555-1234",
            "hasUserJoined": "true" if meeting.attendees else "false",
            "duration": "0",
            "hasBeenForciblyEnded": "false",
        }
        if key:
            fields["messageKey"] = key
            fields["message"] = "This conference was already in existence and may currently be in progress."
        return self._xml(fields)

    def _join(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        meeting_id, full_name = params.get("meetingID", ""), params.get("fullName", "")
        if not meeting_id:
            return self._failed(
                "join", params, True, "missingParamMeetingID", "You must specify a meeting ID."
            )
        if not full_name:
            return self._failed("join", params, True, "missingParamFullName", "You must specify a name.")
        with self._lock:
            meeting = self.meetings.get(meeting_id)
        if meeting is None:
            return self._failed("join", params, True, "notFound", "We could not find a meeting with that ID.")
        role = params.get("role", "").upper()
        if role not in {"MODERATOR", "VIEWER"}:
            password = params.get("password", "")
            role = {meeting.moderator_pw: "MODERATOR", meeting.attendee_pw: "VIEWER"}.get(password, "")
            if not password or not role:
                return self._failed(
                    "join", params, True, "invalidPassword", "You either did not supply a role."
                )
        if "createTime" in params and params["createTime"] != meeting.create_time:
            return self._failed(
                "join", params, True, "mismatchCreateTimeParam", "The createTime does not match."
            )
        attendee = FakeAttendee(full_name=full_name, role=role, user_id=params.get("userID", ""))
        session = secrets.token_hex(8)
        with self._lock:
            meeting.attendees.append(attendee)
            redirect = params.get("redirect", "true").lower() != "false"
            self.calls.append(FakeCall("join", params, True, "REDIRECT" if redirect else "SUCCESS", ""))
        if redirect:
            return 302, {"Location": f"{self.origin}/html5client/join?sessionToken={session}"}, b""
        return self._xml(
            {
                "returncode": "SUCCESS",
                "messageKey": "successfullyJoined",
                "message": "You have joined successfully.",
                "meeting_id": meeting.internal_id,
                "session_token": session,
                "url": f"{self.origin}/html5client/join?sessionToken={session}",
            }
        )

    # --- helpers ---------------------------------------------------------------------------------------

    def _tick(self) -> str:
        self._clock += 1000
        return str(self._clock)

    def _record(
        self, call: str, params: dict[str, str], *, checksum_ok: bool, returncode: str, key: str
    ) -> None:
        with self._lock:
            self.calls.append(FakeCall(call, params, checksum_ok, returncode, key))

    def _failed(
        self, call: str, params: dict[str, str], checksum_ok: bool, key: str, message: str
    ) -> tuple[int, dict[str, str], bytes]:
        self._record(call, params, checksum_ok=checksum_ok, returncode="FAILED", key=key)
        return self._xml({"returncode": "FAILED", "messageKey": key, "message": message})

    @staticmethod
    def _xml(fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        root = ET.Element("response")
        for name, value in fields.items():
            ET.SubElement(root, name).text = value
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, ET.tostring(root, encoding="utf-8")
