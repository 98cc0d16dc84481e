"""What the ID may use of the messenger (``import-linter``: the ID sees the messenger only here).

- :func:`push_sessions` — for ``PARTA_ID_PUSH_SESSIONS``: the account's signed-in messenger sessions a
  push code can reach. A push code is shown in the person's «Сферум» chat, which every signed-in session
  of the account has open to it; so the sessions are the account's live sign-ins, provided the account
  has an educational profile (and with it a «Сферум» chat).
- :class:`BotCodeSender` — for ``PARTA_ID_SENDERS["push"]`` and ``["friend"]``: posts the code's message
  into the «Сферум» chat as a notice of the community bot (manual 004's push code; manual 001's trusted
  friend's code, which goes into the friend's chat).

The ID reaches these by dotted path in its settings (``parta/sites/platform/settings.py``); nothing here
returns a model instance.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from parta.identity.delivery import DeliveryError, Message
from parta.messenger.actions.bot import bot_notice

logger = logging.getLogger("parta.messenger.public")


def _profile_of_account(account_id: int | None) -> Any:
    # The messenger may not import the ID's models (import-linter); they are looked up by name, and only read.
    if account_id is None:
        return None
    return apps.get_model("identity", "EducationalProfile").objects.filter(account_id=account_id).first()


def push_sessions(*, account_id: int) -> list[str]:
    """The ids (not the secret session keys) of the account's signed-in sessions seen within the session
    lifetime, newest first — empty when the account has no educational profile, so no «Сферум» chat
    could show the code."""
    if _profile_of_account(account_id) is None:
        return []
    since = timezone.now() - dt.timedelta(seconds=int(getattr(settings, "SESSION_COOKIE_AGE", 1209600)))
    rows = (
        apps.get_model("identity", "AccountSession")
        .objects.filter(account_id=account_id, last_seen_at__gte=since)
        .order_by("-last_seen_at", "-pk")
        .values_list("pk", flat=True)
    )
    return [f"session-{pk}" for pk in rows]


class BotCodeSender:
    """The ID's ``PushSender`` and ``FriendSender``: the code goes into the «Сферум» chat of
    ``message.account_id``'s profile as the community bot's notice. Raises
    :class:`~parta.identity.delivery.DeliveryError` when that account has no profile; never logs the code."""

    def _post(self, message: Message, *, channel: str) -> None:
        profile = _profile_of_account(message.account_id)
        if profile is None:
            raise DeliveryError(f"{channel}: the account has no educational profile, so no «Сферум» chat")
        bot_notice(profile=profile, text=message.text)
        logger.info("%s code posted into the «Сферум» chat of profile %s", channel, profile.pk)

    def send_push(self, message: Message, *, sessions: Sequence[str]) -> None:
        if not sessions:
            raise DeliveryError("push: no signed-in messenger session")
        self._post(message, channel="push")

    def send_friend(self, message: Message) -> None:
        self._post(message, channel="friend")
