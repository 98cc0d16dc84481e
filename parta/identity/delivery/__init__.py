"""How the ID's codes reach people: one sender per channel, chosen by settings (``PARTA_ID_SENDERS``).

Each channel has a small protocol, the way Warehouse picks its backends:

- :class:`SmsSender` — an SMS gateway (``delivery.smsru.SmsRuSender`` speaks SMS.ru's HTTP API);
- :class:`CallSender` — call-reset: the gateway calls from a number whose last 4 digits are the code,
  and tells which digits (SMS.ru's ``/code/call``);
- :class:`PushSender` — a push to the account's signed-in messenger sessions (``delivery.push``);
- :class:`EmailSender` — e-mail through Django's e-mail backends (``delivery.email``);
- :class:`FriendSender` — a trusted friend's recovery code, posted by the messenger's bot into the
  friend's chat with it (manual 001). The messenger provides its own sender and names it in
  ``PARTA_ID_SENDERS["friend"]`` (``PARTA_ID_FRIEND_SENDER``); until then the dev outbox takes them in
  the demo and tests, and a production site refuses (the friends' way then fails with a plain message).

``delivery.dev.DevSender`` implements all four by writing :class:`~parta.identity.models.DevMessage`
rows (the dev outbox); ``delivery.disabled.DisabledSender`` refuses, for a production site whose
gateway is not configured yet. A sender raises :class:`DeliveryError` when the message did not go; it
never writes a code or a whole message into a log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from django.conf import settings
from django.utils.module_loading import import_string


class DeliveryError(Exception):
    """The message did not go. ``str(error)`` is for the operator's log and never holds the code."""


@dataclass(frozen=True)
class Message:
    """One message with a code, as a sender receives it."""

    to: str  # an E.164 phone number or an e-mail address
    text: str  # what the person reads
    code: str  # the code inside ``text``; the dev outbox shows it, real senders never log it
    subject: str = ""  # the e-mail subject
    account_id: int | None = None
    phone: str = ""  # the account's phone (the dev outbox filters by it, also for e-mail)
    ip: str | None = None  # the requester's address: gateways use it against abuse


@dataclass(frozen=True)
class CallReset:
    """A call placed: ``code`` is the last 4 digits of ``caller_number`` (which a gateway may not tell)."""

    code: str
    caller_number: str = ""


class SmsSender(Protocol):
    def send_sms(self, message: Message) -> None: ...


class CallSender(Protocol):
    def call(self, *, to: str, ip: str | None = None) -> CallReset: ...


class PushSender(Protocol):
    def send_push(self, message: Message, *, sessions: Sequence[str]) -> None: ...


class EmailSender(Protocol):
    def send_email(self, message: Message) -> None: ...


class FriendSender(Protocol):
    """``message.to`` and ``message.phone`` are the friend's phone, ``message.account_id`` the friend's
    account: the bot finds the friend's chat by it. ``message.text`` says who asks and why."""

    def send_friend(self, message: Message) -> None: ...


def _sender(channel: str) -> object:
    path = getattr(settings, "PARTA_ID_SENDERS", {}).get(channel) or "parta.identity.delivery.dev.DevSender"
    return import_string(path)()


def sms_sender() -> SmsSender:
    return cast(SmsSender, _sender("sms"))


def call_sender() -> CallSender:
    return cast(CallSender, _sender("call"))


def push_sender() -> PushSender:
    return cast(PushSender, _sender("push"))


def email_sender() -> EmailSender:
    return cast(EmailSender, _sender("email"))


def friend_sender() -> FriendSender:
    return cast(FriendSender, _sender("friend"))
