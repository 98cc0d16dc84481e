"""Links (a journal's verified membership of a profile in its school): registering and ending them, and
telling journals when a linked profile's name changes. API v1 calls these; see docs/api.md."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from parta.messenger.actions.errors import MessengerError
from parta.messenger.actions.organizations import membership_set
from parta.messenger.actions.webhooks import webhook_queue
from parta.messenger.models import ROLE_ORDER, Link, Organization, Role
from parta.messenger.types import Profile

ACCOUNT_REF_MAX_LENGTH = 200
NAME_FIELDS = ("last_name", "first_name", "middle_name")


class LinkConflictError(MessengerError):
    """The link contradicts one the journal already made (one profile ↔ one journal account)."""


def roles_clean(roles: Iterable[str]) -> list[str]:
    """The roles in the order they are shown; at least one, each a known role."""
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise MessengerError(
            f"Неизвестная роль: {', '.join(sorted(unknown))}. Допустимы: student, parent, teacher, staff."
        )
    if not wanted:
        raise MessengerError("Укажите хотя бы одну роль: student, parent, teacher или staff.")
    return [role.value for role in ROLE_ORDER if role.value in wanted]


def link_register(
    *,
    organization: Organization,
    profile: Profile,
    journal_account_ref: str,
    roles: Iterable[str],
    display: dict[str, Any] | None = None,
) -> tuple[Link, bool]:
    """Link ``profile`` to the journal account ``journal_account_ref`` in ``organization`` with ``roles``
    and make it a member there. Idempotent: the same call again returns the same link (``created`` is
    ``False``); new roles or display names update it. Raises :class:`LinkConflictError` when the journal
    account is linked to another profile, or the profile to another journal account, of this journal."""
    account_ref = journal_account_ref.strip()
    if not account_ref or len(account_ref) > ACCOUNT_REF_MAX_LENGTH:
        raise MessengerError("Идентификатор учётной записи журнала: от 1 до 200 символов.")
    role_list = roles_clean(roles)
    display = dict(display or {})
    client_id = organization.client_id
    try:
        with transaction.atomic():
            taken = (
                Link.objects.filter(client_id=client_id, journal_account_ref=account_ref)
                .exclude(profile_id=profile.pk)
                .first()
            )
            if taken is not None:
                raise LinkConflictError(
                    f"Учётная запись журнала «{account_ref}» уже связана с другим учебным профилем "
                    f"(связь № {taken.pk}). Сначала удалите ту связь."
                )
            other = (
                Link.objects.filter(client_id=client_id, profile_id=profile.pk)
                .exclude(journal_account_ref=account_ref)
                .first()
            )
            if other is not None:
                raise LinkConflictError(
                    "Этот учебный профиль уже связан с другой учётной записью журнала "
                    f"«{other.journal_account_ref}» (связь № {other.pk}). Сначала удалите ту связь."
                )
            link = (
                Link.objects.select_for_update()
                .filter(organization=organization, profile_id=profile.pk)
                .first()
            )
            created = link is None
            if link is None:
                link = Link.objects.create(
                    client_id=client_id,
                    organization=organization,
                    profile_id=profile.pk,
                    profile_sub=profile.sub,
                    journal_account_ref=account_ref,
                    roles=role_list,
                    display=display,
                )
            elif link.roles != role_list or link.display != display:
                link.roles = role_list
                link.display = display
                link.updated_at = timezone.now()
                link.save(update_fields=["roles", "display", "updated_at"])
            membership_set(organization=organization, profile=profile, roles=role_list)
    except IntegrityError:
        # The same link made by a concurrent request: answer with it; else it is a real conflict.
        link = Link.objects.filter(
            organization=organization, profile_id=profile.pk, journal_account_ref=account_ref
        ).first()
        if link is None:
            raise LinkConflictError(
                f"Учётная запись журнала «{account_ref}» уже связана с другим учебным профилем "
                "в этой организации."
            ) from None
        return link, False
    return link, created


def link_delete(*, link: Link, notify: bool = False) -> None:
    """End the link: the profile stops being a member of the organization and leaves its chats.

    ``notify`` sends the journal the webhook ``link.deleted`` — for deletions the platform makes (an
    operator in the administration); a journal's own ``DELETE /links/{id}`` is not echoed back."""
    with transaction.atomic():
        # Only the link's row: locking its organization too (``FOR UPDATE`` of the join) would deadlock
        # with an action adding chat members there, whose new chat rows take ``FOR KEY SHARE`` of the
        # organization when their foreign keys are checked at its commit.
        link = (
            Link.objects.select_for_update(of=("self",))
            .select_related("organization", "profile")
            .get(pk=link.pk)
        )
        data = {
            "link_id": link.pk,
            "profile_sub": str(link.profile_sub),
            "org_ref": link.organization.ref,
            "journal_account_ref": link.journal_account_ref,
        }
        link.delete()
        membership_set(organization=link.organization, profile=link.profile, roles=())
        if notify:
            webhook_queue(client_id=link.client_id, event="link.deleted", data=data)


def profile_changed(*, profile: Any, update_fields: Iterable[str] | None) -> None:
    """Queue ``profile.updated`` for every journal linked to ``profile`` when its name may have changed
    (called on every save of a profile; ``update_fields=None`` — a save of all fields — counts)."""
    if update_fields is not None and not set(update_fields) & set(NAME_FIELDS):
        return
    accounts = dict(
        Link.objects.filter(profile_id=profile.pk)
        .order_by("client_id", "pk")
        .values_list("client_id", "journal_account_ref")
    )
    for client_id, account_ref in accounts.items():
        webhook_queue(
            client_id=client_id,
            event="profile.updated",
            data={
                "profile_sub": str(profile.sub),
                "journal_account_ref": account_ref,
                "last_name": profile.last_name,
                "first_name": profile.first_name,
                "middle_name": profile.middle_name,
            },
        )
