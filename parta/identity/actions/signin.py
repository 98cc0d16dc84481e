"""Signing in to the ID: the phone step's limits, the password, the account a confirmed phone becomes,
the session itself (:func:`django.contrib.auth.login` rotates the session id) and signing out.

The order of the steps lives in the views (``parta.identity.views.signin``); each write is here.
"""

from __future__ import annotations

import datetime as dt
import math

from django.contrib.auth import login, logout
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from parta.identity.actions import limits
from parta.identity.actions.audit import audit_record
from parta.identity.models import Account, AuditKind

WRONG_PASSWORD = "Неверный пароль. Проверьте раскладку клавиатуры и Caps Lock."  # noqa: S105 -- a message
BACKEND = "django.contrib.auth.backends.ModelBackend"


class SigninError(Exception):
    """A refused sign-in step; ``str(error)`` is the Russian message to show."""


def _password_key(account: Account) -> str:
    return f"password:{account.pk}"


def signin_phone_step(*, ip: str | None) -> None:
    """Count one phone (or e-mail) entered on «Вход»; refuse when this network address entered too many."""
    if not ip:
        return
    key = f"ip-phone:{ip}"
    now = timezone.now()
    windows = limits.windows_setting("PARTA_ID_PHONE_STEPS_PER_IP", [(60, 600), (600, 86400)])
    with transaction.atomic():
        limits.throttle_lock(key)
        wait = limits.wait_seconds(key, windows, now=now)
        if not wait:
            limits.hit_add(key, now=now)
    if wait:
        audit_record(kind=AuditKind.RATE_LIMITED, ip=ip, step="phone", seconds=wait)
        raise SigninError(
            f"Слишком много попыток входа из вашей сети. Попробуйте через {limits.wait_text(wait)}."
        )


def _password_locked_message(seconds: int) -> str:
    return (
        "Слишком много неверных паролей. Вход по паролю временно заблокирован — попробуйте через "
        f"{limits.wait_text(seconds)} или восстановите пароль."
    )


def password_verify(*, account: Account, password: str, ip: str | None) -> None:
    """Check the account's password; :class:`SigninError` if it is wrong or password sign-in is locked.

    ``PARTA_ID_WRONG_PASSWORDS`` wrong passwords lock password sign-in of the account for
    ``PARTA_ID_WRONG_PASSWORDS_LOCK_SECONDS``; a right one clears the count.
    """
    key = _password_key(account)
    now = timezone.now()
    locked = limits.lock_state(key, now=now)
    if locked:
        raise SigninError(_password_locked_message(locked))
    # Argon2 is slow on purpose: the hash is checked outside any transaction, so no row stays locked.
    if password and account.check_password(password):
        if locked is not None:  # a key that was never counted has no wrong passwords to clear
            limits.hits_clear(key)
        return
    windows = limits.windows_setting("PARTA_ID_WRONG_PASSWORDS", [(10, 3600)])
    lock_for = dt.timedelta(seconds=int(limits.setting("PARTA_ID_WRONG_PASSWORDS_LOCK_SECONDS", 3600)))
    with transaction.atomic():
        throttle = limits.throttle_lock(key)
        limits.hit_add(key, now=now)
        wait = limits.wait_seconds(key, windows, now=now)
        if wait:
            throttle.locked_until = now + lock_for
            throttle.save(update_fields=["locked_until", "updated_at"])
    audit_record(kind=AuditKind.PASSWORD_WRONG, account=account, target=account.phone, ip=ip)
    if wait:
        audit_record(
            kind=AuditKind.LOCKOUT, account=account, target=account.phone, ip=ip, reason="wrong_passwords"
        )
        raise SigninError(_password_locked_message(math.ceil(lock_for.total_seconds())))
    raise SigninError(WRONG_PASSWORD)


def account_ensure(*, phone: str, ip: str | None, absent: bool = False) -> Account:
    """The account of a phone whose code was just confirmed; a new phone gets a new account (no password).

    ``absent``: the caller has just found no account for the phone, so it is created straight away (a
    parallel request that created it first is still noticed).
    """
    account = None if absent else Account.objects.filter(phone=phone).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():  # the account and its audit row: one commit
            account = Account.objects.create_user(phone, None)
            audit_record(kind=AuditKind.ACCOUNT_CREATED, account=account, target=phone, ip=ip)
    except IntegrityError:
        return Account.objects.get(phone=phone)  # created a moment ago by a parallel request
    return account


def signin_complete(*, request: HttpRequest, account: Account, method: str, ip: str | None) -> None:
    """Sign ``account`` in on this browser. The session id changes (``login`` cycles it)."""
    if not account.is_active:
        audit_record(
            kind=AuditKind.SIGNIN_REFUSED, account=account, target=account.phone, ip=ip, reason="inactive"
        )
        raise SigninError("Этот аккаунт заблокирован. Обратитесь в службу поддержки.")
    # One transaction, one commit (on PostgreSQL, one WAL flush instead of five): the new session, the
    # old one deleted, last_login, the «Активные сеансы» row and the audit row.
    with transaction.atomic():
        # The type checker loads both sides with the journal's user model; here it is the ID's Account.
        login(request, account, backend=BACKEND)  # type: ignore[arg-type]
        audit_record(kind=AuditKind.SIGNIN, account=account, target=account.phone, ip=ip, method=method)


def signout(*, request: HttpRequest, ip: str | None) -> None:
    """Sign out of this browser («Войти в другой аккаунт», «Выйти»): the whole session is forgotten."""
    user = request.user
    if isinstance(user, Account):
        audit_record(kind=AuditKind.SIGNOUT, account=user, target=user.phone, ip=ip)
    logout(request)
