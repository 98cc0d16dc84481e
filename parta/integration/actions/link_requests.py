"""Linking confirmed in the messenger (manual 003).

``link_request_start`` (after «Привязать учебный аккаунт Сферум»): ``PUT /orgs/{ref}`` and
``POST /link-requests`` for the account's first school with its roles there; the platform's bot asks
the owner of the phone in their «Сферум» chat. The request is kept here as a
:class:`~parta.integration.models.MessengerLinkRequest`.

``link_request_apply`` (the webhook ``link_request.*``, or ``link_request_refresh`` — the page's own
``GET /link-requests/{id}``): the outcome, applied once. «Подключить» stores the account's bindings in
that school — the same :class:`~parta.integration.models.Binding` rows and audit as linking through the
ID — with the link the platform registered when the person pressed the button. The account's other
schools and roles are then bound to the confirmed profile by the task worker
(:func:`~parta.integration.actions.bindings.bindings_extend`, queued when the confirmation commits): the
person proved in the messenger that the profile is theirs, and ``POST /links`` is the journal's own
statement of membership, so no second question is asked.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from parta.core.phones import PhoneError, phone_normalize
from parta.integration.actions.audit import binding_event_record
from parta.integration.actions.bindings import (
    ALREADY_ELSEWHERE,
    ALREADY_OTHER_PROFILE,
    NO_ROLE,
    PLATFORM_ROLES,
    bindings_repair,
    journal_account_ref,
    link_refusals_clear,
)
from parta.integration.actions.errors import LinkError
from parta.integration.actions.rules import phone_owner_check
from parta.integration.actions.sync import account_links_on_commit
from parta.integration.conf import Config
from parta.integration.models import (
    Binding,
    BindingEventKind,
    BindingState,
    LinkRequestState,
    MessengerLinkRequest,
)
from parta.integration.platform_api import PlatformClient, PlatformRefusedError, PlatformUnavailableError
from parta.journal.public import account_info

logger = logging.getLogger(__name__)

# Manual 003: «Если телефон не соответствует формату +7 (9XX) XXX-XX-XX, то отобразится системное
# сообщение». Typed with the mask or without it (no JavaScript): the digits must make a Russian mobile.
PHONE_FORMAT = "Неверный формат номера телефона. Введите номер в формате +7 (9XX) XXX-XX-XX."
_TYPED = re.compile(r"[0-9+()\s-]{10,32}")
_MOBILE = re.compile(r"\+79\d{9}")

OUTCOMES = {
    LinkRequestState.DECLINED: (
        "Привязка не выполнена: в мессенджере нажата кнопка «Не подключать». Если это ошибка, отправьте "
        "запрос ещё раз."
    ),
    LinkRequestState.EXPIRED: (
        "Срок запроса на привязку истёк: он не был подтверждён в мессенджере. Отправьте запрос ещё раз и "
        "нажмите «Подключить» в чате «Сферум»."
    ),
    LinkRequestState.NO_ACCOUNT: (
        "На платформе МАХ нет учебного профиля «Сферум» с этим номером телефона. Проверьте номер: он "
        "должен совпадать с номером, указанным при регистрации на платформе МАХ, — или сначала "
        "зарегистрируйтесь."
    ),
    LinkRequestState.FAILED: (
        "Привязка не выполнена: этот учебный профиль «Сферум» уже привязан к другой учётной записи журнала."
    ),
}


def phone_check(raw: str) -> str:
    """``+79521112233`` for «+7 (952) 111-22-33» (or the same digits typed without the mask)."""
    text = (raw or "").strip()
    if not _TYPED.fullmatch(text):
        raise LinkError(PHONE_FORMAT)
    try:
        phone = phone_normalize(text)
    except PhoneError:
        raise LinkError(PHONE_FORMAT) from None
    if not _MOBILE.fullmatch(phone):
        raise LinkError(PHONE_FORMAT)
    return phone


def link_request_start(
    *, config: Config, account_id: int, phone: str, actor_id: int | None = None
) -> MessengerLinkRequest:
    """Ask the platform to have the owner of ``phone`` confirm the link in the messenger."""
    e164 = phone_check(phone)
    account = account_info(account_id=account_id)
    if account is None or not account.roles:
        raise LinkError(NO_ROLE)
    if Binding.objects.filter(account_id=account_id, state=BindingState.ACTIVE).exists():
        raise LinkError(ALREADY_OTHER_PROFILE)
    try:
        phone_owner_check(account=account, phone=e164)
    except LinkError as refused:
        binding_event_record(
            kind=BindingEventKind.LINK_REFUSED,
            account_id=account_id,
            actor_id=actor_id,
            method="messenger",
            reason="owner",
            message=str(refused),
        )
        raise
    bindings_repair(config=config, account_id=account_id)  # a linking left pending by a crash
    pending = MessengerLinkRequest.objects.filter(
        account_id=account_id, state=LinkRequestState.PENDING
    ).first()
    if pending is not None and pending.phone == e164:
        return pending  # asked already: the person answers in the messenger
    # Manual 003 links the account in its school: the first school of its roles, with every role there.
    org_ref = account.roles[0].school_ref
    school_name = account.roles[0].school_name
    roles = [role for role in account.roles if role.school_ref == org_ref]
    try:
        with PlatformClient(config) as api:
            api.org_put(org_ref=org_ref, name=school_name)
            answer = api.link_request_create(
                phone=e164,
                org_ref=org_ref,
                journal_account_ref=journal_account_ref(account_id),
                name=account.display_name,
                roles=sorted({PLATFORM_ROLES[role.role] for role in roles}),
            )
    except PlatformRefusedError as refused:
        raise LinkError(
            refused.detail
            or "Сферум отклонил запрос на привязку. Попробуйте ещё раз или обратитесь в поддержку."
        ) from refused
    with transaction.atomic():
        if pending is not None:  # another number now: the old question is no longer ours to wait for
            MessengerLinkRequest.objects.filter(pk=pending.pk, state=LinkRequestState.PENDING).update(
                state=LinkRequestState.EXPIRED, decided_at=timezone.now(), decided_by="replaced"
            )
        row, _ = MessengerLinkRequest.objects.update_or_create(
            request_id=answer.id,
            defaults={
                "account_id": account_id,
                "phone": e164,
                "org_ref": org_ref,
                "roles": [role.role for role in roles],
                "state": LinkRequestState.PENDING,
                "expires_at": answer.expires_at,
            },
        )
        binding_event_record(
            kind=BindingEventKind.LINK_STARTED,
            account_id=account_id,
            actor_id=actor_id,
            method="messenger",
            request=answer.id,
        )
    if answer.state != LinkRequestState.PENDING:  # no_account at once, or an answer already given
        link_request_apply(
            request_id=answer.id,
            state=answer.state,
            profile_sub=answer.profile_sub,
            link_id=answer.link_id,
            source="start",
        )
        row.refresh_from_db()
    return row


def link_request_apply(
    *, request_id: str, state: str, profile_sub: str = "", link_id: str = "", source: str
) -> MessengerLinkRequest | None:
    """Apply a link request's outcome once; ``None`` when the request is not this journal's.

    ``confirmed`` stores one active binding per role of the account in the request's school (unless a live
    binding of another account holds the profile: then the request is ``failed``) and, once that commits,
    queues the binding of the account's other schools and roles to the same profile; ``declined``,
    ``expired`` and ``no_account`` only end the request. A repeat (the webhook after a status check, a
    retried delivery) changes nothing.
    """
    if state not in LinkRequestState.values or state == LinkRequestState.PENDING:
        return MessengerLinkRequest.objects.filter(request_id=request_id).first()
    with transaction.atomic():
        row = MessengerLinkRequest.objects.select_for_update().filter(request_id=request_id).first()
        if row is None or row.state != LinkRequestState.PENDING:
            if (
                row is not None
                and row.state != LinkRequestState.CONFIRMED
                and state == LinkRequestState.CONFIRMED
            ):
                # The journal had given this request up (another number replaced it, or it expired here
                # first), but its owner confirmed it: the platform made a link nobody will hold.
                _stray_link_mark(row=row, now=timezone.now(), link_id=link_id, profile_sub=profile_sub)
            return row
        now = timezone.now()
        row.decided_at, row.decided_by = now, source
        if state != LinkRequestState.CONFIRMED:
            row.state = state
            row.save(update_fields=["state", "decided_at", "decided_by"])
            binding_event_record(
                kind=BindingEventKind.LINK_REFUSED,
                account_id=row.account_id,
                method="messenger",
                reason=state,
                request=request_id,
            )
            return row
        row.profile_sub, row.link_id = profile_sub, link_id
        live = Binding.objects.filter(state__in=[BindingState.PENDING, BindingState.ACTIVE])
        elsewhere = live.filter(profile_sub=profile_sub).exclude(account_id=row.account_id).exists()
        mine = live.filter(account_id=row.account_id).exists()
        if elsewhere or mine or not profile_sub or not link_id:
            row.state = LinkRequestState.FAILED
            row.save(update_fields=["state", "decided_at", "decided_by", "profile_sub", "link_id"])
            _stray_link_mark(row=row, now=now, link_id=link_id, profile_sub=profile_sub)
            binding_event_record(
                kind=BindingEventKind.LINK_REFUSED,
                account_id=row.account_id,
                profile_sub=profile_sub,
                method="messenger",
                reason="elsewhere" if elsewhere else ("already_linked" if mine else "no_link"),
                request=request_id,
                message=ALREADY_ELSEWHERE if elsewhere else "",
            )
            return row
        account = account_info(account_id=row.account_id)
        name = account.display_name if account else ""
        try:
            with transaction.atomic():
                for role in row.roles:
                    Binding.objects.create(
                        account_id=row.account_id,
                        role=role,
                        org_ref=row.org_ref,
                        profile_sub=profile_sub,
                        profile_name=name,
                        phone=row.phone,
                        link_id=link_id,
                        state=BindingState.ACTIVE,
                        linked_at=now,
                    )
        except IntegrityError:  # a live binding appeared meanwhile (unique per account and role)
            row.state = LinkRequestState.FAILED
            _stray_link_mark(row=row, now=now, link_id=link_id, profile_sub=profile_sub)
        else:
            row.state = LinkRequestState.CONFIRMED
            # The person linked again: the platform's earlier refusals are asked again by the extension.
            link_refusals_clear(account_id=row.account_id, actor_id=None, reason="подтверждено в мессенджере")
            account_links_on_commit(account_id=row.account_id, reason="messenger")
            binding_event_record(
                kind=BindingEventKind.LINKED,
                account_id=row.account_id,
                profile_sub=profile_sub,
                links=[link_id],
                method="messenger",
                request=request_id,
                source=source,
            )
        row.save(update_fields=["state", "decided_at", "decided_by", "profile_sub", "link_id"])
        return row


def _stray_link_mark(*, row: MessengerLinkRequest, now: dt.datetime, link_id: str, profile_sub: str) -> None:
    """Both sides or neither: the platform registered ``link_id`` when the person pressed «Подключить»,
    but the journal did not take the confirmation (refused it, or had given the request up). A ``failed``
    row marked ``cleanup_needed`` makes :func:`bindings_repair` delete that link unless an active binding
    holds it — queued at once, and by the periodic repair. A repeated answer marks it once."""
    if not link_id:
        return
    marked = Binding.objects.filter(account_id=row.account_id, link_id=link_id, cleanup_needed=True)
    if marked.exists():
        return
    Binding.objects.create(
        account_id=row.account_id,
        role=(row.roles or ["student"])[0],
        org_ref=row.org_ref,
        profile_sub=profile_sub,
        phone=row.phone,
        link_id=link_id,
        state=BindingState.FAILED,
        ended_at=now,
        end_reason="подтверждение в мессенджере не принято журналом",
        cleanup_needed=True,
    )
    transaction.on_commit(lambda: _enqueue_repair(row.account_id))


def _enqueue_repair(account_id: int) -> None:
    from parta.integration.tasks import bindings_repair_task  # the task module imports the actions

    try:
        bindings_repair_task.enqueue(account_id)
    except Exception:  # the queue is down: the periodic repair deletes the link
        logger.exception("could not queue the repair of account %s", account_id)


def link_request_refresh(*, config: Config, account_id: int) -> MessengerLinkRequest | None:
    """The page's own status check: ask the platform about the account's pending request, apply the
    outcome. A platform that does not answer leaves the request pending (the webhook may still come)."""
    row = MessengerLinkRequest.objects.filter(account_id=account_id, state=LinkRequestState.PENDING).first()
    if row is None:
        return None
    try:
        with PlatformClient(config) as api:
            answer = api.link_request_get(request_id=row.request_id)
    except PlatformRefusedError as refused:
        if refused.status != 404:
            return row
        return link_request_apply(request_id=row.request_id, state="expired", source="status")
    except PlatformUnavailableError:
        return row
    return link_request_apply(
        request_id=row.request_id,
        state=answer.state,
        profile_sub=answer.profile_sub,
        link_id=answer.link_id,
        source="status",
    )
