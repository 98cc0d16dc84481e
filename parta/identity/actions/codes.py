"""One-time codes as a small state machine (after django-allauth's ``code_verification`` flow).

:func:`code_send` makes a code for a purpose (sign-in, recovery, confirming an e-mail, a trusted friend's
code) and a target (a phone or an e-mail address) and hands it to the channel's sender (SMS, call-reset,
push, e-mail); :func:`code_verify` checks what the person typed. Every limit is enforced here, on the
server, whatever the screens show:

- a code has ``digits`` digits from :mod:`secrets` (a call-reset code is the last 4 digits of the calling
  number, chosen by the gateway), lives ``lifetime`` seconds, is confirmed once, and dies after
  ``attempts`` wrong tries (``PARTA_ID_CODES`` per channel);
- the same channel sends again only after ``resend_after`` seconds — the screens' timers;
- a target receives at most ``PARTA_ID_SENDS_PER_TARGET`` codes, and a network address asks for at most
  ``PARTA_ID_SENDS_PER_IP``;
- ``PARTA_ID_WRONG_CODES_PER_DAY`` wrong codes for one target (any code, any channel) block it for
  ``PARTA_ID_WRONG_CODES_LOCK_SECONDS``; a new code never resets that count, a confirmed one does;
- only an HMAC (keyed by ``SECRET_KEY``) of the code is stored, and it is compared in constant time;
- a new code supersedes the target's earlier live code for the same purpose;
- a code may count against another target (``counted_as``): a recovery's e-mail and trusted friends'
  codes share the wrong-code count and lock of the phone being recovered. :func:`wrong_answer_record`
  gives a code-generator app's wrong codes the same count.

The answers do not depend on whether the target has an account.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import math
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from parta.core.phones import phone_mask
from parta.identity import sql
from parta.identity.actions import limits
from parta.identity.actions.audit import audit_record
from parta.identity.delivery import (
    DeliveryError,
    Message,
    call_sender,
    email_sender,
    friend_sender,
    push_sender,
    sms_sender,
)
from parta.identity.delivery.push import push_sessions
from parta.identity.models import (
    Account,
    AuditKind,
    Code,
    CodeChannel,
    CodePurpose,
    CodeState,
    EducationalProfile,
    Throttle,
    ThrottleHit,
)

logger = logging.getLogger("parta.identity.codes")

DEFAULT_CODES: dict[str, dict[str, int]] = {
    CodeChannel.SMS: {"digits": 6, "lifetime": 600, "attempts": 5, "resend_after": 120},
    CodeChannel.PUSH: {"digits": 6, "lifetime": 600, "attempts": 5, "resend_after": 60},
    CodeChannel.CALL: {"digits": 4, "lifetime": 600, "attempts": 3, "resend_after": 60},
    CodeChannel.EMAIL: {"digits": 6, "lifetime": 900, "attempts": 5, "resend_after": 300},
    # A friend has to be reached by phone or in person first: the code lives longer.
    CodeChannel.FRIEND: {"digits": 6, "lifetime": 1800, "attempts": 5, "resend_after": 120},
}


# --- refusals: ``str(error)`` is the Russian message for the person ------------------------------------


class CodeError(Exception):
    """A refused send or check; ``str(error)`` is fit to show."""


class CodeTooEarlyError(CodeError):
    """The same channel's timer has not run out yet."""

    def __init__(self, message: str, *, seconds: int) -> None:
        super().__init__(message)
        self.seconds = seconds


class CodeLimitError(CodeError):
    """Too many codes for this target or from this network address."""

    def __init__(self, message: str, *, seconds: int) -> None:
        super().__init__(message)
        self.seconds = seconds


class CodeLockedError(CodeError):
    """Too many wrong codes for this target: it is blocked for a while."""

    def __init__(self, message: str, *, seconds: int) -> None:
        super().__init__(message)
        self.seconds = seconds


class CodeDeliveryError(CodeError):
    """The gateway did not take the message."""


class CodeFormatError(CodeError):
    """What was typed is not a code of the right length (not counted as a try)."""


