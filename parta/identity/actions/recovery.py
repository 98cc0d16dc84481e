"""Password recovery, step by step as manual 001 tells it («Восстановление пароля от VK ID»):

1. the phone given at registration → an SMS code (``code_send``, purpose ``recovery``) — the same
   answers whether the number has an account or not;
2. the code → the account to recover is shown (masked phone, name);
3. «Как вы хотите подтвердить, что аккаунт принадлежит вам?» — only the ways the account has set up:
   the code-generator app (TOTP), a code to the confirmed e-mail, or codes from two trusted friends;
   without any of them, recovery goes through support (an SMS alone must not hand over an account
   that has a password: that is what a stolen SIM card would need);
4. «Придумайте новый пароль» → every other session ends, every token is revoked → sign in again.

An account that never had a password needs no step 3: it signs in with its phone's code alone anyway.

Every step is recorded in the :class:`~parta.identity.models.Recovery` row and checked again here, not
only by the screens; an attempt expires after ``PARTA_ID_RECOVERY_SECONDS``. Wrong codes of every kind
count against the phone being recovered, with the sign-in codes' limits; the app's codes also have
``PARTA_ID_CODES["sms"]["attempts"]`` tries per attempt.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from parta.identity import queries
from parta.identity.actions import limits
from parta.identity.actions.audit import audit_record
from parta.identity.actions.codes import (
    CodeWrongError,
    channel_policy,
    code_send,
    code_verify,
)
from parta.identity.actions.passwords import password_check, password_reset
from parta.identity.actions.signin import signin_phone_step
from parta.identity.actions.totp import totp_verify
from parta.identity.models import (
    Account,
    AuditKind,
    Code,
    CodeChannel,
    CodePurpose,
    Recovery,
    RecoveryMethod,
)

EXPIRED = "Время на восстановление доступа истекло. Начните заново: введите номер телефона."
FRIENDS_NEEDED = 2


class RecoveryError(Exception):
    """A refused step; ``str()`` is the Russian message."""


class RecoveryStepError(RecoveryError):
    """The step is not open for this attempt (skipped by URL, done already, or not set up)."""


class RecoveryExpiredError(RecoveryError):
    """The attempt has run out of time or is finished: start again."""


def _lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=int(limits.setting("PARTA_ID_RECOVERY_SECONDS", 3600)))


def _fresh(recovery: Recovery) -> Recovery:
    """The row as it is now, locked for the surrounding transaction; refused when no longer open."""
    current = Recovery.objects.select_for_update().get(pk=recovery.pk)
    if current.completed_at is not None or current.is_expired():
        raise RecoveryExpiredError(EXPIRED)
    return current


def _require(condition: bool, what: str = "") -> None:
    if not condition:
        raise RecoveryStepError(what or "Этот шаг восстановления сейчас недоступен.")


def _proving(recovery: Recovery, method: str) -> Account:
    """The account of an attempt that is at step 3 with ``method`` chosen."""
    _require(recovery.account_checked_at is not None and recovery.proved_at is None)
    _require(recovery.method == method)
    assert recovery.account is not None
    return recovery.account


def _proved(recovery: Recovery, *, method: str, ip: str | None) -> None:
    with transaction.atomic():
        current = _fresh(recovery)
        if current.proved_at is None:
            current.proved_at = timezone.now()
            current.method = method
            current.save(update_fields=["proved_at", "method"])
    recovery.refresh_from_db()
    audit_record(
        kind=AuditKind.RECOVERY_PROVED, account=recovery.account, target=recovery.phone, ip=ip, method=method
    )


# --- 1. the phone and its SMS code ---------------------------------------------------------------------


def recovery_start(*, phone: str, ip: str | None) -> Recovery:
    """A new attempt for ``phone`` (the phone step's per-address limit applies: ``SigninError``)."""
    signin_phone_step(ip=ip)
    recovery = Recovery.objects.create(phone=phone, expires_at=timezone.now() + _lifetime(), ip=ip)
    audit_record(
        kind=AuditKind.RECOVERY_STARTED, account=queries.account_by_phone(phone), target=phone, ip=ip
    )
    return recovery


def recovery_code_send(*, recovery: Recovery, ip: str | None, again: bool = False) -> Code:
    """The SMS code to the phone (again: only once the timer has run out). Raises ``CodeError``."""
    if recovery.completed_at is not None or recovery.is_expired():
        raise RecoveryExpiredError(EXPIRED)
    _require(recovery.phone_confirmed_at is None)
    code = code_send(
        purpose=CodePurpose.RECOVERY,
        channel=CodeChannel.SMS,
        target=recovery.phone,
        account=queries.account_by_phone(recovery.phone),
        ip=ip,
        reuse_live=not again,
    )
    with transaction.atomic():
        current = _fresh(recovery)
        current.phone_code = code
        current.save(update_fields=["phone_code"])
    recovery.phone_code = code
    return code


def recovery_code_confirm(*, recovery: Recovery, value: str, ip: str | None) -> Recovery:
    """The SMS code typed: the phone is proved; the attempt learns its account (if the number has one)."""
    if recovery.completed_at is not None or recovery.is_expired():
        raise RecoveryExpiredError(EXPIRED)
    _require(recovery.phone_confirmed_at is None and recovery.phone_code_id is not None)
    assert recovery.phone_code_id is not None
    code_verify(code_id=recovery.phone_code_id, value=value, ip=ip)  # raises CodeError, counted
    with transaction.atomic():
        current = _fresh(recovery)
        current.phone_confirmed_at = timezone.now()
        current.account = queries.account_by_phone(recovery.phone)
        current.save(update_fields=["phone_confirmed_at", "account"])
    recovery.refresh_from_db()
    return recovery


# --- 2. the account -------------------------------------------------------------------------------------


def recovery_account_check(*, recovery: Recovery, ip: str | None) -> Recovery:
    """«Продолжить» under the account shown. An account without a password is proved by its phone."""
    with transaction.atomic():
        current = _fresh(recovery)
        _require(current.phone_confirmed_at is not None and current.account is not None)
        _require(current.account_checked_at is None)
        current.account_checked_at = timezone.now()
        current.save(update_fields=["account_checked_at"])
    recovery.refresh_from_db()
    account = recovery.account
    assert account is not None
    if not account.has_password:
        _proved(recovery, method=RecoveryMethod.PHONE_ONLY, ip=ip)
    elif not queries.recovery_methods(account):
        audit_record(kind=AuditKind.RECOVERY_SUPPORT, account=account, target=recovery.phone, ip=ip)
    return recovery


def recovery_method_choose(*, recovery: Recovery, method: str) -> Recovery:
    """One of the ways the account has set up («С помощью …»)."""
    with transaction.atomic():
        current = _fresh(recovery)
        _require(current.account_checked_at is not None and current.proved_at is None)
        assert current.account is not None
        _require(method in queries.recovery_methods(current.account))
        current.method = method
        current.save(update_fields=["method"])
    recovery.refresh_from_db()
    return recovery


# --- 3. the second way -----------------------------------------------------------------------------------


def totp_tries() -> int:
    """Wrong codes from the app one attempt may enter (as many as an SMS code allows)."""
    return channel_policy(CodeChannel.SMS).attempts


def recovery_totp_confirm(*, recovery: Recovery, value: str, ip: str | None) -> None:
    """A code from the code-generator app. Raises ``CodeError`` (wrong ones counted) or
    :class:`RecoveryError` when this attempt has used its tries."""
    if recovery.completed_at is not None or recovery.is_expired():
        raise RecoveryExpiredError(EXPIRED)
    account = _proving(recovery, RecoveryMethod.TOTP)
    if recovery.totp_attempts >= totp_tries():
        raise RecoveryError(
            "Вы ввели неверный код слишком много раз. Выберите другой способ подтверждения или "
            "начните восстановление заново."
        )
    try:
        totp_verify(account=account, value=value, ip=ip)
    except CodeWrongError as wrong:
        with transaction.atomic():
            current = _fresh(recovery)
            current.totp_attempts += 1
            current.save(update_fields=["totp_attempts"])
        recovery.totp_attempts = current.totp_attempts
        left = max(0, totp_tries() - current.totp_attempts)
        if left == 0:
            raise CodeWrongError(
                "Неверный код. Попытки закончились — выберите другой способ подтверждения.",
                attempts_left=0,
            ) from wrong
        tries = limits.plural(left, "попытка", "попытки", "попыток")
        remain = limits.plural(left, "Осталась", "Осталось", "Осталось")
        raise CodeWrongError(f"{wrong} {remain} {left} {tries}.", attempts_left=left) from wrong
    _proved(recovery, method=RecoveryMethod.TOTP, ip=ip)


def recovery_email_send(*, recovery: Recovery, ip: str | None, again: bool = False) -> Code:
    """The code to the account's confirmed e-mail («Мы отправили код на почту ka***@mail.ru»)."""
    if recovery.completed_at is not None or recovery.is_expired():
        raise RecoveryExpiredError(EXPIRED)
    account = _proving(recovery, RecoveryMethod.EMAIL)
    _require(bool(account.email) and account.email_confirmed_at is not None)
    code = code_send(
        purpose=CodePurpose.RECOVERY,
        channel=CodeChannel.EMAIL,
        target=account.email.lower(),
        account=account,
        ip=ip,
        reuse_live=not again,
        counted_as=account.phone,
    )
    with transaction.atomic():
        current = _fresh(recovery)
        current.email_code = code
        current.save(update_fields=["email_code"])
    recovery.email_code = code
    return code


def recovery_email_confirm(*, recovery: Recovery, value: str, ip: str | None) -> None:
    """«Введите код из письма» → «Подтвердить»."""
    if recovery.completed_at is not None or recovery.is_expired():
        raise RecoveryExpiredError(EXPIRED)
    _proving(recovery, RecoveryMethod.EMAIL)
    _require(recovery.email_code_id is not None, "Сначала запросите код на почту.")
    assert recovery.email_code_id is not None
    code_verify(code_id=recovery.email_code_id, value=value, ip=ip)
    _proved(recovery, method=RecoveryMethod.EMAIL, ip=ip)


def _friend(account: Account, friend_id: int) -> Account:
    friend = queries.trusted_friend(account=account, friend_id=friend_id)
    _require(friend is not None, "Этого человека нет среди ваших доверенных друзей.")
    assert friend is not None
    return friend


def recovery_friend_send(*, recovery: Recovery, friend_id: int, ip: str | None) -> Code:
    """A code to one trusted friend, in the friend's chat with the messenger's bot."""
    if recovery.completed_at is not None or recovery.is_expired():
        raise RecoveryExpiredError(EXPIRED)
    account = _proving(recovery, RecoveryMethod.FRIENDS)
    friend = _friend(account, friend_id)
    _require(friend.pk not in recovery.friends_confirmed, "Этот друг уже подтвердил, что это вы.")
    code = code_send(
        purpose=CodePurpose.TRUSTED_FRIEND,
        channel=CodeChannel.FRIEND,
        target=friend.phone,
        account=account,
        ip=ip,
        counted_as=account.phone,
    )
    with transaction.atomic():
        current = _fresh(recovery)
        current.friend_codes = {**current.friend_codes, str(friend.pk): code.pk}
        current.save(update_fields=["friend_codes"])
    recovery.friend_codes = current.friend_codes
    return code


def recovery_friend_confirm(*, recovery: Recovery, friend_id: int, value: str, ip: str | None) -> int:
    """A friend's code typed; returns how many different friends have confirmed (two prove the account)."""
    if recovery.completed_at is not None or recovery.is_expired():
        raise RecoveryExpiredError(EXPIRED)
    account = _proving(recovery, RecoveryMethod.FRIENDS)
    friend = _friend(account, friend_id)
    code_id = recovery.friend_codes.get(str(friend.pk))
    _require(isinstance(code_id, int), "Сначала отправьте код этому другу.")
    assert isinstance(code_id, int)
    code_verify(code_id=code_id, value=value, ip=ip)
    with transaction.atomic():
        current = _fresh(recovery)
        confirmed = [int(pk) for pk in current.friends_confirmed]
        if friend.pk not in confirmed:  # the same friend twice counts once
            confirmed.append(friend.pk)
        current.friends_confirmed = confirmed
        current.save(update_fields=["friends_confirmed"])
    recovery.friends_confirmed = confirmed
    if len(set(confirmed)) >= FRIENDS_NEEDED:
        _proved(recovery, method=RecoveryMethod.FRIENDS, ip=ip)
    return len(set(confirmed))


# --- 4. the new password ------------------------------------------------------------------------------------


def recovery_complete(
    *, recovery: Recovery, password: str, repeat: str, request: HttpRequest, ip: str | None
) -> Account:
    """«Придумайте новый пароль» → «Продолжить»: the password is set, other sessions end, tokens are
    revoked; the attempt is finished. Raises ``PasswordError`` for a password the policy refuses."""
    if recovery.completed_at is not None or recovery.is_expired():
        raise RecoveryExpiredError(EXPIRED)
    _require(recovery.proved_at is not None and recovery.account is not None)
    account = recovery.account
    assert account is not None
    password_check(account=account, password=password, repeat=repeat)
    with transaction.atomic():
        current = _fresh(recovery)  # a second «Продолжить» in parallel finds the attempt finished
        _require(current.proved_at is not None)
        current.completed_at = timezone.now()
        current.save(update_fields=["completed_at"])
    recovery.completed_at = current.completed_at
    password_reset(account=account, password=password, repeat=repeat, request=request, ip=ip)
    return account
