"""Phone numbers: parse what people type (8…, +7…, 9…, spaces, dashes, brackets), store E.164, show masked.

Only Russian mobile numbers are accepted by default, as the manuals' platform does.
"""

from __future__ import annotations

import re

import phonenumbers

# What people put between digits: spaces (also non-breaking and thin ones), dashes of every kind,
# brackets and dots. Anything else (letters, other scripts' digits, control characters) is refused.
_JUNK = re.compile(r"[\s\-\u2010-\u2015\u2212().\u00a0\u202f]")
_DIGITS = re.compile(r"\+?[0-9]+", re.ASCII)
MAX_TYPED_LENGTH = 32


class PhoneError(ValueError):
    """``str(error)`` is a message in Russian fit to show the person who typed the number."""


def phone_normalize(raw: str, *, russian_mobile_only: bool = True) -> str:
    """``+79521111111`` for «8 (952) 111-11-11», «+7 952 111 11 11», «9521111111» and the like."""
    if len(raw or "") > MAX_TYPED_LENGTH:
        raise PhoneError("Слишком длинный номер. Введите номер в формате +7 (9XX) XXX-XX-XX.")
    text = _JUNK.sub("", (raw or "").replace("\uff0b", "+"))
    if not text:
        raise PhoneError("Введите номер телефона.")
    if not _DIGITS.fullmatch(text):
        raise PhoneError("Номер телефона может содержать только цифры, пробелы, скобки и дефисы.")
    if not 10 <= len(text.lstrip("+")) <= 15:
        raise PhoneError("Введите номер в формате +7 (9XX) XXX-XX-XX.")
    if len(text) == 10 and text.startswith("9"):
        text = "+7" + text
    elif len(text) == 11 and text.startswith("8"):
        text = "+7" + text[1:]
    elif len(text) == 11 and text.startswith("7"):
        text = "+" + text
    elif not text.startswith("+"):
        raise PhoneError("Введите номер в формате +7 (9XX) XXX-XX-XX.")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as error:
        raise PhoneError("Введите номер в формате +7 (9XX) XXX-XX-XX.") from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("Такого номера телефона не существует. Проверьте, правильно ли он введён.")
    if russian_mobile_only and (
        number.country_code != 7
        or phonenumbers.region_code_for_number(number) != "RU"
        or phonenumbers.number_type(number)
        not in {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    ):
        raise PhoneError("Нужен номер мобильного телефона российского оператора: +7 (9XX) XXX-XX-XX.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """``+7 952 111-11-11`` — the way the manuals write a number."""
    digits = e164.removeprefix("+")
    if len(digits) == 11 and digits.startswith("7"):
        return f"+7 {digits[1:4]} {digits[4:7]}-{digits[7:9]}-{digits[9:11]}"
    return e164


def phone_mask(e164: str) -> str:
    """``+7 952 ***-**-11`` — enough to recognise one's own number, not to learn someone else's."""
    digits = e164.removeprefix("+")
    if len(digits) == 11 and digits.startswith("7"):
        return f"+7 {digits[1:4]} ***-**-{digits[9:11]}"
    return e164[:4] + "*" * max(0, len(e164) - 6) + e164[-2:]


def phone_last_digits(e164: str, count: int = 4) -> str:
    """The last ``count`` digits: what a call-reset code is made of («последние 4 цифры этого номера»)."""
    digits = re.sub(r"[^0-9]", "", e164)
    return digits[-count:]
