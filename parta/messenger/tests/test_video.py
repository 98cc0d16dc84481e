"""The video engines against servers that speak their protocols on 127.0.0.1.

BigBlueButton: :class:`~parta.messenger.video.fakes.FakeBigBlueButton` checks every checksum the way
bbb-web does and answers its XML; a join URL counts as working only when the fake redirects it into the
meeting. Jitsi: the token is read back with Authlib (the engine signs with jwcrypto) and checked the
way Prosody's ``token_verification`` checks it. The clock is always passed in.
"""

from __future__ import annotations

import runpy
import socket
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from parta.messenger.video import (
    JoinNotOpenError,
    Participant,
    RoomSpec,
    VideoEngine,
    VideoEngineError,
    VideoNotConfiguredError,
    join_window_is_open,
    video_engine,
)
from parta.messenger.video.bigbluebutton import BigBlueButtonEngine, bbb_checksum, bbb_query
from parta.messenger.video.disabled import DisabledEngine
from parta.messenger.video.fakes import FakeAttendee, FakeBigBlueButton, java_form_encode
from parta.messenger.video.jitsi import JitsiEngine
from parta.sites.platform import settings as platform_settings

with warnings.catch_warnings():
    # authlib.jose warns that joserfc replaces it; it is used here only as an independent JWT decoder.
    # authlib.deprecate installs an "always" filter for its warning; the filter after it takes precedence.
    import authlib.deprecate  # noqa: F401

    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebToken
    from authlib.jose.errors import BadSignatureError, ExpiredTokenError, InvalidTokenError, JoseError

NOT_STARTED = "Ссылка будет доступна в момент начала видеоконференции"
ENDED = "Видеоконференция уже закончилась"
NOT_CONFIGURED = "Видеоконференции не настроены: обратитесь к администратору платформы"
ENGINE_FAILED_START = "Не удалось подключиться к видеоконференции"

BBB_SECRET = "8cd8ef52e8e101574e400365b55e11a6-parta-tests"
JITSI_SECRET = "jitsi-app-secret-for-parta-tests-0123456789"
MSK = timezone(timedelta(hours=3))
START = datetime(2025, 9, 1, 9, 0, tzinfo=MSK)  # Monday, the first lesson
END = START + timedelta(minutes=45)
GRACE = timedelta(minutes=5)

TEACHER = Participant(user_id="t-42", full_name="Мария Ивановна Петрова", is_moderator=True)
STUDENT = Participant(user_id="s-7", full_name="Иван Сидоров", is_moderator=False)


def make_room(**changes: Any) -> RoomSpec:
    values: dict[str, Any] = {
        "room_id": "parta-conf-3f2b8c1e-5d1a-4c39-9a53-0b7f2a6e1d10",
        "title": "Алгебра, 7А — онлайн-урок",
        "starts_at": START,
        "ends_at": END,
        "moderator_message": "Ссылка для учеников — в классном чате",
    }
    values.update(changes)
    return RoomSpec(**values)


@pytest.fixture
def bbb() -> Iterator[FakeBigBlueButton]:
    with FakeBigBlueButton(secret=BBB_SECRET) as fake:
        yield fake


def bbb_engine(fake: FakeBigBlueButton, **kwargs: Any) -> BigBlueButtonEngine:
    options: dict[str, Any] = {"url": fake.url, "secret": BBB_SECRET, "timeout": 5.0}
    options.update(kwargs)
    return BigBlueButtonEngine(**options)


def open_join_url(url: str) -> httpx.Response:
    """What the person's browser does with the link: one GET, redirects not followed."""
    return httpx.get(url, follow_redirects=False, timeout=5.0)


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the room and the window ---------------------------------------------------------------------------