class CodeWrongError(CodeError):
    """A wrong code; ``attempts_left`` tries remain for this code (0: it is dead now)."""

    def __init__(self, message: str, *, attempts_left: int) -> None:
        super().__init__(message)
        self.attempts_left = attempts_left


class CodeDeadError(CodeError):
    """The code cannot be confirmed any more: expired, used, superseded, out of tries or never delivered."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


EXPIRED = "Срок действия кода истёк. Запросите новый код."
USED = "Этот код уже использован. Запросите новый код."
SUPERSEDED = "Этот код больше не действует: мы отправили новый. Введите код из последнего сообщения."
EXHAUSTED = "Вы ввели неверный код слишком много раз. Запросите новый код."
FAILED = "Код не был доставлен. Запросите новый код."
LAST_WRONG = "Неверный код. Попытки закончились — запросите новый код."
DELIVERY_FAILED = {
    CodeChannel.SMS: "Не удалось отправить SMS. Попробуйте ещё раз немного позже или выберите другой способ.",
    CodeChannel.CALL: "Не удалось позвонить. Попробуйте ещё раз немного позже или выберите другой способ.",
    CodeChannel.PUSH: "Не удалось отправить push-уведомление. Выберите другой способ.",
    CodeChannel.EMAIL: "Не удалось отправить письмо. Попробуйте ещё раз немного позже.",
    CodeChannel.FRIEND: "Не удалось отправить код другу. Попробуйте ещё раз немного позже или выберите "
    "другой способ.",
}


# --- policy ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelPolicy:
    digits: int
    lifetime: dt.timedelta
    attempts: int
    resend_after: dt.timedelta


def channel_policy(channel: str) -> ChannelPolicy:
    """The channel's digits, lifetime, tries and resend timer (``PARTA_ID_CODES``)."""
    configured = getattr(settings, "PARTA_ID_CODES", {}).get(channel) or DEFAULT_CODES[channel]
    values = {**DEFAULT_CODES[channel], **configured}
    return ChannelPolicy(
        digits=int(values["digits"]),
        lifetime=dt.timedelta(seconds=int(values["lifetime"])),
        attempts=int(values["attempts"]),
        resend_after=dt.timedelta(seconds=int(values["resend_after"])),
    )


def _wrong_per_day() -> int:
    return int(limits.setting("PARTA_ID_WRONG_CODES_PER_DAY", 20))


def _wrong_lock() -> dt.timedelta:
    return dt.timedelta(seconds=int(limits.setting("PARTA_ID_WRONG_CODES_LOCK_SECONDS", 3600)))


# --- keys -----------------------------------------------------------------------------------------------


def target_key(target: str) -> str:
    return f"target:{target}"


def _send_key(target: str) -> str:
    return f"send:{target}"


def _wrong_key(target: str) -> str:
    return f"wrong:{target}"


def _ip_send_key(ip: str) -> str:
    return f"ip-send:{ip}"


def code_digest(*, target: str, purpose: str, value: str) -> str:
    """The stored form of a code: HMAC-SHA256 keyed by ``SECRET_KEY``, bound to its target and purpose."""
    return salted_hmac(
        "parta.identity.code", f"{purpose}\x00{target}\x00{value}", algorithm="sha256"
    ).hexdigest()


