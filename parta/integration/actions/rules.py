"""Whose profile may be bound to whom: the rule against a parent binding their child's profile and the
reverse (docs/integration.md, «Whose profile»).

1. The profile is one of the account's wards (same surname, first name and birth date as a child the
   journal lists for this parent) → refused: the child binds it from the child's own account.
2. The profile is one of the account's guardians (the same comparison against a student's parents) →
   refused the same way.
3. Otherwise, when the journal knows the person's birth date and the profile's differs from it by
   ``GENERATION_YEARS`` years or more, the profile belongs to someone of another generation → refused.
4. An account with a parent, teacher or administrator role cannot take a profile younger than
   ``ADULT_AGE`` — that is a child's profile whatever the journal knows.

Names compare case-insensitively with «ё» read as «е». A small difference in the birth date (a typo on
either side) is accepted: the check is for another person, not for a perfect record.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from parta.integration.actions.errors import LinkError
from parta.integration.oidc import ProfileClaims
from parta.journal.public import AccountInfo, PersonInfo

GENERATION_YEARS = 10
ADULT_AGE = 14
ADULT_ROLES = frozenset({"parent", "teacher", "administrator"})


def _norm(value: str) -> str:
    return value.strip().lower().replace("ё", "е")


def _same_person(person: PersonInfo, claims: ProfileClaims) -> bool:
    return (
        _norm(person.last_name) == _norm(claims.family_name)
        and _norm(person.first_name) == _norm(claims.given_name)
        and person.birth_date is not None
        and person.birth_date == claims.birthdate
    )


def _years_between(a: dt.date, b: dt.date) -> float:
    return abs((a - b).days) / 365.25


def profile_owner_check(*, account: AccountInfo, claims: ProfileClaims) -> None:
    """Raise :class:`LinkError` when the profile is evidently another person's."""
    for ward in account.wards:
        if _same_person(ward, claims):
            raise LinkError(
                f"Это учебный профиль вашего ребёнка ({ward.full_name}). К вашей учётной записи "
                "привязывается только ваш собственный профиль; ребёнок привязывает свой профиль в своей "
                "учётной записи. Нажмите «Перейти к подключению» и войдите со своим номером телефона."
            )
    for guardian in account.guardians:
        if _same_person(guardian, claims):
            raise LinkError(
                f"Это учебный профиль вашего родителя ({guardian.full_name}). К учётной записи ученика "
                "привязывается только профиль самого ученика. Нажмите «Перейти к подключению» и войдите "
                "со своим номером телефона."
            )
    person = account.person
    if (
        person is not None
        and person.birth_date
        and claims.birthdate
        and _years_between(person.birth_date, claims.birthdate) >= GENERATION_YEARS
    ):
        raise LinkError(
            "Дата рождения в учебном профиле ("
            f"{claims.birthdate:%d.%m.%Y}) не совпадает с датой рождения в журнале: похоже, это "
            "профиль другого человека (например, родителя или ребёнка). Привяжите свой собственный "
            "профиль или попросите школу исправить дату рождения в журнале."
        )
    roles = {role.role for role in account.roles}
    if (
        claims.birthdate
        and roles & ADULT_ROLES
        and _years_between(timezone.localdate(), claims.birthdate) < ADULT_AGE
    ):
        raise LinkError(
            "Этот учебный профиль принадлежит ребёнку: родитель и сотрудник школы привязывают "
            "только собственный профиль. Войдите со своим номером телефона."
        )


def phone_owner_check(*, account: AccountInfo, phone: str) -> None:
    """Manual 003 knows the profile only by its phone: raise :class:`LinkError` when the journal has that
    number for the account's child or parent (and not for the account's own person — a family may share
    one phone)."""
    own = account.person.phone if account.person else ""
    if not phone or phone == own:
        return
    for ward in account.wards:
        if ward.phone == phone:
            raise LinkError(
                f"Это номер телефона вашего ребёнка ({ward.full_name}) в журнале. К вашей учётной записи "
                "привязывается только ваш собственный учебный профиль: укажите свой номер телефона. "
                "Ребёнок привязывает свой профиль в своей учётной записи."
            )
    for guardian in account.guardians:
        if guardian.phone == phone:
            raise LinkError(
                f"Это номер телефона вашего родителя ({guardian.full_name}) в журнале. К учётной записи "
                "ученика привязывается только профиль самого ученика: укажите свой номер телефона."
            )