def test_room_spec_refuses_what_no_engine_could_use() -> None:
    with pytest.raises(ValueError, match="aware"):
        make_room(starts_at=START.replace(tzinfo=None))
    with pytest.raises(ValueError, match="later"):
        make_room(ends_at=START)
    with pytest.raises(ValueError, match="room_id"):
        make_room(room_id="Parta conf, 7A")
    with pytest.raises(ValueError, match="title"):
        make_room(title="  ")


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (START - GRACE - timedelta(microseconds=1), False),
        (START - GRACE, True),
        (START, True),
        (END - timedelta(microseconds=1), True),
        (END, False),
    ],
)
def test_join_window_edges(now: datetime, is_open: bool) -> None:
    assert join_window_is_open(room=make_room(), now=now) is is_open


def test_join_window_is_the_same_instant_in_any_time_zone() -> None:
    in_utc = (START - GRACE).astimezone(UTC)
    assert join_window_is_open(room=make_room(), now=in_utc)
    assert not join_window_is_open(room=make_room(), now=in_utc - timedelta(seconds=1))


# --- the window, as every engine enforces it -------------------------------------------------------------

ENGINE_NAMES = ["bigbluebutton", "jitsi", "none"]


def any_engine(name: str, fake: FakeBigBlueButton) -> VideoEngine:
    if name == "bigbluebutton":
        return bbb_engine(fake)
    if name == "jitsi":
        return JitsiEngine(url="https://meet.example.ru", app_id="parta", app_secret=JITSI_SECRET)
    return DisabledEngine()


@pytest.mark.parametrize("name", ENGINE_NAMES)
@pytest.mark.parametrize("now", [START - GRACE - timedelta(seconds=1), START - timedelta(hours=20)])
def test_before_the_window_every_engine_refuses_and_touches_nothing(
    name: str, now: datetime, bbb: FakeBigBlueButton
) -> None:
    engine = any_engine(name, bbb)
    with pytest.raises(JoinNotOpenError) as refused:
        engine.join_url(room=make_room(), participant=TEACHER, now=now)
    assert str(refused.value) == NOT_STARTED
    assert refused.value.reason == "not_started"
    assert refused.value.opens_at == START - GRACE
    assert bbb.calls == []  # no meeting was created early


@pytest.mark.parametrize("name", ENGINE_NAMES)
@pytest.mark.parametrize("now", [END, END + timedelta(days=1)])
def test_after_the_end_every_engine_refuses(name: str, now: datetime, bbb: FakeBigBlueButton) -> None:
    engine = any_engine(name, bbb)
    with pytest.raises(JoinNotOpenError) as refused:
        engine.join_url(room=make_room(), participant=STUDENT, now=now)
    assert str(refused.value) == ENDED
    assert refused.value.reason == "ended"
    assert bbb.calls == []


def test_five_minutes_before_the_start_is_refused_without_grace(
    bbb: FakeBigBlueButton, settings: Any
) -> None:
    settings.PARTA_VIDEO_JOIN_GRACE_SECONDS = 0
    engine = bbb_engine(bbb)
    with pytest.raises(JoinNotOpenError) as refused:
        engine.join_url(room=make_room(), participant=STUDENT, now=START - timedelta(minutes=5))
    assert str(refused.value) == NOT_STARTED
    assert open_join_url(engine.join_url(room=make_room(), participant=STUDENT, now=START)).status_code == 302


def test_a_longer_grace_from_settings_opens_the_link_earlier(bbb: FakeBigBlueButton, settings: Any) -> None:
    settings.PARTA_VIDEO_JOIN_GRACE_SECONDS = 15 * 60
    url = bbb_engine(bbb).join_url(room=make_room(), participant=STUDENT, now=START - timedelta(minutes=15))
    assert open_join_url(url).status_code == 302


def test_naive_now_is_a_programming_error(bbb: FakeBigBlueButton) -> None:
    with pytest.raises(ValueError, match="aware"):
        bbb_engine(bbb).join_url(room=make_room(), participant=STUDENT, now=START.replace(tzinfo=None))


# --- BigBlueButton ---------------------------------------------------------------------------------------


def test_checksum_is_the_one_in_the_bigbluebutton_docs() -> None:
    # «API Security Model», docs.bigbluebutton.org: the SHA-1 of the example create call.
    checksum = bbb_checksum(
        call="create",
        query="name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444",
        secret="639259d4-9dd8-4b25-bf01-95f9567eaf4b",
        algorithm="sha1",
    )
    assert checksum == "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"


