"""What the rest of the journal side (the integration) may use of the journal.

Plain functions and frozen dataclasses only. The integration registers itself as a partner service of
the journal here; the journal's pages («Партнеры», «Внешние аккаунты», the chats icon in the header)
show what the registered partners say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PartnerStatus:
    connected: bool
    external_id: str = ""
    external_label: str = ""  # e.g. the masked phone of the linked profile
    connect_url: str = ""
    manage_url: str = ""
    unlink_url: str = ""


class PartnerService(Protocol):
    """A service the journal account can be connected to, e.g. the «Сферум» integration."""

    key: str
    name: str
    description: str

    def status(self, *, account_id: int) -> PartnerStatus: ...

    def chats_url(self, *, account_id: int) -> str: ...


_partners: dict[str, PartnerService] = {}


def partner_register(*, partner: PartnerService) -> None:
    """Called by a plugin's ``AppConfig.ready``; registering the same key again replaces it."""
    _partners[partner.key] = partner


def partner_unregister(*, key: str) -> None:
    _partners.pop(key, None)


def partners() -> list[PartnerService]:
    return list(_partners.values())


@dataclass(frozen=True)
class RosterEvent:
    """One roster change from the journal's outbox (see ``parta/journal/models/outbox.py``)."""

    id: int
    kind: str
    school_id: int | None
    payload: dict[str, object]


def roster_events_after(*, after_id: int, limit: int = 1000) -> list[RosterEvent]:
    """Roster changes with an id greater than ``after_id``, oldest first.

    A consumer keeps the last id it has handled. Ids of committed rows may appear out of order for a
    moment while concurrent transactions commit, so a consumer should re-read a little behind its
    cursor and act idempotently (it reconciles whole schools, so a repeat changes nothing).
    """
    from parta.journal.models import OutboxEvent

    rows = OutboxEvent.objects.filter(pk__gt=after_id).order_by("pk")[:limit]
    return [
        RosterEvent(id=row.pk, kind=row.kind, school_id=row.school_id, payload=dict(row.payload))
        for row in rows
    ]
