"""The code state machine and every limit of issue 3, through the actions."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from parta.identity.actions.codes import (
    EXHAUSTED,
    EXPIRED,
    LAST_WRONG,
    SUPERSEDED,
    USED,
    CodeDeadError,
    CodeDeliveryError,
    CodeFormatError,
    CodeLimitError,
    CodeLockedError,
    CodeTooEarlyError,
    CodeWrongError,
    code_digest,
    code_lock_seconds,
    code_send,
    code_verify,
)
from parta.identity.delivery import DeliveryError, Message
from parta.identity.models import AuditEvent, AuditKind, Code, CodeState, DevMessage, Throttle, ThrottleHit
from parta.identity.tests import factories

pytestmark = pytest.mark.django_db
PHONE = "+79991230001"


def send(target: str = PHONE, *, channel: str = "sms", ip: str | None = "10.0.0.1", **extra: object) -> Code:
    return code_send(purpose="signin", channel=channel, target=target, ip=ip, **extra)


def sent_code(target: str = PHONE) -> str:
    """What the person reads in the message (the dev outbox)."""
    return DevMessage.objects.filter(to=target).order_by("-id").first().code


def let_timer_run_out(code: Code) -> None:
    Code.objects.filter(pk=code.pk).update(resend_at=timezone.now() - dt.timedelta(seconds=1))


def wrong(code: Code) -> str:
    right = sent_code(code.target)
    return "".join(str((int(d) + 1) % 10) for d in right)


# --- the code itself ---------------------------------------------------------------------------------------


def test_an_sms_code_has_six_digits_and_only_its_hmac_is_stored() -> None:
    code = send()
    value = sent_code()
    assert re.fullmatch(r"[0-9]{6}", value)
    assert value in DevMessage.objects.get().text
    assert code.digest == code_digest(target=PHONE, purpose="signin", value=value)
    assert value not in code.digest
    assert code.length == 6
    assert code.max_attempts == 5
    assert code.expires_at - code.created_at == dt.timedelta(minutes=10)


def test_codes_differ_from_one_send_to_the_next() -> None:
    values = set()
    for number in range(8):
        send(f"+7999123{number:04d}")
        values.add(sent_code(f"+7999123{number:04d}"))
    assert len(values) > 1


def test_the_right_code_confirms_once_and_only_once() -> None:
    code = send()
    confirmed = code_verify(code_id=code.pk, value=sent_code())
    assert confirmed.state == CodeState.USED
    with pytest.raises(CodeDeadError) as refused:
        code_verify(code_id=code.pk, value=sent_code())
    assert str(refused.value) == USED


def test_spaces_and_dashes_inside_a_typed_code_are_fine() -> None:
    code = send()
    value = sent_code()
    code_verify(code_id=code.pk, value=f" {value[:3]} - {value[3:]} ")


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_something_that_is_not_a_code_is_refused_without_costing_a_try(typed: str) -> None:
    code = send()
    with pytest.raises(CodeFormatError, match="Код состоит из 6 цифр"):
        code_verify(code_id=code.pk, value=typed)
    assert Code.objects.get(pk=code.pk).attempts == 0


def test_five_wrong_codes_kill_the_code_even_for_the_right_one() -> None:
    code = send()
    messages = []
    for _ in range(5):
        with pytest.raises(CodeWrongError) as refused:
            code_verify(code_id=code.pk, value=wrong(code))
        messages.append(str(refused.value))
    assert messages == [
        "Неверный код. Осталось 4 попытки.",
        "Неверный код. Осталось 3 попытки.",
        "Неверный код. Осталось 2 попытки.",
        "Неверный код. Осталась 1 попытка.",
        LAST_WRONG,
    ]
    with pytest.raises(CodeDeadError) as dead:
        code_verify(code_id=code.pk, value=sent_code())
    assert str(dead.value) == EXHAUSTED
    assert Code.objects.get(pk=code.pk).state == CodeState.EXHAUSTED
    assert AuditEvent.objects.filter(kind=AuditKind.CODE_WRONG).count() == 5
    assert AuditEvent.objects.filter(kind=AuditKind.CODE_EXHAUSTED).count() == 1


def test_an_expired_code_is_refused_even_when_right() -> None:
    code = send()
    Code.objects.filter(pk=code.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(CodeDeadError) as refused:
        code_verify(code_id=code.pk, value=sent_code())
    assert str(refused.value) == EXPIRED
    assert Code.objects.get(pk=code.pk).attempts == 0


def test_a_code_still_works_just_before_it_expires() -> None:
    code = send()
    Code.objects.filter(pk=code.pk).update(expires_at=timezone.now() + dt.timedelta(seconds=30))
    assert code_verify(code_id=code.pk, value=sent_code()).state == CodeState.USED


# --- the resend timer --------------------------------------------------------------------------------------


def test_resending_before_the_timer_runs_out_is_refused() -> None:
    send()
    with pytest.raises(CodeTooEarlyError) as refused:
        send()
    assert 110 <= refused.value.seconds <= 120
    assert re.fullmatch(r"Отправить SMS повторно можно через [12]:[0-5][0-9]\.", str(refused.value))
    assert DevMessage.objects.count() == 1


def test_after_the_timer_a_new_code_replaces_the_old_one() -> None:
    first = send()
    first_value = sent_code()
    let_timer_run_out(first)
    second = send()
    assert second.pk != first.pk
    with pytest.raises(CodeDeadError) as refused:
        code_verify(code_id=first.pk, value=first_value)
    assert str(refused.value) == SUPERSEDED
    assert code_verify(code_id=second.pk, value=sent_code()).state == CodeState.USED


def test_entering_the_number_again_reuses_the_code_on_its_way() -> None:
    first = send()
    again = send(reuse_live=True)
    assert again.pk == first.pk
    assert DevMessage.objects.count() == 1


def test_another_channel_does_not_wait_for_the_sms_timer() -> None:
    send()
    call = send(channel="call")
    assert call.channel == "call"
    with pytest.raises(CodeTooEarlyError, match=r"Позвонить ещё раз можно через (1:00|0:5[0-9])"):
        send(channel="call")


def test_a_confirmed_code_does_not_hold_back_the_next_sign_in() -> None:
    code = send()
    code_verify(code_id=code.pk, value=sent_code())
    assert send().pk != code.pk


# --- limits per number and per network address ------------------------------------------------------------


def _send_many(count: int, target: str = PHONE, *, ip: str | None = None) -> None:
    for _ in range(count):
        code = send(target, ip=ip)
        let_timer_run_out(code)


def test_at_most_five_codes_per_number_in_ten_minutes() -> None:
    _send_many(5)
    with pytest.raises(CodeLimitError, match="слишком много кодов") as refused:
        send()
    assert 0 < refused.value.seconds <= 600
    assert "мин" in str(refused.value)
    assert DevMessage.objects.count() == 5
    # Ten minutes later there is room again.
    ThrottleHit.objects.update(at=timezone.now() - dt.timedelta(minutes=11))
    send()


def test_at_most_ten_codes_per_number_a_day() -> None:
    _send_many(5)
    ThrottleHit.objects.update(at=timezone.now() - dt.timedelta(hours=3))
    _send_many(5)
    ThrottleHit.objects.filter(at__gt=timezone.now() - dt.timedelta(minutes=1)).update(
        at=timezone.now() - dt.timedelta(hours=1)
    )
    with pytest.raises(CodeLimitError) as refused:
        send()
    assert refused.value.seconds > 3600
    assert re.search(r"через 2[01] ч", str(refused.value))


def test_a_limit_on_one_number_leaves_other_numbers_alone() -> None:
    _send_many(5)
    send("+79991230002")


@override_settings(PARTA_ID_SENDS_PER_IP=[(3, 600)])
def test_one_network_address_asks_for_a_limited_number_of_codes() -> None:
    for number in range(3):
        send(f"+7999124{number:04d}", ip="10.1.1.1")
    with pytest.raises(CodeLimitError, match="Из вашей сети запрошено слишком много кодов"):
        send("+79991249999", ip="10.1.1.1")
    send("+79991249999", ip="10.1.1.2")


# --- wrong codes per number --------------------------------------------------------------------------------


def _wrong_codes(count: int, target: str = PHONE) -> Code:
    """``count`` wrong codes for ``target``, asking for new codes as each one dies."""
    Code.objects.filter(target=target).update(resend_at=timezone.now() - dt.timedelta(seconds=1))
    code = send(target)
    for _ in range(count):
        if Code.objects.get(pk=code.pk).state != CodeState.ACTIVE:
            let_timer_run_out(code)
            code = send(target)
        with pytest.raises((CodeWrongError, CodeLockedError)):
            code_verify(code_id=code.pk, value=wrong(code))
    return code


def test_twenty_wrong_codes_a_day_block_the_number_for_an_hour() -> None:
    _wrong_codes(19)
    assert code_lock_seconds(target=PHONE) == 0
    ThrottleHit.objects.filter(
        key=f"send:{PHONE}"
    ).delete()  # room to send (the send limits are tested above)
    code = _wrong_codes(0)
    with pytest.raises(CodeLockedError, match="Вход по нему временно заблокирован") as locked:
        code_verify(code_id=code.pk, value=wrong(code))
    assert locked.value.seconds == 3600
    assert 3590 <= code_lock_seconds(target=PHONE) <= 3600
    # While blocked: no new code, and even the right code of a live one is refused.
    with pytest.raises(CodeLockedError):
        send(channel="call")
    with pytest.raises(CodeLockedError):
        code_verify(code_id=code.pk, value=sent_code())
    assert AuditEvent.objects.filter(kind=AuditKind.LOCKOUT).count() == 1


def test_new_codes_do_not_reset_the_count_of_wrong_ones() -> None:
    _wrong_codes(12)
    ThrottleHit.objects.filter(key=f"send:{PHONE}").delete()
    _wrong_codes(7)
    ThrottleHit.objects.filter(key=f"send:{PHONE}").delete()
    code = send(channel="call")  # a different channel, a brand-new code
    with pytest.raises(CodeLockedError):
        code_verify(code_id=code.pk, value="0000" if sent_code() != "0000" else "1111")


def test_a_confirmed_code_resets_the_count_of_wrong_ones() -> None:
    _wrong_codes(15)
    ThrottleHit.objects.filter(key=f"send:{PHONE}").delete()
    code = send(channel="call")
    code_verify(code_id=code.pk, value=sent_code())
    ThrottleHit.objects.filter(key=f"send:{PHONE}").delete()
    _wrong_codes(10)
    assert code_lock_seconds(target=PHONE) == 0


def test_the_block_runs_out_after_an_hour() -> None:
    _wrong_codes(19)
    ThrottleHit.objects.filter(key=f"send:{PHONE}").delete()
    _wrong_codes(1)
    Throttle.objects.filter(key=f"target:{PHONE}").update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    code = send(channel="call")
    assert code_verify(code_id=code.pk, value=sent_code()).state == CodeState.USED


def test_wrong_codes_of_one_number_do_not_block_another() -> None:
    _wrong_codes(19)
    ThrottleHit.objects.filter(key=f"send:{PHONE}").delete()
    _wrong_codes(1)
    other = send("+79991230002")
    assert code_verify(code_id=other.pk, value=sent_code("+79991230002")).state == CodeState.USED


# --- call-reset ---------------------------------------------------------------------------------------------


def test_a_call_reset_code_is_the_last_four_digits_of_the_calling_number() -> None:
    code = send(channel="call")
    message = DevMessage.objects.get()
    assert message.channel == "call"
    assert message.caller_number.endswith(message.code)
    assert re.fullmatch(r"\+79[0-9]{9}", message.caller_number)
    assert code.length == 4
    assert code.max_attempts == 3
    assert code_verify(code_id=code.pk, value=message.caller_number[-4:]).state == CodeState.USED


def test_a_call_reset_code_dies_after_three_wrong_tries() -> None:
    code = send(channel="call")
    right = sent_code()
    wrong_value = f"{(int(right) + 1) % 10000:04d}"
    for expected_left in (2, 1):
        with pytest.raises(CodeWrongError) as refused:
            code_verify(code_id=code.pk, value=wrong_value)
        assert refused.value.attempts_left == expected_left
    with pytest.raises(CodeWrongError, match="Попытки закончились"):
        code_verify(code_id=code.pk, value=wrong_value)
    with pytest.raises(CodeDeadError, match="слишком много раз"):
        code_verify(code_id=code.pk, value=right)


def test_a_call_reset_code_wants_four_digits() -> None:
    code = send(channel="call")
    with pytest.raises(CodeFormatError, match="Введите 4 цифры"):
        code_verify(code_id=code.pk, value="123456")


# --- push and e-mail ----------------------------------------------------------------------------------------


def everyone_has_a_session(*, account_id: int) -> list[str]:
    return ["session-1"]


def test_no_push_without_a_signed_in_messenger_session() -> None:
    account = factories.account(PHONE)
    with pytest.raises(CodeDeliveryError, match="push-уведомление"):
        send(channel="push", account=account)
    assert not Code.objects.exists()


@override_settings(PARTA_ID_PUSH_SESSIONS="parta.identity.tests.test_codes.everyone_has_a_session")
def test_a_push_code_goes_to_the_sessions_and_is_checked_like_an_sms() -> None:
    account = factories.account(PHONE)
    code = send(channel="push", account=account)
    message = DevMessage.objects.get()
    assert message.channel == "push"
    assert re.fullmatch(r"[0-9]{6}", message.code)
    assert code_verify(code_id=code.pk, value=message.code).state == CodeState.USED


def test_an_email_code_for_recovery_reuses_the_same_machine() -> None:
    account = factories.account(PHONE)
    code = code_send(purpose="recovery", channel="email", target="ka@mail.ru", account=account)
    message = DevMessage.objects.get()
    assert message.channel == "email"
    assert message.to == "ka@mail.ru"
    assert message.phone == PHONE  # the dev outbox finds it by the account's phone
    assert "восстановления доступа" in message.text
    assert code.expires_at - code.created_at == dt.timedelta(minutes=15)
    with pytest.raises(CodeTooEarlyError, match=r"Новый код можно запросить через [45]:"):
        code_send(purpose="recovery", channel="email", target="ka@mail.ru", account=account)
    assert code_verify(code_id=code.pk, value=message.code).state == CodeState.USED


def test_codes_of_different_purposes_do_not_replace_each_other() -> None:
    signin = send()
    signin_value = sent_code()
    code_send(purpose="recovery", channel="call", target=PHONE)
    assert code_verify(code_id=signin.pk, value=signin_value).state == CodeState.USED


# --- delivery failures --------------------------------------------------------------------------------------


class RefusingSender:
    def send_sms(self, message: Message) -> None:
        raise DeliveryError("gateway said no")


class CrashingSender:
    def send_sms(self, message: Message) -> None:
        raise RuntimeError("bug")


@pytest.mark.parametrize("sender", ["RefusingSender", "CrashingSender"])
def test_a_message_that_did_not_go_is_neither_counted_nor_timed(sender: str) -> None:
    with (
        override_settings(PARTA_ID_SENDERS={"sms": f"parta.identity.tests.test_codes.{sender}"}),
        pytest.raises(CodeDeliveryError, match="Не удалось отправить SMS"),
    ):
        send()
    code = Code.objects.get()
    assert code.state == CodeState.FAILED
    assert not ThrottleHit.objects.filter(key=f"send:{PHONE}").exists()
    assert AuditEvent.objects.filter(kind=AuditKind.CODE_SEND_FAILED).count() == 1
    with pytest.raises(CodeDeadError):
        code_verify(code_id=code.pk, value="123456")
    send()  # no timer holds the next try


# --- audit and logs -----------------------------------------------------------------------------------------


def test_codes_never_reach_the_logs_or_the_audit_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code = send()
    value = sent_code()
    with pytest.raises(CodeWrongError):
        code_verify(code_id=code.pk, value=wrong(code))
    code_verify(code_id=code.pk, value=value)
    call = send(channel="call")
    code_verify(code_id=call.pk, value=sent_code())
    assert caplog.records  # the audit log did write lines
    assert value not in caplog.text
    for event in AuditEvent.objects.all():
        assert value not in str(event.detail)
    kinds = list(AuditEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["code_sent", "code_wrong", "code_confirmed", "code_sent", "code_confirmed"]


def test_the_answers_do_not_depend_on_whether_the_number_has_an_account() -> None:
    factories.account("+79991230001")
    with_account = send("+79991230001")
    without = send("+79991230002")
    texts = [re.sub(r"[0-9]{6}", "…", m.text) for m in DevMessage.objects.order_by("id")]
    assert texts[0] == texts[1]
    assert (with_account.length, with_account.max_attempts) == (without.length, without.max_attempts)