def test_ensure_room_creates_the_meeting_with_a_verified_sha256_checksum(bbb: FakeBigBlueButton) -> None:
    room = make_room()
    bbb_engine(bbb).ensure_room(room=room)

    (create,) = bbb.calls_to("create")
    assert create.checksum_ok
    assert len(create.params["checksum"]) == 64  # SHA-256 unless configured otherwise
    assert "attendeePW" not in create.params
    assert "moderatorPW" not in create.params
    meeting = bbb.meetings[room.room_id]
    assert meeting.name == "Алгебра, 7А — онлайн-урок"
    assert meeting.record == "false"
    assert meeting.moderator_only_message == "Ссылка для учеников — в классном чате"


def test_long_titles_are_cut_to_what_bigbluebutton_accepts(bbb: FakeBigBlueButton) -> None:
    room = make_room(
        title="Внеурочная деятельность «Разговоры о важном», 7А и 7Б, объединённое занятие",
        moderator_message=None,
    )
    bbb_engine(bbb).ensure_room(room=room)
    (create,) = bbb.calls_to("create")
    assert create.params["name"] == room.title[:64]
    assert "moderatorOnlyMessage" not in create.params


def test_ensure_room_twice_keeps_one_meeting(bbb: FakeBigBlueButton) -> None:
    engine, room = bbb_engine(bbb), make_room()
    engine.ensure_room(room=room)
    created = bbb.meetings[room.room_id]
    engine.ensure_room(room=room)
    engine.join_url(room=room, participant=STUDENT, now=START)

    assert [c.message_key for c in bbb.calls_to("create")] == ["", "duplicateWarning", "duplicateWarning"]
    assert list(bbb.meetings) == [room.room_id]
    assert bbb.meetings[room.room_id] is created


def test_join_urls_take_the_teacher_in_as_moderator_and_the_student_as_viewer(bbb: FakeBigBlueButton) -> None:
    engine, room = bbb_engine(bbb), make_room()
    teacher_url = engine.join_url(room=room, participant=TEACHER, now=START - GRACE)
    student_url = engine.join_url(room=room, participant=STUDENT, now=START + timedelta(minutes=10))

    for url in (teacher_url, student_url):
        response = open_join_url(url)
        assert response.status_code == 302, response.text
        assert response.headers["location"].startswith(f"{bbb.origin}/html5client/join?sessionToken=")
    assert bbb.meetings[room.room_id].attendees == [
        FakeAttendee(full_name="Мария Ивановна Петрова", role="MODERATOR", user_id="t-42"),
        FakeAttendee(full_name="Иван Сидоров", role="VIEWER", user_id="s-7"),
    ]
    params = query(teacher_url)
    assert urlsplit(teacher_url).path == "/bigbluebutton/api/join"
    assert params["role"] == "MODERATOR"
    assert query(student_url)["role"] == "VIEWER"
    assert params["redirect"] == "true"
    assert params["meetingID"] == room.room_id
    assert params["createTime"] == bbb.meetings[room.room_id].create_time
    assert "password" not in params


def test_a_student_cannot_make_the_link_a_moderators_link(bbb: FakeBigBlueButton) -> None:
    url = bbb_engine(bbb).join_url(room=make_room(), participant=STUDENT, now=START)
    forged = url.replace("role=VIEWER", "role=MODERATOR")
    assert forged != url

    response = open_join_url(forged)
    assert response.status_code == 200
    assert "<returncode>FAILED</returncode>" in response.text
    assert "<messageKey>checksumError</messageKey>" in response.text
    assert bbb.meetings[make_room().room_id].attendees == []


def test_a_join_url_from_an_earlier_run_of_the_meeting_is_refused(bbb: FakeBigBlueButton) -> None:
    room = make_room()
    url = bbb_engine(bbb).join_url(room=room, participant=STUDENT, now=START)
    del bbb.meetings[room.room_id]  # the meeting ended and BigBlueButton forgot it …
    bbb_engine(bbb).ensure_room(room=room)  # … then someone started it again

    response = open_join_url(url)
    assert response.status_code == 200
    assert "<messageKey>mismatchCreateTimeParam</messageKey>" in response.text


