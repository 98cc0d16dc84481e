"""The community bot: notices and interactive requests in a profile's «Сферум» chat.

- :func:`bot_notice` posts a plain message (the ID's push and friends' codes, announcements).
- :func:`bot_request` posts a message with buttons. Each button's callback token is random, works only
  for the profile the request was posted to, only until the request expires, and only once for the
  whole request.
- :func:`bot_answer` is what pressing a button does. Under a lock on the request, the first press runs
  the request's handler (by ``purpose``), records the outcome and publishes ``message_updated``: every
  open page of the chat replaces its buttons with the outcome. Any later press — the same button again, the
  other button, another tab — finds the outcome recorded and acts no more.
- :func:`bot_requests_expire` closes requests nobody answered in time (their handlers see ``"expired"``).

A handler is a function ``(*, request: BotRequest, value: str) -> str`` named in :data:`HANDLERS`; it
runs inside the answering transaction and returns the text the answered message shows. ``value`` is the
pressed button's value, or :data:`EXPIRED`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from parta.core import clock
from parta.messenger.actions.chats import community_chat_of
from parta.messenger.actions.errors import MessengerError
from parta.messenger.actions.messages import message_send
from parta.messenger.events import publish_message_updated
from parta.messenger.models import BotButton, BotRequest, Message
from parta.messenger.types import Profile

EXPIRED = "expired"
DEFAULT_LIFETIME = dt.timedelta(days=7)
BUTTON_GONE = "Эта кнопка больше не действует."

# purpose → the handler's dotted path (imported when a request of that purpose is answered).
HANDLERS: dict[str, str] = {
    "link_request": "parta.messenger.actions.link_requests.link_request_answered",
}

Handler = Callable[..., str]


@dataclass(frozen=True)
class BotButtonSpec:
    """A button to show: ``value`` is what the handler receives, ``label`` what the person reads."""

    value: str
    label: str


@dataclass(frozen=True)
class BotAnswer:
    request: BotRequest
    acted: bool  # False: the request had been answered (or had expired) already — nothing was done


def bot_notice(*, profile: Profile, text: str) -> Message:
    """Post ``text`` into ``profile``'s «Сферум» chat as the platform's bot."""
    return message_send(chat=community_chat_of(profile=profile), author=None, text=text)


def bot_request(
    *,
    profile: Profile,
    text: str,
    buttons: Sequence[BotButtonSpec],
    purpose: str = "",
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
) -> BotRequest:
    """Post ``text`` with ``buttons`` into ``profile``'s «Сферум» chat, answerable for ``lifetime``."""
    if not buttons:
        raise ValueError("a bot request needs at least one button")
    if len({button.value for button in buttons}) != len(buttons) or EXPIRED in {b.value for b in buttons}:
        raise ValueError("button values must be distinct and not 'expired'")
    if purpose and purpose not in HANDLERS:
        raise ValueError(f"no handler for the purpose {purpose!r}")
    chat = community_chat_of(profile=profile)
    with transaction.atomic():
        message = message_send(chat=chat, author=None, text=text)
        request = BotRequest.objects.create(
            message=message, profile_id=profile.pk, purpose=purpose, expires_at=clock.now() + lifetime
        )
        BotButton.objects.bulk_create(
            [
                BotButton(
                    request=request,
                    position=position,
                    label=button.label,
                    value=button.value,
                    token=secrets.token_urlsafe(32),
                )
                for position, button in enumerate(buttons)
            ]
        )
    return request


def _handler(purpose: str) -> Handler | None:
    return import_string(HANDLERS[purpose]) if purpose else None


def _close(request: BotRequest, *, value: str, label: str) -> None:
    """Record the outcome of a locked, unanswered request (running its handler), mark its message changed
    (``edited_at``: a page that is offline now gets it when it reconnects) and, after the commit, publish
    ``message_updated`` so open pages show the outcome instead of the buttons."""
    handler = _handler(request.purpose)
    if handler is not None:
        text = handler(request=request, value=value)
    elif value == EXPIRED:
        text = "Срок ответа истёк."
    else:
        text = f"Ваш ответ: «{label}»."
    request.outcome = value
    request.outcome_text = text[:500]
    request.answered_at = timezone.now()
    request.save(update_fields=["outcome", "outcome_text", "answered_at"])
    Message.objects.filter(pk=request.message_id).update(edited_at=request.answered_at)
    message_id = request.message_id
    transaction.on_commit(lambda: _publish_answered(message_id))


def _publish_answered(message_id: int) -> None:
    message = Message.objects.select_related("author", "attachment").filter(pk=message_id).first()
    if message is not None:
        publish_message_updated(message)


def bot_answer(*, profile: Profile, token: str) -> BotAnswer:
    """Press the button whose callback token is ``token``, as ``profile``.

    A token that does not exist, belongs to another profile's request, or is malformed is refused with
    the same :class:`MessengerError` («Эта кнопка больше не действует.»). An answered or expired request
    is returned with ``acted=False``: pressing twice acts once.
    """
    if not token or len(token) > 64:
        raise MessengerError(BUTTON_GONE)
    button = BotButton.objects.filter(token=token, request__profile_id=profile.pk).first()
    if button is None:
        raise MessengerError(BUTTON_GONE)
    with transaction.atomic():
        request = BotRequest.objects.select_for_update().get(pk=button.request_id)
        if request.outcome:
            return BotAnswer(request=request, acted=False)
        if clock.now() >= request.expires_at:
            _close(request, value=EXPIRED, label="")
            return BotAnswer(request=request, acted=False)
        BotButton.objects.filter(pk=button.pk).update(pressed_at=timezone.now())
        _close(request, value=button.value, label=button.label)
    return BotAnswer(request=request, acted=True)


def bot_requests_expire(*, purpose: str | None = None, limit: int = 1000) -> int:
    """Close the unanswered requests whose time is up (of one ``purpose``, or all); returns how many.
    Each is closed in its own short transaction, so a request answered meanwhile is left as answered."""
    due = BotRequest.objects.filter(outcome="", expires_at__lte=clock.now())
    if purpose is not None:
        due = due.filter(purpose=purpose)
    closed = 0
    for pk in list(due.order_by("pk").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            request = BotRequest.objects.select_for_update().get(pk=pk)
            if request.outcome:
                continue
            _close(request, value=EXPIRED, label="")
            closed += 1
    return closed
