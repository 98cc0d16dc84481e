"""Phone numbers: parse what people type (8…, +7…, 9…, spaces, dashes, brackets), store E.164, show masked.

Only Russian mobile numbers are accepted by default, as the manuals' platform does.
"""

from __future__ import annotations

import re

import phonenumbers

_JUNK = re.compile(r"[\s\-().\u00a0]")


class PhoneError(ValueError):
    """``str(error)`` is a message in Russian fit to show the person who typed the number."""


def phone_normalize(raw: str, *, russian_mobile_only: bool = True) -> str:
    """``+79521111111`` for «8 (952) 111-11-11», «+7 952 111 11 11», «9521111111» and the like."""
    text = _JUNK.sub("", raw or "")
    if not text:
        raise PhoneError("Введите номер телефона.")
    if not re.fullmatch(r"\+?\d+", text):
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
