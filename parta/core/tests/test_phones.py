import pytest

from parta.core.phones import PhoneError, phone_display, phone_mask, phone_normalize


@pytest.mark.parametrize(
    "typed",
    [
        "8 (952) 111-11-11",
        "+7 952 111 11 11",
        "9521111111",
        "+79521111111",
        "7-952-111-11-11",
        "8\u00a0952\u00a01111111",
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