def test_a_meeting_created_elsewhere_with_passwords_is_joined_by_role(bbb: FakeBigBlueButton) -> None:
    room = make_room()
    seeded = bbb.seed_meeting(meeting_id=room.room_id, attendee_pw="ap", moderator_pw="mp")
    url = bbb_engine(bbb).join_url(room=room, participant=TEACHER, now=START)

    assert [c.message_key for c in bbb.calls_to("create")] == ["duplicateWarning"]
    assert query(url)["createTime"] == seeded.create_time
    assert open_join_url(url).status_code == 302
    assert bbb.meetings[room.room_id].attendees[0].role == "MODERATOR"


def test_a_failed_answer_is_reported_with_bigbluebuttons_key(bbb: FakeBigBlueButton) -> None:
    # What a server older than 2.4 answers to a second create without passwords.
    bbb.raw_answers["create"] = (
        200,
        b"<response><returncode>FAILED</returncode><messageKey>idNotUnique</messageKey>"
        b"<message>A meeting already exists with that meeting ID.</message></response>",
    )
    with pytest.raises(VideoEngineError) as failed:
        bbb_engine(bbb).ensure_room(room=make_room())
    assert str(failed.value).startswith(ENGINE_FAILED_START)
    assert failed.value.message_key == "idNotUnique"
    assert failed.value.detail == "A meeting already exists with that meeting ID."


@pytest.mark.parametrize(
    ("algorithm", "length"), [("sha1", 40), ("sha256", 64), ("sha384", 96), ("sha512", 128)]
)
def test_every_checksum_algorithm_bigbluebutton_allows(
    bbb: FakeBigBlueButton, algorithm: str, length: int
) -> None:
    url = bbb_engine(bbb, checksum=algorithm).join_url(room=make_room(), participant=TEACHER, now=START)
    assert len(query(url)["checksum"]) == length
    assert bbb.calls_to("create")[0].checksum_ok
    assert open_join_url(url).status_code == 302


@pytest.mark.parametrize(
    ("full_name", "shown"),
    [
        ("Анна-Мария О'Нил (мл.)", "Анна-Мария О'Нил (мл.)"),
        ("Jean & Co + 50% ~tilde* /slash?", "Jean & Co + 50% ~tilde* /slash?"),
        (
            "Ёжикова\tЁлка  Петровна\x07\n",
            "Ёжикова Ёлка Петровна",
        ),  # BigBlueButton refuses control characters
    ],
)
@pytest.mark.parametrize("reencode", [False, True])
def test_names_with_any_characters_verify_on_both_kinds_of_server(
    full_name: str, shown: str, reencode: bool
) -> None:
    with FakeBigBlueButton(secret=BBB_SECRET, reencode=reencode) as fake:
        participant = Participant(user_id="u-1", full_name=full_name)
        url = bbb_engine(fake).join_url(room=make_room(), participant=participant, now=START)
        assert open_join_url(url).status_code == 302
        assert fake.meetings[make_room().room_id].attendees[0].full_name == shown


def test_query_strings_are_already_in_the_java_form() -> None:
    params = [("fullName", "Анна О'Нил ~*"), ("meetingID", "parta-conf-1"), ("x", "a+b&c=d/é")]
    assert bbb_query(params) == java_form_encode(params)


def test_a_wrong_secret_is_reported_with_bigbluebuttons_key(bbb: FakeBigBlueButton) -> None:
    engine = bbb_engine(bbb, secret="not-the-secret-the-server-has")
    with pytest.raises(VideoEngineError) as failed:
        engine.ensure_room(room=make_room())
    assert str(failed.value).startswith(ENGINE_FAILED_START)
    assert failed.value.message_key == "checksumError"
    assert failed.value.operator_message == "bigbluebutton: checksumError: Checksums do not match"
    assert "not-the-secret" not in failed.value.operator_message
    assert bbb.meetings == {}


