"""«Приложение-генератор кодов»: TOTP (RFC 6238) with any authenticator app, set up on the account page
and used by recovery («С помощью приложения-генератора кодов»).

A secret of 160 bits (RFC 4226 §4 recommends that length) from :mod:`secrets` via pyotp; 6 digits every
30 seconds; a code of the previous or next 30 s is accepted too (clocks drift); a code whose time step
is not later than the last accepted one is refused (no replay). Wrong codes count against the
account's phone exactly like wrong one-time codes (``PARTA_ID_WRONG_CODES_PER_DAY``), through
:func:`parta.identity.actions.codes.wrong_answer_record`.
"""

from __future__ import annotations

import hmac
import time

import pyotp
import segno
from django.conf import settings
from django.db import IntegrityError, transaction

from parta.core.phones import phone_display
from parta.identity.actions import codes
from parta.identity.actions.audit import audit_record
from parta.identity.actions.codes import CodeDeadError, CodeError, CodeWrongError, code_clean
from parta.identity.models import Account, AuditKind, TotpDevice

DIGITS = 6
INTERVAL = 30
DRIFT_STEPS = 1
REPLAYED = "Этот код уже использован. Дождитесь, когда приложение покажет новый код, и введите его."
WRONG = "Неверный код. Проверьте, что вводите код для {id_name}, и что время на телефоне верное."
SETUP_WRONG = (
    "Неверный код. Проверьте, что ключ добавлен в приложение без ошибок и что время на телефоне "
    "установлено автоматически, и введите новый код."
)


class TotpError(Exception):
    """A refused setup; ``str()`` is the Russian message."""


def totp_secret_new() -> str:
    """A new secret in base32 (32 characters, 160 bits), for the setup screen."""
    return pyotp.random_base32(length=32)


def totp_uri(*, secret: str, account: Account) -> str:
    """The ``otpauth://`` URI the QR code carries: the app shows «{ID}: +7 952 111-11-11»."""
    id_name = str(getattr(settings, "PARTA_ID_NAME", "ID"))
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=phone_display(account.phone), issuer_name=id_name
    )


def totp_qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline ``<svg>`` (segno), scaled by CSS."""
    svg = segno.make(uri, error="m", micro=False).svg_inline(
        scale=4, dark="#1b1f24", light="#ffffff", omitsize=True
    )
    return str(svg)


def totp_secret_display(secret: str) -> str:
    """«ABCD EFGH …»: the key in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, value: str, *, after: int | None, now: float | None = None) -> int | None:
    """The time step (newest first) within the drift whose code is ``value`` and is later than ``after``."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = int((now if now is not None else time.time()) // INTERVAL)
    for step in range(current + DRIFT_STEPS, current - DRIFT_STEPS - 1, -1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), value):
            return step
    return None


def totp_enable(*, account: Account, secret: str, value: str, ip: str | None) -> TotpDevice:
    """Connect the app: ``value`` must be its current code for ``secret`` (so the app really has it)."""
    cleaned = code_clean(value, length=DIGITS)
    step = _matching_step(secret, cleaned, after=None)
    if step is None:
        raise TotpError(SETUP_WRONG)
    try:
        with transaction.atomic():
            TotpDevice.objects.filter(account_id=account.pk).delete()
            device = TotpDevice.objects.create(account_id=account.pk, secret=secret, last_step=step)
    except IntegrityError as error:  # a parallel setup of the same account won
        raise TotpError("Приложение уже подключено. Обновите страницу.") from error
    audit_record(kind=AuditKind.TOTP_ENABLED, account=account, target=account.phone, ip=ip)
    return device


def totp_disable(*, account: Account, ip: str | None) -> bool:
    """Disconnect the app; ``False`` when none was connected."""
    deleted, _ = TotpDevice.objects.filter(account_id=account.pk).delete()
    if deleted:
        audit_record(kind=AuditKind.TOTP_DISABLED, account=account, target=account.phone, ip=ip)
    return bool(deleted)


def totp_verify(*, account: Account, value: str, ip: str | None) -> None:
    """Check a code from the account's app. Raises :class:`~parta.identity.actions.codes.CodeError`:
    ``CodeFormatError`` (not counted), ``CodeDeadError`` (a replayed code, not counted),
    ``CodeWrongError`` (counted against the phone) or ``CodeLockedError``."""
    cleaned = code_clean(value, length=DIGITS)
    outcome: CodeError | None = None
    with transaction.atomic():
        throttle = codes.wrong_answer_lock(target=account.phone)
        device = TotpDevice.objects.select_for_update().filter(account_id=account.pk).first()
        if device is None:
            raise CodeDeadError(
                "Приложение-генератор кодов не подключено к этому аккаунту.", reason="missing"
            )
        step = _matching_step(device.secret, cleaned, after=device.last_step)
        if step is not None:
            device.last_step = step
            device.save(update_fields=["last_step"])
            codes.wrong_answers_clear(target=account.phone)
        elif _matching_step(device.secret, cleaned, after=None) is not None:
            # Right, but of a step already used: someone saw it, or the form was sent twice.
            outcome = CodeDeadError(REPLAYED, reason="used")
        else:
            locked = codes.wrong_answer_record(throttle, target=account.phone)
            id_name = str(getattr(settings, "PARTA_ID_NAME", "ID"))
            outcome = locked or CodeWrongError(WRONG.format(id_name=id_name), attempts_left=-1)
    if outcome is None:
        audit_record(kind=AuditKind.TOTP_CONFIRMED, account=account, target=account.phone, ip=ip)
        return
    if isinstance(outcome, CodeWrongError | codes.CodeLockedError):
        audit_record(kind=AuditKind.TOTP_WRONG, account=account, target=account.phone, ip=ip)
    if isinstance(outcome, codes.CodeLockedError):
        audit_record(
            kind=AuditKind.LOCKOUT, account=account, target=account.phone, ip=ip, reason="wrong_codes"
        )
    raise outcome
