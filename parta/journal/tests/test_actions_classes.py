"""Opening a class."""

from __future__ import annotations

import pytest

from parta.journal.actions.classes import school_class_create
from parta.journal.actions.errors import JournalError
from parta.journal.models import Cohort, OutboxEvent, SchoolClass
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


def test_a_new_class_gets_its_cohort_teacher_and_outbox_events() -> None:
    school = factories.school(final_grade=9)
    year = factories.year(2026)
    teacher = factories.teacher(school)

    created = school_class_create(school=school, year=year, grade=5, letter=" б ", class_teacher=teacher)

    assert created.title == "5Б"
    assert created.cohort == Cohort.objects.get(school=school, letter="Б", entry_year=2022)
    assert SchoolClass.objects.get(pk=created.pk).class_teacher == teacher
    kinds = list(OutboxEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["class.created", "class.teacher_changed"]  # the factory hires without the action
    assert OutboxEvent.objects.get(kind="class.created").payload["title"] == "5Б"


def test_the_same_class_twice_is_refused_and_nothing_is_written() -> None:
    school = factories.school()
    year = factories.year(2026)
    school_class_create(school=school, year=year, grade=5, letter="А")
    events = OutboxEvent.objects.count()

    with pytest.raises(JournalError, match="Класс 5А в 2026/2027 учебном году уже есть"):
        school_class_create(school=school, year=year, grade=5, letter="а")

    assert SchoolClass.objects.count() == 1
    assert OutboxEvent.objects.count() == events


@pytest.mark.parametrize(("grade", "letter", "message"), [(10, "А", "классы с 1 по 9"), (5, " ", "литеру")])
def test_a_grade_beyond_the_school_or_an_empty_letter_is_refused(
    grade: int, letter: str, message: str
) -> None:
    school = factories.school(final_grade=9)
    with pytest.raises(JournalError, match=message):
        school_class_create(school=school, year=factories.year(2026), grade=grade, letter=letter)
    assert not SchoolClass.objects.exists()
    assert not OutboxEvent.objects.exists()
