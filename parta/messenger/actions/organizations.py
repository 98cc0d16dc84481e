"""Organizations (schools registered by a journal) and verified memberships in them.

Both are written only by the journal that registered the organization — API v1 calls these actions.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from parta.messenger.actions.errors import MessengerError
from parta.messenger.events import publish_chats_removed
from parta.messenger.models import ChatMember, Membership, Organization, Role
from parta.messenger.types import Profile

REF_MAX_LENGTH = 200
NAME_MAX_LENGTH = 300


def organization_register(*, client_id: int, ref: str, name: str) -> Organization:
    """Register the school ``ref`` of the journal ``client_id`` (a ``JournalClientRef.id``), or rename it.
    Idempotent: the same call twice changes nothing the second time."""
    ref = ref.strip()
    name = " ".join(name.split())
    if not ref:
        raise MessengerError("Не указан идентификатор организации.")
    if len(ref) > REF_MAX_LENGTH:
        raise MessengerError("Идентификатор организации длиннее 200 символов.")
    if not name:
        raise MessengerError("Не указано название организации.")
    with transaction.atomic():
        organization, created = Organization.objects.select_for_update().get_or_create(
            client_id=client_id, ref=ref, defaults={"name": name[:NAME_MAX_LENGTH]}
        )
        if not created and organization.name != name[:NAME_MAX_LENGTH]:
            organization.name = name[:NAME_MAX_LENGTH]
            organization.updated_at = timezone.now()
            organization.save(update_fields=["name", "updated_at"])
    return organization


def membership_set(
    *, organization: Organization, profile: Profile, roles: Iterable[str]
) -> Membership | None:
    """Make ``profile`` a verified member of ``organization`` with exactly ``roles`` (``Role`` values).

    Empty ``roles`` ends the membership — and with it the profile's place in every chat of the
    organization, since nobody outside an organization may read or write its chats. Idempotent.
    """
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise MessengerError(f"Неизвестная роль: {', '.join(sorted(unknown))}.")
    flags = {f"is_{role.value}": role.value in wanted for role in Role}
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(organization=organization, profile_id=profile.pk)
            .first()
        )
        if not wanted:
            if membership is None:
                return None
            membership.delete()
            leaving = ChatMember.objects.filter(chat__organization=organization, profile_id=profile.pk)
            chat_ids = list(leaving.values_list("chat_id", flat=True))
            leaving.delete()
            if chat_ids:
                transaction.on_commit(lambda: publish_chats_removed(profile_id=profile.pk, chat_ids=chat_ids))
            return None
        if membership is None:
            return Membership.objects.create(organization=organization, profile_id=profile.pk, **flags)
        if any(getattr(membership, field) != value for field, value in flags.items()):
            for field, value in flags.items():
                setattr(membership, field, value)
            membership.updated_at = timezone.now()
            membership.save(update_fields=[*flags, "updated_at"])
        return membership
