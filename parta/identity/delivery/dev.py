"""The development sender: every channel writes a row into the dev outbox instead of leaving the machine.

Chosen by default when ``PARTA_DEV_OUTBOX=1`` (the demo, the browser tests) or ``PARTA_TESTING=1``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.conf import settings

from parta.core.phones import phone_display
from parta.identity import sql
from parta.identity.delivery import CallReset, Message
from parta.identity.models import Account, DevMessage


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


class DevSender:
    """SMS, call-reset, push, e-mail and friends' codes into :class:`DevMessage` (``/dev/outbox/``)."""

    def send_sms(self, message: Message) -> None:
        # Hand-written INSERT (parta.identity.sql): the demo's and the bench's every sign-in sends one.
        sql.insert(
            DevMessage(
                channel="sms",
                phone=message.phone or message.to,
                to=message.to,
                text=message.text,
                code=message.code,
            )
        )

    def call(self, *, to: str, ip: str | None = None) -> CallReset:
        # A Russian mobile number whose last 4 digits are the code, as a call-reset gateway would use.
        code = _digits(4)
        caller = "+79" + _digits(5) + code
        DevMessage.objects.create(
            channel="call",
            phone=to,
            to=to,
            text=f"Входящий звонок-сброс с номера {phone_display(caller)}",
            code=code,
            caller_number=caller,
        )
        return CallReset(code=code, caller_number=caller)

    def send_push(self, message: Message, *, sessions: Sequence[str]) -> None:
        DevMessage.objects.create(
            channel="push",
            phone=message.phone or message.to,
            to=message.to,
            text=message.text,
            code=message.code,
        )

    def send_email(self, message: Message) -> None:
        DevMessage.objects.create(
            channel="email",
            phone=message.phone,
            to=message.to,
            text=f"{message.subject}\n\n{message.text}" if message.subject else message.text,
            code=message.code,
        )

    def send_friend(self, message: Message) -> None:
        DevMessage.objects.create(
            channel="friend",
            phone=message.phone or message.to,
            to=message.to,
            text=message.text,
            code=message.code,
        )


def dev_push_sessions(*, account_id: int) -> list[str]:
    """Demo only: the accounts whose phones are in ``PARTA_ID_DEV_PUSH_PHONES`` "have" a messenger session."""
    phones = set(getattr(settings, "PARTA_ID_DEV_PUSH_PHONES", []))
    if not phones:
        return []
    phone = Account.objects.filter(pk=account_id).values_list("phone", flat=True).first()
    return ["dev-session"] if phone in phones else []