def _random_code(digits: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def code_lock_seconds(*, target: str) -> int:
    """Seconds the target stays blocked after too many wrong codes (0 when it is not blocked)."""
    return limits.locked_seconds(target_key(target), now=timezone.now())


def code_resend_seconds(code: Code) -> int:
    """Seconds until the same channel may send this target a new code (the screen's timer)."""
    return max(0, math.ceil((code.resend_at - timezone.now()).total_seconds()))


def _locked_message(seconds: int) -> str:
    return (
        "Слишком много неверных кодов для этого номера. Вход по нему временно заблокирован — "
        f"попробуйте через {limits.wait_text(seconds)}."
    )


def _too_early_message(channel: str, seconds: int) -> str:
    clock = limits.clock(seconds)
    if channel == CodeChannel.CALL:
        return f"Позвонить ещё раз можно через {clock}."
    if channel == CodeChannel.SMS:
        return f"Отправить SMS повторно можно через {clock}."
    return f"Новый код можно запросить через {clock}."


def _asker(account: Account | None) -> str:
    """«Мария Иванова (+7 999 ***-**-01)»: who asks a friend for a code."""
    if account is None:
        return "Ваш знакомый"
    profile = EducationalProfile.objects.filter(account_id=account.pk).first()
    masked = phone_mask(account.phone)
    return f"{profile.display_name} ({masked})" if profile else f"Владелец номера {masked}"


def _text(purpose: str, code: str, *, account: Account | None = None) -> tuple[str, str]:
    """The subject (for e-mail) and the text of the message that carries ``code``."""
    id_name = getattr(settings, "PARTA_ID_NAME", "ID")
    if purpose == CodePurpose.RECOVERY:
        return (
            f"Восстановление доступа к {id_name}",
            f"{id_name}: код {code} для восстановления доступа. Никому его не сообщайте.",
        )
    if purpose == CodePurpose.EMAIL_CONFIRM:
        return (
            f"Подтверждение почты в {id_name}",
            f"{id_name}: код {code} для подтверждения почты. Никому его не сообщайте.",
        )
    if purpose == CodePurpose.TRUSTED_FRIEND:
        return (
            f"Код для друга в {id_name}",
            f"{_asker(account)} восстанавливает доступ к {id_name} и указал вас как доверенного друга. "
            f"Код: {code}. Передайте его, только если этот человек сам связался с вами — позвонил или "
            "попросил лично. Если вы ничего не знаете об этом, никому не сообщайте код.",
        )
    if purpose == CodePurpose.PHONE_CHANGE:
        return (
            f"Смена номера в {id_name}",
            f"{id_name}: код {code} для привязки этого номера к аккаунту. Никому его не сообщайте.",
        )
    return (f"Код для входа в {id_name}", f"{id_name}: код {code} для входа. Никому его не сообщайте.")


# --- sending ----------------------------------------------------------------------------------------------


def code_send(
    *,
    purpose: str,
    channel: str,
    target: str,
    account: Account | None = None,
    ip: str | None = None,
    reuse_live: bool = False,
    counted_as: str = "",
) -> Code:
    """Send a new code for ``purpose`` to ``target`` by ``channel``; returns the :class:`Code` row.

    With ``reuse_live``, a live code sent by the same channel whose timer is still running is returned
    instead of sending another (a person who enters the same number again gets the code already on its
    way). With ``counted_as`` (a phone), the code's wrong tries count against that phone, and that
    phone's lock stops it; its timer and supersession are then kept apart from other codes to the same
    target. Raises :class:`CodeTooEarlyError`, :class:`CodeLimitError`, :class:`CodeLockedError` or
    :class:`CodeDeliveryError`.
    """
    if channel not in CodeChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if purpose not in CodePurpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    sessions: list[str] = []
    if channel == CodeChannel.PUSH:
        sessions = push_sessions(account_id=account.pk if account else None)
        if not sessions:
            raise CodeDeliveryError(DELIVERY_FAILED[CodeChannel.PUSH])
    policy = channel_policy(channel)
    now = timezone.now()

    counted = "" if counted_as == target else counted_as
    refusal: CodeError | None = None
    send_key = _send_key(target)
    ip_key = _ip_send_key(ip) if ip else ""
    with transaction.atomic():
        # The target's row, and the network address's, locked in one query (in primary-key order).
        throttle = limits.throttles_lock([target_key(counted or target), *([ip_key] if ip_key else [])])[
            target_key(counted or target)
        ]
        locked = limits.lock_seconds(throttle, now=now)
        # One read gives the channel's latest code — its timer runs from it, unless that code was
        # confirmed (a new sign-in needs a new code) or never left (the gateway refused it) — and
        # whether any live code of this purpose is left to supersede.
        live = sql.select(  # hand-written (parta.identity.sql): every code sent reads it
            Code,
            "target = %s AND purpose = %s AND counted_target = %s AND (state = %s OR channel = %s)"
            " AND state NOT IN (%s, %s)",
            [
                target,
                purpose,
                counted,
                *map(str, (CodeState.ACTIVE, channel, CodeState.FAILED, CodeState.USED)),
            ],
            tail="ORDER BY created_at DESC, id DESC",
        )
        latest = next((code for code in live if code.channel == channel), None)
        if locked:
            refusal = CodeLockedError(_locked_message(locked), seconds=locked)
        elif latest is not None and latest.resend_at > now:
            if reuse_live and latest.state == CodeState.ACTIVE and not latest.is_expired(now=now):
                return latest
            seconds = math.ceil((latest.resend_at - now).total_seconds())
            refusal = CodeTooEarlyError(_too_early_message(channel, seconds), seconds=seconds)
        else:
            windows = {send_key: limits.windows_setting("PARTA_ID_SENDS_PER_TARGET", [(5, 600), (10, 86400)])}
            if ip_key:
                windows[ip_key] = limits.windows_setting("PARTA_ID_SENDS_PER_IP", [(30, 600), (300, 86400)])
            waits = limits.waits_seconds(windows, now=now)  # both limits' windows in one query
            per_target = waits[send_key]
            per_ip = waits.get(ip_key, 0)
            if per_target:
                refusal = CodeLimitError(
                    "Мы уже отправили на этот номер слишком много кодов. Новый код можно будет запросить "
                    f"через {limits.wait_text(per_target)}.",
                    seconds=per_target,
                )
            elif per_ip:
                refusal = CodeLimitError(
                    "Из вашей сети запрошено слишком много кодов. Попробуйте через "
                    f"{limits.wait_text(per_ip)}.",
                    seconds=per_ip,
                )
        if refusal is None:
            value = "" if channel == CodeChannel.CALL else _random_code(policy.digits)
            superseded = [code.pk for code in live if code.state == CodeState.ACTIVE]
            if superseded:
                Code.objects.filter(pk__in=superseded, state=CodeState.ACTIVE).update(
                    state=CodeState.SUPERSEDED
                )
            code = sql.insert(
                Code(
                    purpose=purpose,
                    channel=channel,
                    target=target,
                    counted_target=counted,
                    account=account,
                    digest=code_digest(target=target, purpose=purpose, value=value) if value else "",
                    length=4 if channel == CodeChannel.CALL else policy.digits,
                    max_attempts=policy.attempts,
                    created_at=now,
                    expires_at=now + policy.lifetime,
                    resend_at=now + policy.resend_after,
                    ip=ip,
                )
            )
            hits = limits.hits_add([send_key, *([ip_key] if ip_key else [])], now=now)

    if refusal is not None:
        audit_record(
            kind=AuditKind.CODE_SEND_REFUSED,
            account=account,
            target=target,
            channel=channel,
            ip=ip,
            purpose=purpose,
            reason=type(refusal).__name__,
            seconds=getattr(refusal, "seconds", 0),
        )
        raise refusal

    try:
        # What the sender writes (the dev outbox's row, a call's code) and the audit row: one commit —
        # on PostgreSQL each commit waits for the WAL on disk. No row is locked while a gateway answers:
        # the transaction begins with its first write.
        with transaction.atomic():
            try:
                _deliver(code, value=value, account=account, sessions=sessions)
            except DeliveryError:
                raise
            except Exception as error:
                # A broken sender must not become an error page: the person may choose another way.
                logger.exception("The %s sender failed", channel)
                raise DeliveryError(f"{channel} sender crashed: {type(error).__name__}") from error
            audit_record(
                kind=AuditKind.CODE_SENT,
                account=account,
                target=target,
                channel=channel,
                ip=ip,
                purpose=purpose,
            )
    except DeliveryError as error:
        with transaction.atomic():
            Code.objects.filter(pk=code.pk).update(state=CodeState.FAILED)
            ThrottleHit.objects.filter(pk__in=hits).delete()  # a message that never left is not counted
        audit_record(
            kind=AuditKind.CODE_SEND_FAILED,
            account=account,
            target=target,
            channel=channel,
            ip=ip,
            purpose=purpose,
            error=str(error)[:200],
        )
        raise CodeDeliveryError(DELIVERY_FAILED[CodeChannel(channel)]) from error
    return code


def _deliver(code: Code, *, value: str, account: Account | None, sessions: list[str]) -> None:
    phone = account.phone if account else (code.target if code.target.startswith("+") else "")
    if code.channel == CodeChannel.FRIEND:
        # The message is the friend's: addressed to the friend's phone and account, naming the asker.
        subject, text = _text(code.purpose, value, account=account)
        friend_id = Account.objects.filter(phone=code.target).values_list("pk", flat=True).first()
        friend_sender().send_friend(
            Message(
                to=code.target,
                text=text,
                code=value,
                subject=subject,
                account_id=friend_id,
                phone=code.target,
                ip=code.ip,
            )
        )
        return
    if code.channel == CodeChannel.CALL:
        placed = call_sender().call(to=code.target, ip=code.ip)
        if not re.fullmatch(r"[0-9]{4}", placed.code):
            raise DeliveryError("the call sender returned no 4-digit code")
        code.digest = code_digest(target=code.target, purpose=code.purpose, value=placed.code)
        Code.objects.filter(pk=code.pk).update(digest=code.digest)
        return
    subject, text = _text(code.purpose, value, account=account)
    message = Message(
        to=code.target,
        text=text,
        code=value,
        subject=subject,
        account_id=account.pk if account else None,
        phone=phone,
        ip=code.ip,
    )
    if code.channel == CodeChannel.SMS:
        sms_sender().send_sms(message)
    elif code.channel == CodeChannel.PUSH:
        push_sender().send_push(message, sessions=sessions)
    else:
        email_sender().send_email(message)


# --- checking ---------------------------------------------------------------------------------------------


def _wrong_counted(
    throttle: Throttle, *, target: str, now: dt.datetime
) -> tuple[CodeLockedError, int] | None:
    """Count one wrong answer against ``target`` (its ``throttle`` row locked by the caller); when that
    makes ``PARTA_ID_WRONG_CODES_PER_DAY``, lock the target and return the error and the day's count."""
    limits.hit_add(_wrong_key(target), now=now)
    wrong_today = limits.hits_count(_wrong_key(target), since=now - dt.timedelta(days=1))
    if wrong_today < _wrong_per_day():
        return None
    throttle.locked_until = now + _wrong_lock()
    throttle.save(update_fields=["locked_until", "updated_at"])
    seconds = math.ceil(_wrong_lock().total_seconds())
    return CodeLockedError(_locked_message(seconds), seconds=seconds), wrong_today


def wrong_answer_lock(*, target: str) -> Throttle:
    """Lock ``target``'s counter row for the surrounding transaction; raise :class:`CodeLockedError` if
    the target is blocked. With :func:`wrong_answer_record` and :func:`wrong_answers_clear`, this lets a
    code-generator app's codes be limited exactly like one-time codes."""
    throttle = limits.throttle_lock(target_key(target))
    locked = limits.lock_seconds(throttle, now=timezone.now())
    if locked:
        raise CodeLockedError(_locked_message(locked), seconds=locked)
    return throttle


def wrong_answer_record(throttle: Throttle, *, target: str) -> CodeLockedError | None:
    """Count one wrong answer against ``target``; the error to raise if that blocked the target."""
    lockout = _wrong_counted(throttle, target=target, now=timezone.now())
    return lockout[0] if lockout else None


def wrong_answers_clear(*, target: str) -> None:
    """A right answer ends the run of consecutive wrong ones (NIST SP 800-63B)."""
    limits.hits_clear(_wrong_key(target))


def _dead_reason(code: Code, *, now: dt.datetime) -> tuple[str, str] | None:
    if code.state == CodeState.USED:
        return "used", USED
    if code.state == CodeState.EXHAUSTED:
        return "exhausted", EXHAUSTED
    if code.state == CodeState.SUPERSEDED:
        return "superseded", SUPERSEDED
    if code.state == CodeState.FAILED:
        return "failed", FAILED
    if code.is_expired(now=now):
        return "expired", EXPIRED
    return None


def code_dead_message(code: Code) -> str:
    """Why ``code`` can no longer be confirmed («Срок действия кода истёк…»), or ``""`` while it is live."""
    dead = _dead_reason(code, now=timezone.now())
    return dead[1] if dead else ""


def code_clean(value: str, *, length: int) -> str:
    """The digits typed, without spaces and dashes; :class:`CodeFormatError` if they are not a code."""
    cleaned = re.sub(r"[\s\-\u00a0]", "", value or "")
    if not re.fullmatch(r"[0-9]+", cleaned, flags=re.ASCII) or len(cleaned) != length:
        if length == 4:
            raise CodeFormatError("Введите 4 цифры — последние цифры номера, с которого вам позвонили.")
        raise CodeFormatError(f"Код состоит из {length} цифр. Проверьте, что вы ввели его полностью.")
    return cleaned


def code_verify(*, code_id: int, value: str, ip: str | None = None, known: Code | None = None) -> Code:
    """Confirm the code ``code_id`` with what the person typed; returns the code, now ``used``.

    Raises :class:`CodeFormatError` (not counted), :class:`CodeWrongError`, :class:`CodeDeadError` or
    :class:`CodeLockedError`. A wrong code counts against the code (``attempts``) and against its
    target's daily count, which may block the target. ``known``, the same code read a moment ago, saves
    reading its target and length again (they never change); its state is read again under the lock.
    """
    now = timezone.now()
    if known is not None and known.pk == code_id:
        counted_as, length = known.counted_as, known.length
    else:
        head = Code.objects.filter(pk=code_id).values("target", "counted_target", "length").first()
        if head is None:
            raise CodeDeadError(EXPIRED, reason="missing")
        counted_as, length = head["counted_target"] or head["target"], head["length"]
    cleaned = code_clean(value, length=int(length))

    outcome: CodeError | None = None
    events: list[tuple[AuditKind, dict[str, object]]] = []
    with transaction.atomic():
        throttle = limits.throttle_lock(target_key(counted_as))
        code = Code.objects.select_for_update().get(pk=code_id)
        locked = limits.lock_seconds(throttle, now=now)
        dead = _dead_reason(code, now=now)
        if locked:
            outcome = CodeLockedError(_locked_message(locked), seconds=locked)
        elif dead is not None:
            outcome = CodeDeadError(dead[1], reason=dead[0])
        elif code.digest and hmac.compare_digest(
            code.digest, code_digest(target=code.target, purpose=code.purpose, value=cleaned)
        ):
            code.state = CodeState.USED
            code.used_at = now
            code.save(update_fields=["state", "used_at"])
            limits.hits_clear(_wrong_key(code.counted_as))  # consecutive failures end with a success
            events.append((AuditKind.CODE_CONFIRMED, {}))
        else:
            code.attempts += 1
            left = max(0, code.max_attempts - code.attempts)
            if left == 0:
                code.state = CodeState.EXHAUSTED
            code.save(update_fields=["attempts", "state"])
            events.append((AuditKind.CODE_WRONG, {"attempt": code.attempts, "attempts_left": left}))
            if left == 0:
                events.append((AuditKind.CODE_EXHAUSTED, {"attempts": code.attempts}))
            lockout = _wrong_counted(throttle, target=code.counted_as, now=now)
            if lockout is not None:
                events.append((AuditKind.LOCKOUT, {"reason": "wrong_codes", "wrong_today": lockout[1]}))
                outcome = lockout[0]
            elif left == 0:
                outcome = CodeWrongError(LAST_WRONG, attempts_left=0)
            else:
                tries = limits.plural(left, "попытка", "попытки", "попыток")
                remain = limits.plural(left, "Осталась", "Осталось", "Осталось")
                outcome = CodeWrongError(f"Неверный код. {remain} {left} {tries}.", attempts_left=left)
        for kind, detail in events:
            audit_record(
                kind=kind,
                account=code.account,
                target=code.target,
                channel=code.channel,
                ip=ip,
                purpose=code.purpose,
                **detail,
            )
    if outcome is not None:
        raise outcome
    return code
