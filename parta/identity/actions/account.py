"""The account page's changes (issue 3, flow 7): the phone number, the e-mail address, trusted friends.

The password is in :mod:`parta.identity.actions.passwords`, the code-generator app in
:mod:`parta.identity.actions.totp`, sessions and connected services in
:mod:`parta.identity.actions.sessions`. A new phone or e-mail address is taken only once a code sent
to it is confirmed (``code_send`` / ``code_verify``, with all their limits).
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from parta.core.phones import phone_mask
from parta.identity import queries
from parta.identity.actions import limits
from parta.identity.actions.audit import audit_record
from parta.identity.actions.codes import CodeDeadError, code_send, code_verify
from parta.identity.models import (
    Account,
    AuditKind,
    Code,
    CodeChannel,
    CodePurpose,
    TrustedFriend,
)

MAX_FRIENDS = 5
MIN_FRIENDS = 2


class AccountError(Exception):
    """A refused change; ``str()`` is the Russian message, ``field`` the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _id_name() -> str:
    return str(getattr(settings, "PARTA_ID_NAME", "ID"))


def _own_code(*, account: Account, code_id: int | None, purpose: str) -> Code:
    code = Code.objects.filter(pk=code_id or 0, account_id=account.pk, purpose=purpose).first()
    if code is None:
        raise CodeDeadError("Код не найден. Запросите новый код.", reason="missing")
    return code


# --- the phone number --------------------------------------------------------------------------------


def _phone_taken(phone: str, *, account: Account) -> bool:
    return Account.objects.filter(phone=phone).exclude(pk=account.pk).exists()


def phone_change_send(*, account: Account, phone: str, ip: str | None, again: bool = False) -> Code:
    """A code by SMS to the new number. Raises :class:`AccountError` or ``CodeError``."""
    if phone == account.phone:
        raise AccountError("Это ваш текущий номер. Введите новый.", field="phone")
    if _phone_taken(phone, account=account):
        raise AccountError(
            f"Этот номер уже привязан к другому аккаунту {_id_name()}. Один номер — один аккаунт.",
            field="phone",
        )
    return code_send(
        purpose=CodePurpose.PHONE_CHANGE,
        channel=CodeChannel.SMS,
        target=phone,
        account=account,
        ip=ip,
        reuse_live=not again,
    )


def phone_change_confirm(*, account: Account, code_id: int | None, value: str, ip: str | None) -> str:
    """The code from the new number: the account now signs in with it. Returns the new phone."""
    code = _own_code(account=account, code_id=code_id, purpose=CodePurpose.PHONE_CHANGE)
    code_verify(code_id=code.pk, value=value, ip=ip)
    old = account.phone
    try:
        with transaction.atomic():
            locked = Account.objects.select_for_update().get(pk=account.pk)
            if _phone_taken(code.target, account=account):
                raise AccountError(f"Этот номер уже привязан к другому аккаунту {_id_name()}.", field="phone")
            locked.phone = code.target
            locked.save(update_fields=["phone"])
    except IntegrityError as error:
        raise AccountError(f"Этот номер уже привязан к другому аккаунту {_id_name()}.") from error
    account.phone = code.target
    audit_record(
        kind=AuditKind.PHONE_CHANGED, account=account, target=code.target, ip=ip, previous=phone_mask(old)
    )
    return code.target


# --- the e-mail address ------------------------------------------------------------------------------


def _email_taken(email: str, *, account: Account) -> bool:
    return (
        Account.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=email.lower(), email_confirmed_at__isnull=False)
        .exclude(pk=account.pk)
        .exists()
    )


def email_add_send(*, account: Account, email: str, ip: str | None, again: bool = False) -> Code:
    """A code to the address to be confirmed («Введите код из письма»)."""
    address = email.strip().lower()
    if account.email_confirmed_at and account.email.lower() == address:
        raise AccountError("Эта почта уже подтверждена в вашем аккаунте.", field="email")
    if _email_taken(address, account=account):
        raise AccountError(
            f"Эта почта уже подтверждена в другом аккаунте {_id_name()}. Укажите другую.", field="email"
        )
    return code_send(
        purpose=CodePurpose.EMAIL_CONFIRM,
        channel=CodeChannel.EMAIL,
        target=address,
        account=account,
        ip=ip,
        reuse_live=not again,
    )


