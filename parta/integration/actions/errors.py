"""Refusals of the integration's actions; ``str()`` is the Russian message the person reads."""

from __future__ import annotations

from parta.integration.platform_api import PlatformUnavailableError

UNAVAILABLE = "Сервис Сферум временно недоступен. Попробуйте ещё раз через несколько минут."


class LinkError(Exception):
    """The linking cannot go on; nothing was stored."""


class UnlinkError(Exception):
    """The unlinking is not allowed to this person (the policy says «через службу поддержки»)."""


__all__ = ["UNAVAILABLE", "LinkError", "PlatformUnavailableError", "UnlinkError"]
