"""The sender of a production site whose gateway is not configured: it refuses, loudly, in the log."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from parta.identity.delivery import CallReset, DeliveryError, Message

logger = logging.getLogger("parta.identity.delivery")


class DisabledSender:
    def _refuse(self, channel: str) -> DeliveryError:
        logger.error(
            "The ID has no %s sender configured: set PARTA_ID_%s_SENDER (see docs/identity.md).",
            channel,
            channel.upper(),
        )
        return DeliveryError(f"no {channel} sender configured")

    def send_sms(self, message: Message) -> None:
        raise self._refuse("sms")

    def call(self, *, to: str, ip: str | None = None) -> CallReset:
        raise self._refuse("call")

    def send_push(self, message: Message, *, sessions: Sequence[str]) -> None:
        raise self._refuse("push")

    def send_email(self, message: Message) -> None:
        raise self._refuse("email")

    def send_friend(self, message: Message) -> None:
        raise self._refuse("friend")
