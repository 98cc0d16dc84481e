"""«Информация о себе»: real-looking names, plausible birth dates, and saving the profile."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parta.identity.actions.profiles import ProfileError, birth_date_clean, name_clean, profile_save
from parta.identity.models import AuditEvent, AuditKind, EducationalProfile
from parta.identity.tests import factories

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Иван", "Иван"),
        ("  Анна-Мария ", "Анна-Мария"),
        ("Салтыков-Щедрин", "Салтыков-Щедрин"),
        ("д'Артаньян", "д'Артаньян"),
        ("О’Коннор", "О’Коннор"),
        ("Мамед  оглы", "Мамед оглы"),
        ("Ёлкина", "Ёлкина"),
        ("Smith", "Smith"),
        ("Е\u0308лкина", "Ёлкина"),  # a decomposed «Ё» is stored composed
    ],
)
def test_real_names_are_accepted(typed: str, stored: str) -> None:
    assert name_clean(typed, field="last_name") == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Введите фамилию."),
        ("   ", "Введите фамилию."),
        ("Иванов2", "В фамилии не может быть цифр."),
        ("Иванов!", "Фамилия может содержать только буквы, дефис, апостроф и пробел."),
        ("Иван_ов", "Фамилия может содержать только буквы, дефис, апостроф и пробел."),
        ("Ивaнов", "Фамилию нужно написать буквами одного алфавита"),  # a Latin «a» inside
        ("Ιβανοβ", "Фамилию нужно написать буквами одного алфавита"),  # Greek
        ("Иванов\u202e", "В фамилии есть невидимые или служебные символы"),  # right-to-left override
        ("Ива\u200bнов", "В фамилии есть невидимые или служебные символы"),  # zero-width space
        ("Иванов\n", "В фамилии есть невидимые или служебные символы"),
        ("-Иванов", "дефис, апостроф и пробел могут стоять только между буквами"),
        ("Иванов--Петров", "дефис, апостроф и пробел могут стоять только между буквами"),
        ("Ивааанов", "одна буква повторяется три раза подряд"),
        ("Я" * 51, "не больше 50 символов"),
    ],
)
def test_names_that_do_not_look_real_are_refused(typed: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message) as refused:
        name_clean(typed, field="last_name")
    assert refused.value.field == "last_name"


def test_each_field_speaks_of_itself() -> None:
    with pytest.raises(ProfileError, match=r"Введите имя\."):
        name_clean("", field="first_name")
    with pytest.raises(ProfileError, match=r"В отчестве не может быть цифр\."):
        name_clean("Иванович1", field="middle_name")


def test_the_middle_name_may_be_empty() -> None:
    assert name_clean("", field="middle_name", required=False) == ""


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (dt.date(2026, 11, 24), "не может быть в будущем"),
        (dt.date(2022, 1, 1), "с 5 лет"),
        (dt.date(1900, 1, 1), "Проверьте год рождения"),
        (None, "Укажите день рождения"),
    ],
)
def test_implausible_birth_dates_are_refused(born: dt.date | None, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        birth_date_clean(born, today=TODAY)


@pytest.mark.parametrize("born", [dt.date(2021, 11, 23), dt.date(1986, 4, 12), dt.date(1907, 1, 1)])
def test_plausible_birth_dates_are_accepted(born: dt.date) -> None:
    assert birth_date_clean(born, today=TODAY) == born


@pytest.mark.django_db
def test_profile_save_creates_then_updates_and_audits() -> None:
    account = factories.account()
    values = {
        "first_name": "Мария",
        "last_name": "Иванова",
        "middle_name": "",
        "birth_date": dt.date(1986, 4, 12),
        "gender": "female",
    }
    created = profile_save(account=account, **values)
    assert created.full_name == "Иванова Мария"
    updated = profile_save(account=account, **{**values, "middle_name": "Петровна"})
    assert updated.pk == created.pk
    assert EducationalProfile.objects.get().middle_name == "Петровна"
    kinds = list(AuditEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [AuditKind.PROFILE_CREATED, AuditKind.PROFILE_UPDATED]
    assert AuditEvent.objects.order_by("id").last().detail == {"fields": ["middle_name"]}


@pytest.mark.django_db
def test_profile_save_refuses_a_wrong_gender_and_a_fake_name() -> None:
    account = factories.account()
    with pytest.raises(ProfileError, match="Выберите пол"):
        profile_save(
            account=account,
            first_name="Мария",
            last_name="Иванова",
            middle_name="",
            birth_date=dt.date(1986, 4, 12),
            gender="other",
        )
    with pytest.raises(ProfileError, match="цифр"):
        profile_save(
            account=account,
            first_name="Мария1",
            last_name="Иванова",
            middle_name="",
            birth_date=dt.date(1986, 4, 12),
            gender="female",
        )
    assert not EducationalProfile.objects.exists()


@given(st.text(max_size=80))
def test_any_typed_name_gets_a_message_or_a_clean_name(typed: str) -> None:
    message = ""
    try:
        stored = name_clean(typed, field="first_name")
    except ProfileError as refused:
        message, stored = str(refused), ""
    if message:
        assert message.endswith(".")
    else:
        assert stored == stored.strip()
        assert not any(ch.isdigit() for ch in stored)
        assert all(ch.isalpha() or ch in "-'’ʼ " for ch in stored)