def test_an_algorithm_the_server_does_not_accept_is_a_checksum_error() -> None:
    with FakeBigBlueButton(secret=BBB_SECRET, algorithms=("sha256",)) as fake:
        with pytest.raises(VideoEngineError) as failed:
            bbb_engine(fake, checksum="sha1").ensure_room(room=make_room())
        assert failed.value.message_key == "checksumError"
        bbb_engine(fake, checksum="sha256").ensure_room(room=make_room())
        assert list(fake.meetings) == [make_room().room_id]


def test_a_server_that_does_not_answer_in_time(bbb: FakeBigBlueButton) -> None:
    bbb.slow_calls.add("create")
    with pytest.raises(VideoEngineError) as failed:
        bbb_engine(bbb, timeout=0.2).join_url(room=make_room(), participant=STUDENT, now=START)
    assert str(failed.value).startswith(ENGINE_FAILED_START)
    assert failed.value.message_key == "timeout"


def test_a_server_that_is_not_there() -> None:
    engine = BigBlueButtonEngine(url=f"http://127.0.0.1:{free_port()}/bigbluebutton/", secret=BBB_SECRET)
    with pytest.raises(VideoEngineError) as failed:
        engine.ensure_room(room=make_room())
    assert failed.value.message_key == "unreachable"


@pytest.mark.parametrize(
    ("status", "body", "key"),
    [
        (200, b"Service temporarily unavailable, try later\n", "invalidResponse"),
        (200, b"<html><body><h1>Welcome to nginx!</h1></body></html>", "invalidResponse"),
        (200, b"\x89PNG\r\n\x1a\n\x00\x00", "invalidResponse"),
        (502, b"<html><body>502 Bad Gateway</body></html>", "httpError"),
    ],
)
def test_answers_that_are_not_bigbluebuttons(
    bbb: FakeBigBlueButton, status: int, body: bytes, key: str
) -> None:
    bbb.raw_answers["create"] = (status, body)
    with pytest.raises(VideoEngineError) as failed:
        bbb_engine(bbb).join_url(room=make_room(), participant=TEACHER, now=START)
    assert str(failed.value).startswith(ENGINE_FAILED_START)
    assert failed.value.message_key == key


def test_bigbluebutton_without_url_or_secret_is_not_configured(bbb: FakeBigBlueButton) -> None:
    for engine in (
        BigBlueButtonEngine(url="", secret=BBB_SECRET),
        BigBlueButtonEngine(url=bbb.url, secret=""),
    ):
        with pytest.raises(VideoNotConfiguredError) as refused:
            engine.join_url(room=make_room(), participant=TEACHER, now=START)
        assert str(refused.value) == NOT_CONFIGURED
    assert bbb.calls == []


def test_the_api_url_may_be_given_as_bbb_conf_prints_it_or_with_api(bbb: FakeBigBlueButton) -> None:
    for url in (bbb.url, bbb.url.rstrip("/"), f"{bbb.url}api", f"{bbb.url}api/"):
        assert BigBlueButtonEngine(url=url, secret=BBB_SECRET).api == f"{bbb.origin}/bigbluebutton/api"


# --- Jitsi ---------------------------------------------------------------------------------------------


def jitsi_engine(**kwargs: Any) -> JitsiEngine:
    options: dict[str, Any] = {
        "url": "https://meet.example.ru",
        "app_id": "parta",
        "app_secret": JITSI_SECRET,
    }
    options.update(kwargs)
    return JitsiEngine(**options)


def prosody_accepts(
    token: str,
    *,
    now: datetime,
    room: str,
    secret: str = JITSI_SECRET,
    issuers: tuple[str, ...] = ("parta",),
    audiences: tuple[str, ...] = ("jitsi",),
    subject: str = "meet.example.ru",
) -> dict[str, Any]:
    """What Prosody's token_verification does when the person connects: the HS256 signature with
    app_secret, iss and aud among the accepted ones, nbf/exp against its clock, and the room and sub
    claims against the room being joined (``*`` accepted). Decoded with Authlib, not jwcrypto."""
    claims = JsonWebToken(["HS256"]).decode(token, secret.encode())
    claims.validate(now=int(now.timestamp()), leeway=0)
    if claims["iss"] not in issuers or claims["aud"] not in audiences:
        raise InvalidTokenError(description="issuer or audience not accepted")
    if claims["room"] not in {room, "*"} or claims["sub"] not in {subject, "*"}:
        raise InvalidTokenError(description="the token is for another room")
    return dict(claims)


