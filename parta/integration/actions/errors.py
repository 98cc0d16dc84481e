"""Refusals of the integration's actions; ``str()`` is the Russian message the person reads."""

from __future__ import annotations

from parta.integration.platform_api import PlatformUnavailableError

UNAVAILABLE = "Сервис Сферум временно недоступен. Попробуйте ещё раз через несколько минут."


class LinkError(Exception):
    """The linking cannot go on; nothing was stored."""


class NotStoredError(Exception):
    """The platform said yes, but the journal could not store the binding: the platform's link was undone
    (or is marked for the repair to undo), so nothing is linked on either side and the person may try
    again."""

    def __init__(self) -> None:
        super().__init__(
            "Не удалось сохранить привязку в журнале. Ничего не изменилось: попробуйте ещё раз через "
            "несколько минут."
        )


class UnlinkError(Exception):
    """The unlinking is not allowed to this person (the policy says «через службу поддержки»)."""


__all__ = ["UNAVAILABLE", "LinkError", "NotStoredError", "PlatformUnavailableError", "UnlinkError"]
