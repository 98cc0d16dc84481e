"""Senders: SMS.ru over HTTP against a local fake speaking its API, e-mail, push, dev outbox."""

from __future__ import annotations

import json
import smtplib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.test import Client, override_settings

from parta.identity.actions.codes import CodeDeliveryError, code_digest, code_send, code_verify
from parta.identity.delivery import DeliveryError, Message
from parta.identity.delivery.dev import DevSender
from parta.identity.delivery.email import DjangoEmailSender
from parta.identity.delivery.push import push_possible
from parta.identity.delivery.smsru import SmsRuSender
from parta.identity.models import Code, CodeState, DevMessage
from parta.identity.tests import factories

PHONE = "+79991230001"


@dataclass
class FakeSmsRu:
    """A local server answering like https://sms.ru: ``answers[path]`` is (HTTP status, body)."""

    url: str
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)


def _ok_sms(number: str) -> str:
    return json.dumps(
        {
            "status": "OK",
            "status_code": 100,
            "sms": {number: {"status": "OK", "status_code": 100, "sms_id": "000000-10000000"}},
            "balance": 4122.56,
        }
    )


@pytest.fixture
def smsru() -> Iterator[FakeSmsRu]:
    state = FakeSmsRu(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            state.requests.append((self.path, form))
            if form.get("api_id") != "test-api-id":
                status, body = (
                    200,
                    json.dumps({"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"}),
                )
            elif self.path in state.answers:
                status, body = state.answers[self.path]
            elif self.path == "/sms/send":
                status, body = 200, _ok_sms(form.get("to", ""))
            elif self.path == "/code/call":
                status, body = (
                    200,
                    json.dumps(
                        {
                            "status": "OK",
                            "code": "1435",
                            "call_id": "000000-10000000",
                            "cost": 0.4,
                            "balance": 4122.56,
                        }
                    ),
                )
            else:
                status, body = (
                    404,
                    json.dumps({"status": "ERROR", "status_code": 211, "status_text": "Метод не найден"}),
                )
            payload = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def sender(fake: FakeSmsRu, **extra: Any) -> SmsRuSender:
    return SmsRuSender(api_id="test-api-id", base_url=fake.url, **{"sender_name": "", "test": False, **extra})


def message(text: str = "Сферум ID: код 123456 для входа.", **extra: Any) -> Message:
    return Message(to=PHONE, text=text, code="123456", **extra)


# --- SMS.ru ------------------------------------------------------------------------------------------------


def test_smsru_sends_an_sms_as_its_api_documents(smsru: FakeSmsRu) -> None:
    sender(smsru, sender_name="Sferum", test=True).send_sms(message(ip="10.0.0.7"))
    path, form = smsru.requests[0]
    assert path == "/sms/send"
    assert form == {
        "api_id": "test-api-id",
        "json": "1",
        "to": "79991230001",
        "msg": "Сферум ID: код 123456 для входа.",
        "from": "Sferum",
        "test": "1",
        "ip": "10.0.0.7",
    }


def test_smsru_wrong_api_id_is_a_delivery_error(smsru: FakeSmsRu, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(DeliveryError, match="status 200: wrong api_id"):
        SmsRuSender(api_id="not-it", base_url=smsru.url).send_sms(message())
    assert "123456" not in caplog.text


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"status": "ERROR", "status_code": 201, "status_text": "Не хватает средств на лицевом счету"},
            "status 201",
        ),
        ({"status": "ERROR", "status_code": 220, "status_text": "Сервис временно недоступен"}, "status 220"),
        (
            {
                "status": "OK",
                "status_code": 100,
                "sms": {
                    "79991230001": {"status": "ERROR", "status_code": 207, "status_text": "Нет маршрута"}
                },
            },
            "status 207",
        ),
        ({"status": "OK", "status_code": 100, "sms": {}}, "the number is missing"),
    ],
)
def test_smsru_refusals_are_delivery_errors(smsru: FakeSmsRu, answer: dict[str, Any], expected: str) -> None:
    smsru.answers["/sms/send"] = (200, json.dumps(answer))
    with pytest.raises(DeliveryError, match=expected):
        sender(smsru).send_sms(message())


@pytest.mark.parametrize(
    ("status", "body"), [(500, "Internal error"), (200, "100\n000000-10000000"), (200, "[1]")]
)
def test_smsru_broken_answers_are_delivery_errors(smsru: FakeSmsRu, status: int, body: str) -> None:
    smsru.answers["/sms/send"] = (status, body)
    with pytest.raises(DeliveryError):
        sender(smsru).send_sms(message())


def test_smsru_unreachable_is_a_delivery_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now.
    with pytest.raises(DeliveryError, match="ConnectError"):
        SmsRuSender(api_id="test-api-id", base_url=f"http://127.0.0.1:{port}", timeout=2).send_sms(message())


def test_smsru_without_api_id_refuses_before_any_request(smsru: FakeSmsRu) -> None:
    with pytest.raises(DeliveryError, match="no api_id"):
        SmsRuSender(api_id="", base_url=smsru.url).send_sms(message())
    assert smsru.requests == []


def test_smsru_call_reset_returns_the_last_four_digits(smsru: FakeSmsRu) -> None:
    placed = sender(smsru).call(to=PHONE, ip="10.0.0.7")
    assert placed.code == "1435"
    assert smsru.requests[0] == (
        "/code/call",
        {"api_id": "test-api-id", "json": "1", "phone": "79991230001", "ip": "10.0.0.7"},
    )


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "ERROR", "status_code": 202, "status_text": "Неправильно указан номер"},
        {"status": "OK", "call_id": "1"},
        {"status": "OK", "code": "12"},
    ],
)
def test_smsru_call_reset_refusals(smsru: FakeSmsRu, answer: dict[str, Any]) -> None:
    smsru.answers["/code/call"] = (200, json.dumps(answer))
    with pytest.raises(DeliveryError):
        sender(smsru).call(to=PHONE)