def jitsi_token(url: str) -> str:
    return query(url)["jwt"]


def test_jitsi_link_carries_a_token_prosody_accepts_from_the_window_on() -> None:
    room = make_room()
    url = jitsi_engine().join_url(room=room, participant=TEACHER, now=START - GRACE)

    assert url.startswith(f"https://meet.example.ru/{room.room_id}?jwt=")
    token = jitsi_token(url)
    header = JsonWebToken(["HS256"]).decode(token, JITSI_SECRET.encode()).header
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = prosody_accepts(token, now=START - GRACE, room=room.room_id)
    assert claims == {
        "iss": "parta",
        "aud": "jitsi",
        "sub": "meet.example.ru",
        "room": room.room_id,
        "nbf": int((START - GRACE).timestamp()),
        "exp": int((END + timedelta(minutes=5)).timestamp()),
        "context": {"user": {"id": "t-42", "name": "Мария Ивановна Петрова", "moderator": "true"}},
    }


def test_jitsi_token_marks_students_as_not_moderators() -> None:
    token = jitsi_token(jitsi_engine().join_url(room=make_room(), participant=STUDENT, now=START))
    user = prosody_accepts(token, now=START, room=make_room().room_id)["context"]["user"]
    assert user == {"id": "s-7", "name": "Иван Сидоров", "moderator": "false"}


def test_jitsi_token_is_refused_before_nbf_and_after_exp() -> None:
    room = make_room()
    token = jitsi_token(jitsi_engine().join_url(room=room, participant=STUDENT, now=START))
    with pytest.raises(InvalidTokenError):
        prosody_accepts(token, now=START - GRACE - timedelta(seconds=1), room=room.room_id)
    prosody_accepts(token, now=END + timedelta(minutes=5), room=room.room_id)  # the tail for reconnecting
    with pytest.raises(ExpiredTokenError):
        prosody_accepts(token, now=END + timedelta(minutes=5, seconds=1), room=room.room_id)


def test_jitsi_token_does_not_open_another_room_or_verify_with_another_secret() -> None:
    token = jitsi_token(jitsi_engine().join_url(room=make_room(), participant=STUDENT, now=START))
    with pytest.raises(InvalidTokenError):
        prosody_accepts(token, now=START, room="parta-conf-another-lesson")
    with pytest.raises(BadSignatureError):
        prosody_accepts(
            token, now=START, room=make_room().room_id, secret="another-secret-of-the-same-length!!"
        )
    tampered = token.rsplit(".", 1)[0] + "." + "A" * 43
    with pytest.raises(JoseError):
        prosody_accepts(tampered, now=START, room=make_room().room_id)


def test_jitsi_tenant_audience_subject_and_tail_come_from_settings(settings: Any) -> None:
    settings.PARTA_JITSI_URL = "https://meet.example.ru/School42/"
    settings.PARTA_JITSI_APP_ID = "parta-region"
    settings.PARTA_JITSI_APP_SECRET = JITSI_SECRET
    settings.PARTA_JITSI_AUDIENCE = "parta-meet"
    settings.PARTA_JITSI_SUBJECT = ""
    settings.PARTA_JITSI_TOKEN_TAIL_SECONDS = 0
    settings.PARTA_VIDEO_ENGINE = "jitsi"
    engine = video_engine()
    assert isinstance(engine, JitsiEngine)

    room = make_room()
    url = engine.join_url(room=room, participant=STUDENT, now=START)
    assert url.startswith(f"https://meet.example.ru/School42/{room.room_id}?jwt=")
    claims = prosody_accepts(
        jitsi_token(url),
        now=END,
        room=room.room_id,
        issuers=("parta-region",),
        audiences=("parta-meet",),
        subject="school42",
    )
    assert claims["exp"] == int(END.timestamp())

    settings.PARTA_JITSI_SUBJECT = "meet.jitsi"  # docker-jitsi-meet's XMPP domain
    claims = jitsi_token(video_engine().join_url(room=room, participant=STUDENT, now=START))
    assert JsonWebToken(["HS256"]).decode(claims, JITSI_SECRET.encode())["sub"] == "meet.jitsi"


