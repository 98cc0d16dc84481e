"""What the other apps of the platform side may use of the ID (``import-linter`` keeps it so).

Plain functions returning frozen dataclasses with ids; nothing here hands out a model instance.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from parta.identity.models import EducationalProfile, JournalClient, api_token_digest


@dataclass(frozen=True)
class JournalClientRef:
    """A registered journal: its row id, its OpenID Connect ``client_id``, and the name people see."""

    id: int
    client_id: str
    display_name: str


def _ref(journal: JournalClient) -> JournalClientRef:
    return JournalClientRef(
        id=journal.pk, client_id=journal.application.client_id, display_name=journal.display_name
    )


def journal_client_by_api_token(token: str) -> JournalClientRef | None:
    """The journal that owns this API v1 bearer token, if it is switched on; else ``None``.

    Only the token's SHA-256 is stored, so the lookup is by digest (a unique index), never by the token.
    """
    if not token:
        return None
    journal = (
        JournalClient.objects.select_related("application")
        .filter(api_token_digest=api_token_digest(token), is_active=True)
        .first()
    )
    return _ref(journal) if journal else None


def journal_client_by_client_id(client_id: str) -> JournalClientRef | None:
    """The switched-on journal registered as this OpenID Connect client, else ``None``."""
    if not client_id:
        return None
    journal = (
        JournalClient.objects.select_related("application")
        .filter(application__client_id=client_id, is_active=True)
        .first()
    )
    return _ref(journal) if journal else None


@dataclass(frozen=True)
class ProfileRef:
    """An educational profile: its row id, its ``sub`` (what journals know it by) and its names."""

    id: int
    sub: uuid.UUID
    last_name: str
    first_name: str
    middle_name: str

    @property
    def pk(self) -> int:
        return self.id

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def profile_by_sub(sub: str | uuid.UUID) -> ProfileRef | None:
    """The educational profile with this ``sub`` (a UUID, as journals receive it), else ``None``."""
    try:
        value = sub if isinstance(sub, uuid.UUID) else uuid.UUID(str(sub))
    except ValueError:
        return None
    profile = EducationalProfile.objects.filter(sub=value).first()
    if profile is None:
        return None
    return ProfileRef(
        id=profile.pk,
        sub=profile.sub,
        last_name=profile.last_name,
        first_name=profile.first_name,
        middle_name=profile.middle_name,
    )
