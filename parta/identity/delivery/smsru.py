"""SMS.ru (https://sms.ru/api): SMS through ``/sms/send`` and call-reset through ``/code/call``.

Both are form POSTs with the account's ``api_id`` and ``json=1``; the answer is JSON.

``/sms/send`` (``to`` without the plus, ``msg``; optionally ``from``, ``test=1`` and the user's ``ip``)
answers ``{"status": "OK", "status_code": 100, "sms": {"79255070602": {"status": "OK", "status_code": 100,
"sms_id": "000000-10000000"}}, "balance": 4122.56}``. A refused request answers ``{"status": "ERROR",
"status_code": 200, "status_text": "Неправильный api_id"}``; a refused number has ``"status": "ERROR"``
and its own ``status_code`` inside ``sms``.

``/code/call`` (``phone``, ``ip``) calls the number from a random one and answers ``{"status": "OK",
"code": "1435", "call_id": "000000-10000000", "cost": 0.4, "balance": 4122.56}``: ``code`` is the last
4 digits of the calling number, which the person types on «Подтвердите вход».
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
from django.conf import settings

from parta.identity.delivery import CallReset, DeliveryError, Message

logger = logging.getLogger("parta.identity.delivery")

# SMS.ru's documented status codes, for the operator's log (the person sees a plain Russian message).
STATUS_CODES = {
    100: "accepted",
    200: "wrong api_id",
    201: "not enough money on the account",
    202: "wrong recipient number, or no route to it",
    203: "no message text",
    204: "sender name not approved by SMS.ru",
    205: "message too long (more than 8 SMS)",
    206: "the daily sending limit is or would be exceeded",
    207: "no route to deliver messages to this number",
    208: "wrong time parameter",
    209: "the number is in the account's stop list",
    210: "GET used where POST is required",
    211: "method not found",
    212: "the text must be UTF-8",
    213: "more than 100 numbers in one request",
    220: "the service is temporarily unavailable, try again a little later",
    230: "too many messages to this number today",
    231: "too many identical messages to this number in a minute",
    232: "too many identical messages to this number today",
    300: "wrong token",
    301: "wrong api_id, or wrong login or password",
    302: "the account is not confirmed",
}


def _status(answer: dict[str, Any]) -> str:
    code = answer.get("status_code")
    meaning = STATUS_CODES.get(code, "unknown status") if isinstance(code, int) else "no status code"
    return f"SMS.ru status {code}: {meaning}"


class SmsRuSender:
    """An :class:`~parta.identity.delivery.SmsSender` and :class:`~parta.identity.delivery.CallSender`."""

    def __init__(
        self,
        *,
        api_id: str | None = None,
        base_url: str | None = None,
        sender_name: str | None = None,
        test: bool | None = None,
        timeout: float | None = None,
    ) -> None:
        self.api_id = api_id if api_id is not None else getattr(settings, "PARTA_SMSRU_API_ID", "")
        self.base_url = str(base_url or getattr(settings, "PARTA_SMSRU_URL", "") or "https://sms.ru").rstrip(
            "/"
        )
        self.sender_name = (
            sender_name if sender_name is not None else getattr(settings, "PARTA_SMSRU_FROM", "")
        )
        self.test = test if test is not None else bool(getattr(settings, "PARTA_SMSRU_TEST", False))
        self.timeout = timeout if timeout is not None else float(getattr(settings, "PARTA_SMSRU_TIMEOUT", 10))

    def _post(self, path: str, data: dict[str, str]) -> dict[str, Any]:
        if not self.api_id:
            logger.error("SMS.ru is chosen but PARTA_SMSRU_API_ID is empty (see docs/identity.md).")
            raise DeliveryError("SMS.ru: no api_id configured")
        form = {"api_id": self.api_id, "json": "1", **data}
        try:
            response = httpx.post(f"{self.base_url}{path}", data=form, timeout=self.timeout)
        except httpx.HTTPError as error:
            logger.warning("SMS.ru %s did not answer: %s", path, type(error).__name__)
            raise DeliveryError(f"SMS.ru {path}: {type(error).__name__}") from error
        if response.status_code != 200:
            logger.warning("SMS.ru %s answered HTTP %s", path, response.status_code)
            raise DeliveryError(f"SMS.ru {path}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as error:
            logger.warning("SMS.ru %s answered something that is not JSON", path)
            raise DeliveryError(f"SMS.ru {path}: not JSON") from error
        if not isinstance(answer, dict):
            raise DeliveryError(f"SMS.ru {path}: unexpected answer")
        if answer.get("status") != "OK":
            logger.warning("SMS.ru %s refused the request: %s", path, _status(answer))
            raise DeliveryError(f"{path}: {_status(answer)}")
        return answer

    def send_sms(self, message: Message) -> None:
        number = message.to.removeprefix("+")
        data = {"to": number, "msg": message.text}
        if self.sender_name:
            data["from"] = self.sender_name
        if self.test:
            data["test"] = "1"
        if message.ip:
            data["ip"] = message.ip
        answer = self._post("/sms/send", data)
        per_number = (answer.get("sms") or {}).get(number)
        if not isinstance(per_number, dict) or per_number.get("status") != "OK":
            status = _status(per_number) if isinstance(per_number, dict) else "the number is missing"
            logger.warning("SMS.ru did not accept the SMS: %s", status)
            raise DeliveryError(f"/sms/send: {status}")

    def call(self, *, to: str, ip: str | None = None) -> CallReset:
        data = {"phone": to.removeprefix("+")}
        if ip:
            data["ip"] = ip
        answer = self._post("/code/call", data)
        code = str(answer.get("code", ""))
        if not re.fullmatch(r"[0-9]{4}", code):
            logger.warning("SMS.ru /code/call answered without a 4-digit code")
            raise DeliveryError("/code/call: no 4-digit code in the answer")
        return CallReset(code=code)