def test_jitsi_without_url_app_id_or_secret_is_not_configured() -> None:
    for missing in ({"url": ""}, {"app_id": ""}, {"app_secret": ""}):
        engine = jitsi_engine(**missing)
        engine.ensure_room(room=make_room())  # nothing to do, even unconfigured
        with pytest.raises(VideoNotConfiguredError) as refused:
            engine.join_url(room=make_room(), participant=STUDENT, now=START)
        assert str(refused.value) == NOT_CONFIGURED


# --- choosing the engine ---------------------------------------------------------------------------------


def test_none_engine_refuses_every_link_inside_the_window(settings: Any) -> None:
    settings.PARTA_VIDEO_ENGINE = "none"
    engine = video_engine()
    assert isinstance(engine, DisabledEngine)
    engine.ensure_room(room=make_room())
    with pytest.raises(VideoNotConfiguredError) as refused:
        engine.join_url(room=make_room(), participant=TEACHER, now=START)
    assert str(refused.value) == NOT_CONFIGURED


def test_bigbluebutton_is_chosen_and_configured_by_settings(bbb: FakeBigBlueButton, settings: Any) -> None:
    settings.PARTA_VIDEO_ENGINE = "bigbluebutton"
    settings.PARTA_BBB_URL = bbb.url
    settings.PARTA_BBB_SECRET = BBB_SECRET
    settings.PARTA_BBB_CHECKSUM = "sha512"
    engine = video_engine()
    assert isinstance(engine, BigBlueButtonEngine)

    url = engine.join_url(room=make_room(), participant=TEACHER, now=START)
    assert len(query(url)["checksum"]) == 128
    assert open_join_url(url).status_code == 302


def test_an_unknown_engine_is_a_configuration_error(settings: Any) -> None:
    settings.PARTA_VIDEO_ENGINE = "zoom"
    with pytest.raises(ImproperlyConfigured, match="PARTA_VIDEO_ENGINE"):
        video_engine()


def test_the_platform_settings_read_the_video_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PARTA_VIDEO_ENGINE", "PARTA_VIDEO_JOIN_GRACE_SECONDS", "PARTA_BBB_CHECKSUM"):
        monkeypatch.delenv(name, raising=False)
    defaults = runpy.run_path(platform_settings.__file__)
    assert defaults["PARTA_VIDEO_ENGINE"] == "none"
    assert defaults["PARTA_VIDEO_JOIN_GRACE_SECONDS"] == 300
    assert defaults["PARTA_BBB_CHECKSUM"] == "sha256"
    assert defaults["PARTA_JITSI_AUDIENCE"] == "jitsi"

    monkeypatch.setenv("PARTA_VIDEO_ENGINE", "bigbluebutton")
    monkeypatch.setenv("PARTA_VIDEO_JOIN_GRACE_SECONDS", "600")
    monkeypatch.setenv("PARTA_BBB_URL", "https://bbb.example.ru/bigbluebutton/")
    monkeypatch.setenv("PARTA_BBB_SECRET", "s3cr3t")
    monkeypatch.setenv("PARTA_JITSI_TOKEN_TAIL_SECONDS", "60")
    configured = runpy.run_path(platform_settings.__file__)
    assert configured["PARTA_VIDEO_ENGINE"] == "bigbluebutton"
    assert configured["PARTA_VIDEO_JOIN_GRACE_SECONDS"] == 600
    assert configured["PARTA_BBB_URL"] == "https://bbb.example.ru/bigbluebutton/"
    assert configured["PARTA_BBB_SECRET"] == "s3cr3t"
    assert configured["PARTA_JITSI_TOKEN_TAIL_SECONDS"] == 60
