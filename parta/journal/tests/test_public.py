import pytest

from parta.journal import public
from parta.journal.actions.enrolments import enrolment_create
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db


def test_the_integration_reads_roster_changes_in_order_from_a_cursor() -> None:
    school_class = factories.school_class()
    first = factories.person("Орлова", "Мария", "Ильинична")
    second = factories.person("Зайцев", "Глеб", "Олегович")
    enrolment_create(student=first, school_class=school_class)
    enrolment_create(student=second, school_class=school_class)

    events = public.roster_events_after(after_id=0)
    assert [(e.kind, e.school_id, e.payload["student"]) for e in events] == [
        ("enrolment.created", school_class.school_id, first.pk),
        ("enrolment.created", school_class.school_id, second.pk),
    ]
    assert public.roster_events_after(after_id=events[0].id) == events[1:]
    assert public.roster_events_after(after_id=events[-1].id) == []
