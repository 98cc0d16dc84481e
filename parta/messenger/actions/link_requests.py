"""Link requests (manual 003): the journal asks, the community bot asks the person, the person answers.

:func:`link_request_create` (``POST /api/v1/link-requests``) finds the educational profile of the phone
and posts the bot's request «Подключить» / «Не подключать» into its «Сферум» chat; with no such
profile the request is ``no_account`` at once and nobody is asked. The bot calls
:func:`link_request_answered` when the person presses a button (or the request expires): «Подключить»
registers the membership as ``POST /api/v1/links`` does, and every outcome is told to the journal by the
webhook ``link_request.confirmed``, ``link_request.declined`` or ``link_request.expired``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parta.core import clock
from parta.core.phones import PhoneError, phone_normalize
from parta.messenger import queries
from parta.messenger.actions.bot import EXPIRED, BotButtonSpec, bot_request, bot_requests_expire
from parta.messenger.actions.errors import MessengerError
from parta.messenger.actions.links import link_register, roles_clean
from parta.messenger.actions.webhooks import webhook_queue
from parta.messenger.models import BotRequest, LinkRequest, LinkRequestState, Organization, Role
from parta.messenger.types import Profile

log = logging.getLogger(__name__)

PURPOSE = "link_request"
CONFIRM = "confirm"
DECLINE = "decline"
CONFIRM_LABEL = "Подключить"
DECLINE_LABEL = "Не подключать"
REF_MAX_LENGTH = 200
NAME_MAX_LENGTH = 300


class OrganizationNotFoundError(MessengerError):
    """The journal has no organization with this reference."""


def lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "PARTA_MESSENGER_LINK_REQUEST_SECONDS", 86400)))


def _role_labels(roles: Iterable[str]) -> str:
    return ", ".join(str(Role(role).label) for role in roles)


def request_text(link_request: LinkRequest) -> str:
    """What the bot asks (manual 003: «проверить свои данные для привязки»)."""
    organization = link_request.organization
    journal = organization.client.display_name
    return (
        f"«{journal}» просит подключить ваш учебный профиль к учётной записи электронного журнала.\n"
        f"Организация: {organization.name}\n"
        f"Учётная запись: {link_request.name}\n"
        f"Роль: {_role_labels(link_request.roles)}\n"
        "Проверьте данные. Если всё верно, нажмите «Подключить», в ином случае — «Не подключать»."
    )


def _webhook_data(link_request: LinkRequest) -> dict[str, Any]:
    return {
        "id": str(link_request.uuid),
        "state": link_request.state,
        "org_ref": link_request.organization.ref,
        "journal_account_ref": link_request.journal_account_ref,
        "phone": link_request.phone,
        "profile_sub": str(link_request.profile.sub) if link_request.profile is not None else None,
        "link_id": link_request.link_id,
    }


def link_request_create(
    *,
    client_id: int,
    org_ref: str,
    phone: str,
    journal_account_ref: str,
    name: str,
    roles: Iterable[str],
) -> tuple[LinkRequest, bool]:
    """Ask the owner of ``phone`` to link their profile to ``journal_account_ref`` in ``org_ref``.

    Returns the request and whether it is new: the same question asked again while its request is still
    pending returns that request (a retried POST asks nobody twice).
    """
    organization = (
        Organization.objects.select_related("client").filter(client_id=client_id, ref=org_ref).first()
    )
    if organization is None:
        raise OrganizationNotFoundError(
            "Организация не найдена: сначала зарегистрируйте её (PUT /api/v1/orgs/…)."
        )
    try:
        phone = phone_normalize(phone)
    except PhoneError as error:
        raise MessengerError(str(error)) from error
    journal_account_ref = journal_account_ref.strip()
    if not journal_account_ref or len(journal_account_ref) > REF_MAX_LENGTH:
        raise MessengerError("Идентификатор учётной записи журнала: от 1 до 200 символов.")
    name = " ".join(name.split())
    if not name:
        raise MessengerError("Не указано имя в журнале.")
    wanted_roles = roles_clean(roles)
    link_requests_expire()
    with transaction.atomic():
        # The organization row orders concurrent requests of one journal account: one pending request.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        pending = LinkRequest.objects.filter(
            organization=organization,
            journal_account_ref=journal_account_ref,
            phone=phone,
            state=LinkRequestState.PENDING,
            expires_at__gt=clock.now(),
        ).first()
        if pending is not None:
            return pending, False
        profile = queries.profiles_by_phone(phones=[phone]).get(phone)
        link_request = LinkRequest.objects.create(
            organization=organization,
            phone=phone,
            journal_account_ref=journal_account_ref,
            name=name[:NAME_MAX_LENGTH],
            roles=wanted_roles,
            state=LinkRequestState.PENDING if profile is not None else LinkRequestState.NO_ACCOUNT,
            profile_id=profile.pk if profile is not None else None,
            expires_at=clock.now() + lifetime(),
            decided_at=None if profile is not None else timezone.now(),
        )
        if profile is not None:
            asked = bot_request(
                profile=profile,
                text=request_text(link_request),
                buttons=[BotButtonSpec(CONFIRM, CONFIRM_LABEL), BotButtonSpec(DECLINE, DECLINE_LABEL)],
                purpose=PURPOSE,
                lifetime=lifetime(),
            )
            link_request.bot_request = asked
            link_request.save(update_fields=["bot_request"])
    return link_request, True


def _link_register(*, link_request: LinkRequest, profile: Profile) -> int:
    """Register the verified membership exactly as ``POST /api/v1/links`` does; returns the link's id.
    A conflict (the journal account or the profile linked otherwise) refuses the answer with its message."""
    link, _created = link_register(
        organization=link_request.organization,
        profile=profile,
        journal_account_ref=link_request.journal_account_ref,
        roles=link_request.roles,
        display={"name": link_request.name},
    )
    return int(link.pk)


OUTCOMES = {
    LinkRequestState.CONFIRMED: "Готово: учебный профиль подключён к «{journal}» ({org}). "
    "Вернитесь в электронный журнал и обновите страницу.",
    LinkRequestState.DECLINED: "Вы отказались: учебный профиль не подключён к «{journal}» ({org}).",
    LinkRequestState.EXPIRED: "Запрос на подключение к «{journal}» ({org}) больше не действует: "
    "срок ответа истёк.",
}


def _outcome(link_request: LinkRequest) -> str:
    template = OUTCOMES.get(LinkRequestState(link_request.state), "Запрос закрыт.")
    organization = link_request.organization
    return template.format(journal=organization.client.display_name, org=organization.name)


def link_request_answered(*, request: BotRequest, value: str) -> str:
    """The bot's handler: «Подключить» (``confirm``), «Не подключать» (``decline``) or expiry. Runs in the
    bot's transaction with the bot request locked; returns the text the answered message shows."""
    link_request = (
        LinkRequest.objects.select_for_update(of=("self",))
        .select_related("organization__client", "profile")
        .get(bot_request=request)
    )
    if link_request.state != LinkRequestState.PENDING:
        return _outcome(link_request)
    if value == CONFIRM:
        profile = link_request.profile
        if profile is None:  # the profile was deleted meanwhile
            link_request.state = LinkRequestState.EXPIRED
        else:
            try:
                link_request.link_id = _link_register(link_request=link_request, profile=profile)
            except MessengerError as refused:
                log.warning("link request %s: the link was refused: %s", link_request.uuid, refused)
                raise
            link_request.state = LinkRequestState.CONFIRMED
    elif value == DECLINE:
        link_request.state = LinkRequestState.DECLINED
    elif value == EXPIRED:
        link_request.state = LinkRequestState.EXPIRED
    else:
        raise MessengerError("Эта кнопка больше не действует.")
    link_request.decided_at = timezone.now()
    link_request.save(update_fields=["state", "link_id", "decided_at"])
    webhook_queue(
        client_id=link_request.organization.client_id,
        event=f"link_request.{link_request.state}",
        data=_webhook_data(link_request),
    )
    return _outcome(link_request)