@pytest.mark.django_db
def test_sign_in_codes_go_through_smsru_when_configured(smsru: FakeSmsRu) -> None:
    gateway = "parta.identity.delivery.smsru.SmsRuSender"
    with override_settings(
        PARTA_ID_SENDERS={"sms": gateway, "call": gateway},
        PARTA_SMSRU_API_ID="test-api-id",
        PARTA_SMSRU_URL=smsru.url,
    ):
        code = code_send(purpose="signin", channel="sms", target=PHONE, ip="10.0.0.7")
        text = smsru.requests[0][1]["msg"]
        value = text.split("код ")[1][:6]
        assert code.digest == code_digest(target=PHONE, purpose="signin", value=value)
        call = code_send(purpose="signin", channel="call", target=PHONE)
        assert code_verify(code_id=call.pk, value="1435").state == CodeState.USED
        assert not DevMessage.objects.exists()

        smsru.answers["/sms/send"] = (200, json.dumps({"status": "ERROR", "status_code": 201}))
        Code.objects.update(resend_at=code.created_at)
        with pytest.raises(CodeDeliveryError, match="Не удалось отправить SMS"):
            code_send(purpose="signin", channel="sms", target=PHONE)


# --- e-mail, push, disabled --------------------------------------------------------------------------------


def test_email_goes_through_djangos_backend() -> None:
    DjangoEmailSender().send_email(
        Message(to="ka@mail.ru", subject="Код подтверждения", text="Ваш код 123456", code="123456")
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ka@mail.ru"]
    assert mail.outbox[0].subject == "Код подтверждения"
    assert "123456" in mail.outbox[0].body


class BrokenSmtp:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        raise smtplib.SMTPServerDisconnected("gone")


def test_an_smtp_failure_is_a_delivery_error() -> None:
    with (
        override_settings(EMAIL_BACKEND="parta.identity.tests.test_delivery.BrokenSmtp"),
        pytest.raises(DeliveryError, match="SMTPServerDisconnected"),
    ):
        DjangoEmailSender().send_email(Message(to="ka@mail.ru", subject="s", text="t", code="1"))


@pytest.mark.django_db
def test_no_push_is_possible_until_the_messenger_provides_sessions() -> None:
    account = factories.account()
    assert push_possible(account_id=account.pk) is False
    assert push_possible(account_id=None) is False


def broken_provider(*, account_id: int) -> list[str]:
    raise RuntimeError("messenger down")


@pytest.mark.django_db
def test_a_failing_session_provider_means_no_push() -> None:
    account = factories.account()
    with override_settings(PARTA_ID_PUSH_SESSIONS="parta.identity.tests.test_delivery.broken_provider"):
        assert push_possible(account_id=account.pk) is False


@pytest.mark.django_db
def test_the_demo_pretends_a_session_for_the_listed_phones() -> None:
    listed = factories.account("+79991230001")
    other = factories.account("+79991230002")
    with override_settings(
        PARTA_ID_PUSH_SESSIONS="parta.identity.delivery.dev.dev_push_sessions",
        PARTA_ID_DEV_PUSH_PHONES=["+79991230001"],
    ):
        assert push_possible(account_id=listed.pk) is True
        assert push_possible(account_id=other.pk) is False


@pytest.mark.django_db
def test_without_a_configured_gateway_production_refuses_to_send(caplog: pytest.LogCaptureFixture) -> None:
    disabled = "parta.identity.delivery.disabled.DisabledSender"
    with (
        override_settings(PARTA_ID_SENDERS={"sms": disabled}),
        pytest.raises(CodeDeliveryError, match="Не удалось отправить SMS"),
    ):
        code_send(purpose="signin", channel="sms", target=PHONE)
    assert "PARTA_ID_SMS_SENDER" in caplog.text
    assert not DevMessage.objects.exists()


@pytest.mark.django_db
def test_the_dev_call_comes_from_a_russian_mobile_number_ending_in_the_code() -> None:
    placed = DevSender().call(to=PHONE)
    assert placed.caller_number.startswith("+79")
    assert len(placed.caller_number) == 12
    assert placed.caller_number[-4:] == placed.code


# --- the dev outbox ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dev_outbox_json_lists_messages_newest_first_by_phone(client: Client) -> None:
    code_send(purpose="signin", channel="sms", target=PHONE)
    code_send(purpose="signin", channel="call", target=PHONE)
    code_send(purpose="signin", channel="sms", target="+79991230002")
    with override_settings(PARTA_DEV_OUTBOX=True):
        # «+» in a query string is a space unless encoded: both spellings find the number.
        for query in ("phone=+79991230001", "phone=%2B79991230001"):
            answer = client.get(f"/dev/outbox/?format=json&{query}").json()
            assert [m["channel"] for m in answer] == ["call", "sms"]
            assert set(answer[0]) == {"id", "channel", "to", "text", "code", "caller_number", "created_at"}
            assert answer[0]["caller_number"].endswith(answer[0]["code"])
            assert answer[1]["to"] == PHONE
            assert answer[1]["code"] in answer[1]["text"]
            assert answer[0]["id"] > answer[1]["id"]
        page = client.get("/dev/outbox/").content.decode()
        assert "+79991230002" in page
    with override_settings(PARTA_DEV_OUTBOX=False):
        assert client.get("/dev/outbox/?format=json").status_code == 404
