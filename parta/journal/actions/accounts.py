"""Signing in to the journal, with wrong passwords slowed down and then locked out.

The throttle is kept per login name in the database, so every server process sees the same count, and
it counts names that do not exist the same way: the answers never tell whether a login exists.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from parta.journal.models import Account, LoginThrottle

WRONG_CREDENTIALS = "Неверное имя пользователя или пароль."
LOCKED = (
    "Слишком много неудачных попыток входа. Вход временно заблокирован — попробуйте через {minutes} мин. "
    "Если вы не помните пароль, нажмите «Забыли пароль?»."
)


class LoginRefusedError(Exception):
    """The login is refused; ``message`` is what to show, the same whether or not the login exists."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _key(username: str) -> str:
    return f"user:{username.strip().lower()}"[:190]


def _lock_message(locked_until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
    return LOCKED.format(minutes=minutes)


def login_check(*, request: HttpRequest | None, username: str, password: str) -> Account:
    """The account for these credentials, or :class:`LoginRefusedError` with a message to show."""
    now = timezone.now()
    key = _key(username)
    throttle = LoginThrottle.objects.filter(key=key).first()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise LoginRefusedError(_lock_message(throttle.locked_until, now))

    account = authenticate(request, username=username.strip(), password=password)
    if isinstance(account, Account):
        LoginThrottle.objects.filter(key=key).delete()
        return account

    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(key=key)
        if throttle.locked_until and throttle.locked_until <= now:
            throttle.failures = 0  # the lock has run out: count afresh
            throttle.locked_until = None
        throttle.failures += 1
        throttle.last_failure_at = now
        if throttle.failures >= settings.PARTA_LOGIN_LOCK_AFTER:
            throttle.locked_until = now + dt.timedelta(minutes=settings.PARTA_LOGIN_LOCK_MINUTES)
        throttle.save()
    if throttle.locked_until:
        raise LoginRefusedError(_lock_message(throttle.locked_until, now))
    excess = throttle.failures - settings.PARTA_LOGIN_SLOW_AFTER
    if excess > 0 and settings.PARTA_LOGIN_DELAY_SECONDS:
        # Slow down guessing: each further wrong password waits a little longer.
        time.sleep(min(settings.PARTA_LOGIN_DELAY_SECONDS * excess, 5.0))
    raise LoginRefusedError(WRONG_CREDENTIALS)
