"""Whose profile may be bound to whom (``actions/rules.py``), on the journal's own records as
``parta.journal.public.account_info`` gives them."""

from __future__ import annotations

import datetime as dt

import pytest

from parta.integration.actions import LinkError
from parta.integration.actions.rules import profile_owner_check
from parta.integration.oidc import ProfileClaims
from parta.journal.public import account_info
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


def claims(last: str, first: str, born: dt.date | None) -> ProfileClaims:
    return ProfileClaims(
        sub="s",
        phone="+79520000000",
        family_name=last,
        given_name=first,
        middle_name="",
        birthdate=born,
        gender="",
    )


def test_account_info_lists_roles_per_school_wards_and_guardians() -> None:
    school = factories.school("Школа № 7")
    teacher = factories.teacher(school, "Смирнова", "Анна")
    child = factories.student(factories.school_class(school, grade=2, letter="Б"), "Смирнов", "Павел")
    parent = factories.parent_of(child, "Смирнов", "Алексей")
    info = account_info(account_id=factories.account(teacher).pk)
    assert info is not None
    assert [(r.role, r.label, r.school_name, r.school_ref) for r in info.roles] == [
        ("teacher", "учитель", "Школа № 7", school.sourced_id)
    ]
    father = account_info(account_id=factories.account(parent).pk)
    assert father is not None
    assert [(r.role, r.school_name) for r in father.roles] == [("parent", "Школа № 7")]
    assert [w.full_name for w in father.wards] == ["Смирнов Павел Сергеевич"]
    pupil = account_info(account_id=factories.account(child).pk)
    assert pupil is not None
    assert [(r.role, r.school_name) for r in pupil.roles] == [("student", "Школа № 7")]
    assert [g.full_name for g in pupil.guardians] == ["Смирнов Алексей Иванович"]


def test_names_compare_without_case_and_with_yo_as_ye() -> None:
    school_class = factories.school_class()
    child = factories.student(school_class, "Кузнецов", "Артём")
    parent = factories.parent_of(child, "Кузнецова", "Елена")
    info = account_info(account_id=factories.account(parent).pk)
    assert info is not None
    with pytest.raises(LinkError, match="вашего ребёнка"):
        profile_owner_check(account=info, claims=claims("КУЗНЕЦОВ", "Артем", child.birth_date))


def test_a_generation_apart_is_refused_and_a_typo_in_the_date_is_not() -> None:
    teacher = factories.teacher(factories.school())  # born 1985-03-14 in the journal
    info = account_info(account_id=factories.account(teacher).pk)
    assert info is not None
    profile_owner_check(account=info, claims=claims("Смирнова", "Анна", dt.date(1985, 4, 13)))
    with pytest.raises(LinkError, match="профиль другого человека"):
        profile_owner_check(account=info, claims=claims("Смирнова", "Анна", dt.date(1960, 3, 14)))


def test_an_adult_role_cannot_take_a_childs_profile_even_unknown_to_the_journal() -> None:
    teacher = factories.teacher(factories.school())
    teacher.birth_date = None
    teacher.save()
    info = account_info(account_id=factories.account(teacher).pk)
    assert info is not None
    with pytest.raises(LinkError, match="принадлежит ребёнку"):
        profile_owner_check(
            account=info, claims=claims("Иванов", "Ваня", dt.date.today() - dt.timedelta(days=3650))
        )
