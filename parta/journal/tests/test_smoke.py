from django.test import Client

from parta.journal.tests import factories


def test_healthz_reports_the_database(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["ok"] is True
    assert response.json()["side"] == "journal"


def test_factories_build_a_class_with_a_student(db: None) -> None:
    school_class = factories.school_class(grade=5, letter="А")
    pupil = factories.student(school_class)
    assert school_class.title == "5А"
    assert pupil.enrolments.get().school_class == school_class