def requests_expire() -> int:
    """Close every request of the bot whose time is up: link requests first (each tells its journal
    ``link_request.expired``, also those whose message is gone), then any other. What
    ``parta platform bot_expire`` and the periodic task ``messenger.bot_expire`` run."""
    return link_requests_expire() + bot_requests_expire()


def link_requests_expire() -> int:
    """Close the pending link requests whose time is up (each tells its journal ``link_request.expired``)."""
    closed = bot_requests_expire(purpose=PURPOSE)
    # A pending request without a bot request (its message was deleted) expires by itself.
    orphans = LinkRequest.objects.filter(
        state=LinkRequestState.PENDING, bot_request__isnull=True, expires_at__lte=clock.now()
    )
    for pk in list(orphans.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            link_request = (
                LinkRequest.objects.select_for_update(of=("self",))
                .select_related("organization", "profile")
                .get(pk=pk)
            )
            if link_request.state != LinkRequestState.PENDING:
                continue
            link_request.state = LinkRequestState.EXPIRED
            link_request.decided_at = timezone.now()
            link_request.save(update_fields=["state", "decided_at"])
            webhook_queue(
                client_id=link_request.organization.client_id,
                event="link_request.expired",
                data=_webhook_data(link_request),
            )
            closed += 1
    return closed