def email_confirm(*, account: Account, code_id: int | None, value: str, ip: str | None) -> str:
    """The code from the letter: the address is confirmed (and replaces an earlier one)."""
    code = _own_code(account=account, code_id=code_id, purpose=CodePurpose.EMAIL_CONFIRM)
    code_verify(code_id=code.pk, value=value, ip=ip)
    try:
        with transaction.atomic():
            locked = Account.objects.select_for_update().get(pk=account.pk)
            if _email_taken(code.target, account=account):
                raise AccountError(f"Эта почта уже подтверждена в другом аккаунте {_id_name()}.")
            locked.email = code.target
            locked.email_confirmed_at = timezone.now()
            locked.save(update_fields=["email", "email_confirmed_at"])
    except IntegrityError as error:
        raise AccountError(f"Эта почта уже подтверждена в другом аккаунте {_id_name()}.") from error
    account.email, account.email_confirmed_at = locked.email, locked.email_confirmed_at
    audit_record(kind=AuditKind.EMAIL_CONFIRMED, account=account, target=code.target, ip=ip)
    return code.target


def email_remove(*, account: Account, ip: str | None) -> bool:
    """Forget the address: it no longer signs in nor receives recovery codes."""
    if not account.email:
        return False
    address = account.email
    Account.objects.filter(pk=account.pk).update(email="", email_confirmed_at=None)
    account.email, account.email_confirmed_at = "", None
    audit_record(kind=AuditKind.EMAIL_REMOVED, account=account, target=address, ip=ip)
    return True


# --- trusted friends ------------------------------------------------------------------------------------


def friend_add(*, account: Account, phone: str, ip: str | None) -> TrustedFriend:
    """A trusted friend, found by the phone of an ID account with an educational profile."""
    if phone == account.phone:
        raise AccountError("Это ваш номер. Выберите друга — другого человека.", field="phone")
    if TrustedFriend.objects.filter(account_id=account.pk).count() >= MAX_FRIENDS:
        raise AccountError(
            f"Можно выбрать не больше {MAX_FRIENDS} друзей. Чтобы добавить нового, удалите кого-то из списка."
        )
    key = f"friend-lookup:{account.pk}"
    now = timezone.now()
    with transaction.atomic():
        limits.throttle_lock(key)
        wait = limits.wait_seconds(
            key, limits.windows_setting("PARTA_ID_FRIEND_LOOKUPS", [(20, 86400)]), now=now
        )
        if not wait:
            limits.hit_add(key, now=now)
    if wait:
        raise AccountError(
            f"Вы искали друзей по номеру слишком много раз. Попробуйте через {limits.wait_text(wait)}."
        )
    friend = queries.account_with_profile_by_phone(phone)
    if friend is None:
        raise AccountError(
            f"Не нашли аккаунт {_id_name()} с учебным профилем по этому номеру. Попросите друга войти в "
            f"{_id_name()} и создать учебный профиль — тогда его можно будет выбрать.",
            field="phone",
        )
    try:
        with transaction.atomic():
            trusted = TrustedFriend.objects.create(account_id=account.pk, friend=friend)
    except IntegrityError as error:
        raise AccountError("Этот друг уже в вашем списке.", field="phone") from error
    audit_record(kind=AuditKind.FRIEND_ADDED, account=account, target=account.phone, ip=ip, friend=friend.pk)
    return trusted


def friend_remove(*, account: Account, friend_id: int, ip: str | None) -> bool:
    deleted, _ = TrustedFriend.objects.filter(account_id=account.pk, friend_id=friend_id).delete()
    if deleted:
        audit_record(
            kind=AuditKind.FRIEND_REMOVED, account=account, target=account.phone, ip=ip, friend=friend_id
        )
    return bool(deleted)
