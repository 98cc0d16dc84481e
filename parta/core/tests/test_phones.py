import pytest
from hypothesis import given
from hypothesis import strategies as st

from parta.core.phones import PhoneError, phone_display, phone_last_digits, phone_mask, phone_normalize


@pytest.mark.parametrize(
    "typed",
    [
        "8 (952) 111-11-11",
        "+7 952 111 11 11",
        "9521111111",
        "+79521111111",
        "7-952-111-11-11",
        "8\u00a0952\u00a01111111",
        "+7 (952) 111\u201311\u201311",  # dashes a phone keyboard or a word processor puts in
        "\uff0b7 952 111 11 11",  # a full-width plus
        " 8 952 111 11 11 ",
    ],
)
def test_the_ways_people_type_a_russian_mobile_number_all_give_e164(typed: str) -> None:
    assert phone_normalize(typed) == "+79521111111"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Введите номер телефона."),
        ("952-11a-11-11", "только цифры"),
        ("+7 495 123-45-67", "мобильного телефона российского оператора"),
        ("+44 7911 123456", "мобильного телефона российского оператора"),
        ("+7 952 111-11", "+7 (9XX) XXX-XX-XX"),
        ("+7 ٩٥٢ ١١١ ١١ ١١", "только цифры"),  # other scripts' digits are not taken for ASCII ones
        ("8 952 111 11 11 ext 5", "только цифры"),
        ("+7 952 111 11 11" * 3, "Слишком длинный номер"),
        ("+7 701 123-45-67", "мобильного телефона российского оператора"),  # a Kazakh mobile
        ("952111111", "+7 (9XX) XXX-XX-XX"),
        ("+7 300 000-00-00", "Такого номера телефона не существует"),
    ],
)
def test_a_wrong_number_gets_a_clear_russian_message(typed: str, message: str) -> None:
    with pytest.raises(PhoneError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        phone_normalize(typed)


def test_foreign_numbers_are_accepted_when_allowed() -> None:
    assert phone_normalize("+44 7911 123456", russian_mobile_only=False) == "+447911123456"


def test_display_and_mask_as_the_manuals_write_them() -> None:
    assert phone_display("+79521111111") == "+7 952 111-11-11"
    assert phone_mask("+79521111111") == "+7 952 ***-**-11"


def test_last_digits_are_what_a_call_reset_code_is_made_of() -> None:
    assert phone_last_digits("+79005551435") == "1435"
    assert phone_last_digits("+7 900 555-14-35", 2) == "35"


@given(st.text(max_size=40))
def test_anything_typed_is_either_a_number_or_a_russian_message(typed: str) -> None:
    message = ""
    try:
        number = phone_normalize(typed)
    except PhoneError as refused:
        message, number = str(refused), ""
    if message:
        assert message.endswith(".")
    else:
        assert number.startswith("+79")
        assert len(number) == 12
