"""Push codes reach only the account's signed-in messenger sessions, and only when there is one.

The messenger does not exist yet. When it does, it provides a function ``(*, account_id: int) ->
list[str]`` (the ids of the account's signed-in sessions that can show a push) and names it in the
setting ``PARTA_ID_PUSH_SESSIONS`` — e.g. ``"parta.messenger.public.push_sessions"`` — together with a
:class:`~parta.identity.delivery.PushSender` in ``PARTA_ID_SENDERS["push"]``. Until then
:func:`push_possible` answers ``False`` and the screens never offer a push.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("parta.identity.delivery")


def push_sessions(*, account_id: int | None) -> list[str]:
    """The signed-in messenger sessions of an account that a push can reach (empty without a messenger)."""
    path = getattr(settings, "PARTA_ID_PUSH_SESSIONS", "")
    if not path or account_id is None:
        return []
    provider: Callable[..., list[str]] = import_string(path)
    try:
        return list(provider(account_id=account_id))
    except Exception:
        # A messenger that cannot answer must not stop sign-in: the code goes by SMS instead.
        logger.exception("The push session provider %s failed", path)
        return []


def push_possible(*, account_id: int | None) -> bool:
    """Whether «Мы отправили push-уведомление с кодом на ваше устройство» can be true for this account."""
    return bool(push_sessions(account_id=account_id))
