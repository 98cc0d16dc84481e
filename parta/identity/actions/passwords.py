"""Setting a password: after recovery («Придумайте новый пароль»), and on the account page («Пароль»).

Every new password is checked by the active policy (``AUTH_PASSWORD_VALIDATORS``, see
:mod:`parta.identity.passwords`) and hashed with Argon2id. Any change ends the account's other
sessions and revokes the OAuth tokens it gave journals (:mod:`parta.identity.actions.sessions`), and
lifts the lock that wrong passwords may have put on password sign-in.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import get_default_password_validators, validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from parta.identity.actions import limits
from parta.identity.actions.audit import audit_record
from parta.identity.actions.sessions import sessions_end_others, tokens_revoke
from parta.identity.actions.signin import SigninError, password_verify
from parta.identity.models import Account, AuditKind, Throttle

MISMATCH = "Пароли не совпадают. Введите новый пароль ещё раз в оба поля."


class PasswordError(Exception):
    """A refused password; ``messages`` are the Russian reasons, ``field`` the form field they belong to."""

    def __init__(self, messages: list[str], *, field: str = "password1") -> None:
        super().__init__(" ".join(messages))
        self.messages = messages
        self.field = field


def password_rules() -> list[str]:
    """The active rules, as the screens list them under «Введите новый пароль»."""
    return [str(validator.get_help_text()) for validator in get_default_password_validators()]


def password_check(*, account: Account, password: str, repeat: str) -> None:
    """:class:`PasswordError` unless ``password`` fits the policy for ``account`` and ``repeat`` matches."""
    try:
        # The type checker loads both sides with the journal's user model; here it is the ID's Account.
        validate_password(password, user=account)  # type: ignore[arg-type]
    except ValidationError as error:
        raise PasswordError([str(message) for message in error.messages]) from error
    if password != repeat:
        raise PasswordError([MISMATCH], field="password2")


def _password_replace(
    *, account: Account, password: str, request: HttpRequest | None, ip: str | None, kind: AuditKind
) -> None:
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        had_password = locked.has_password
        locked.set_password(password)
        locked.save(update_fields=["password"])
        key = f"password:{account.pk}"  # a new password lifts the wrong-password lock
        Throttle.objects.filter(key=key).update(locked_until=None)
        limits.hits_clear(key)
    account.password = locked.password
    audit_record(kind=kind, account=account, target=account.phone, ip=ip, had_password=had_password)
    sessions_end_others(account=account, request=request, ip=ip, reason=str(kind))
    tokens_revoke(account=account, ip=ip, reason=str(kind))


def password_reset(
    *, account: Account, password: str, repeat: str, request: HttpRequest, ip: str | None
) -> None:
    """Set a new password after recovery: every other session ends, every token is revoked."""
    password_check(account=account, password=password, repeat=repeat)
    _password_replace(
        account=account, password=password, request=request, ip=ip, kind=AuditKind.PASSWORD_RESET
    )


def password_change(
    *,
    account: Account,
    current: str,
    password: str,
    repeat: str,
    request: HttpRequest,
    ip: str | None,
) -> None:
    """«Пароль» on the account page. With a password set, the current one is asked first (and a wrong
    one counts like on «Введите пароль»); the other sessions end, this one stays signed in."""
    if account.has_password:
        try:
            password_verify(account=account, password=current, ip=ip)
        except SigninError as refused:
            raise PasswordError([str(refused)], field="current") from refused
    password_check(account=account, password=password, repeat=repeat)
    if account.has_password and password == current:
        raise PasswordError(["Новый пароль совпадает с текущим. Придумайте другой."])
    _password_replace(
        account=account, password=password, request=request, ip=ip, kind=AuditKind.PASSWORD_CHANGED
    )
