"""The school administration: every page opens, and roster changes go through the actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from parta.journal.actions.enrolments import registry_restore, student_leave
from parta.journal.actions.outbox import outbox_emit
from parta.journal.models import (
    AcademicYear,
    Account,
    Cohort,
    Enrolment,
    Guardianship,
    Lesson,
    LoginThrottle,
    OutboxEvent,
    Person,
    RegistryEntry,
    RegistryReason,
    RegistryStatus,
    School,
    SchoolClass,
    StaffAssignment,
    TeachingAssignment,
)
from parta.journal.tests import factories

pytestmark = pytest.mark.django_db

ROLLOVER_URL = "/admin/journal/academicyear/rollover/"


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """The accounts of these tests need no slow password hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    school: School
    class_5a: SchoolClass
    class_5b: SchoolClass
    teacher: Person
    pupil: Person
    parent: Person
    entry: RegistryEntry  # an expelled pupil of 5А in «Выпускники и отчисленные»


@pytest.fixture
def world() -> World:
    school = factories.school("Школа № 7")
    teacher = factories.teacher(school)
    class_5a = factories.school_class(school, grade=5, letter="А", teacher=teacher)
    class_5b = factories.school_class(school, grade=5, letter="Б")
    pupil = factories.student(class_5a, "Петров", "Пётр")
    gone = factories.student(class_5a, "Уходов", "Илья")
    subject = factories.subject()
    TeachingAssignment.objects.create(school_class=class_5a, subject=subject, teacher=teacher)
    Lesson.objects.create(
        date=dt.date(2026, 11, 23),
        number=1,
        starts_at=dt.time(8, 30),
        ends_at=dt.time(9, 15),
        school_class=class_5a,
        subject=subject,
        teacher=teacher,
    )
    LoginThrottle.objects.create(key="user:someone", failures=2)
    factories.account(teacher, username="teacher")
    entry = student_leave(student=gone, school_class=class_5a, reason=RegistryReason.EXPELLED)
    return World(
        school=school,
        class_5a=class_5a,
        class_5b=class_5b,
        teacher=teacher,
        pupil=pupil,
        parent=factories.parent_of(pupil),
        entry=entry,
    )


@pytest.fixture
def director(client: Client) -> Client:
    client.force_login(Account.objects.create_superuser("director", "parta-demo"))
    return client


def url(model: type, view: str = "changelist", *args: object) -> str:
    return reverse(f"admin:journal_{model._meta.model_name}_{view}", args=args)


def page_text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def open_classes(student: Person) -> list[str]:
    return [e.school_class.title for e in Enrolment.objects.filter(student=student, ends_on__isnull=True)]


def journal_models() -> list[type]:
    return list(apps.get_app_config("journal").get_models())


# --- every page opens -----------------------------------------------------------------------------


def test_every_journal_model_is_in_the_administration() -> None:
    missing = [model.__name__ for model in journal_models() if model not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", journal_models(), ids=lambda model: model.__name__)
def test_every_page_of_every_model_opens(world: World, director: Client, model: type) -> None:
    assert director.get(url(model)).status_code == 200
    assert director.get(url(model), {"q": "Петров"}).status_code == 200
    first = model._default_manager.order_by("pk").first()
    assert first is not None, f"the test world has no {model.__name__}"
    assert director.get(url(model, "change", first.pk)).status_code == 200
    request = RequestFactory().get("/admin/")
    request.user = Account.objects.get(username="director")
    if admin.site._registry[model].has_add_permission(request):
        assert director.get(url(model, "add")).status_code == 200


def test_the_index_shows_the_journal_in_russian(world: World, director: Client) -> None:
    response = director.get("/admin/")
    assert response.status_code == 200
    assert "Выпускники и отчисленные" in page_text(response)
    assert "Журнал" in page_text(response)


def test_filters_of_the_large_lists_work(world: World, director: Client) -> None:
    studying = director.get(url(Enrolment), {"open": "1", "grade": "5"})
    assert studying.status_code == 200
    assert "Петров Пётр" in page_text(studying)
    assert "Уходов Илья" not in page_text(studying)
    left = director.get(url(Enrolment), {"open": "0"})
    assert "Уходов Илья" in page_text(left)
    assert (
        director.get(url(OutboxEvent), {"kind": "registry.added", "q": str(world.school.pk)}).status_code
        == 200
    )


# --- the registry «Выпускники и отчисленные» ------------------------------------------------------


def test_restore_action_brings_the_student_back(world: World, director: Client) -> None:
    response = director.post(
        url(RegistryEntry), {"action": "restore", "_selected_action": [world.entry.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "Восстановлено учеников: 1." in page_text(response)
    assert open_classes(world.entry.student) == ["5А"]
    assert RegistryEntry.objects.get(pk=world.entry.pk).status == RegistryStatus.RESTORED
    assert OutboxEvent.objects.filter(kind="registry.restored").count() == 1


def test_cancel_restore_action_returns_the_student_to_the_registry(world: World, director: Client) -> None:
    registry_restore(entry=world.entry)
    response = director.post(
        url(RegistryEntry), {"action": "cancel_restore", "_selected_action": [world.entry.pk]}, follow=True
    )
    assert "Восстановление отменено, ученики снова в реестре: 1." in page_text(response)
    assert open_classes(world.entry.student) == []
    assert RegistryEntry.objects.get(pk=world.entry.pk).status == RegistryStatus.IN_REGISTRY


def test_a_refused_restore_shows_the_reason_not_an_error_page(world: World, director: Client) -> None:
    Enrolment.objects.create(
        student=world.entry.student, school_class=world.class_5b, begins_on=dt.date.today()
    )
    response = director.post(
        url(RegistryEntry), {"action": "restore", "_selected_action": [world.entry.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "уже учится в 5Б классе" in page_text(response)
    assert RegistryEntry.objects.get(pk=world.entry.pk).status == RegistryStatus.IN_REGISTRY


def test_registry_entries_are_not_added_or_edited_by_hand(world: World, director: Client) -> None:
    assert director.get(url(RegistryEntry, "add")).status_code == 403
    assert (
        director.post(url(RegistryEntry, "change", world.entry.pk), {"status": "restored"}).status_code == 403
    )
    assert RegistryEntry.objects.get(pk=world.entry.pk).status == RegistryStatus.IN_REGISTRY


# --- enrolments -----------------------------------------------------------------------------------


def test_expel_action_sends_the_student_to_the_registry(world: World, director: Client) -> None:
    enrolment = Enrolment.objects.get(student=world.pupil)
    response = director.post(
        url(Enrolment), {"action": "expel", "_selected_action": [enrolment.pk]}, follow=True
    )
    assert "Отчислено учеников: 1." in page_text(response)
    entry = RegistryEntry.objects.get(student=world.pupil)
    assert (entry.reason, entry.status) == (RegistryReason.EXPELLED, RegistryStatus.IN_REGISTRY)
    assert open_classes(world.pupil) == []


def test_graduate_action_graduates(world: World, director: Client) -> None:
    enrolment = Enrolment.objects.get(student=world.pupil)
    director.post(url(Enrolment), {"action": "graduate", "_selected_action": [enrolment.pk]})
    assert RegistryEntry.objects.get(student=world.pupil).reason == RegistryReason.GRADUATED


def test_transfer_action_asks_for_the_class_then_moves_the_student(world: World, director: Client) -> None:
    enrolment = Enrolment.objects.get(student=world.pupil)
    form = director.post(url(Enrolment), {"action": "transfer", "_selected_action": [enrolment.pk]})
    assert form.status_code == 200
    assert "Перевод в другой класс" in page_text(form)
    assert f'<option value="{world.class_5b.pk}">5Б</option>' in page_text(form)
    assert open_classes(world.pupil) == ["5А"]  # nothing moves before the class is chosen

    done = director.post(
        url(Enrolment),
        {"action": "transfer", "_selected_action": [enrolment.pk], "to_class": world.class_5b.pk},
        follow=True,
    )
    assert "Переведено в 5Б класс учеников: 1." in page_text(done)
    assert open_classes(world.pupil) == ["5Б"]
    assert OutboxEvent.objects.filter(kind="enrolment.transferred", school_id=world.school.pk).count() == 1


def test_adding_an_enrolment_goes_through_the_action(world: World, director: Client) -> None:
    newcomer = factories.person("Сидорова", "Мария", "Олеговна")
    response = director.post(
        url(Enrolment, "add"),
        {"student": newcomer.pk, "school_class": world.class_5b.pk, "begins_on": "2026-10-01"},
    )
    assert response.status_code == 302
    assert open_classes(newcomer) == ["5Б"]
    event = OutboxEvent.objects.get(kind="enrolment.created")
    assert event.school_id == world.school.pk


def test_a_refused_enrolment_shows_a_message_and_saves_nothing(world: World, director: Client) -> None:
    response = director.post(
        url(Enrolment, "add"),
        {"student": world.pupil.pk, "school_class": world.class_5b.pk, "begins_on": "2026-10-01"},
        follow=True,
    )
    assert response.status_code == 200
    assert "уже учится в 5А классе" in page_text(response)
    assert open_classes(world.pupil) == ["5А"]
    assert not OutboxEvent.objects.filter(kind="enrolment.created").exists()


def test_an_enrolment_cannot_be_ended_or_deleted_by_hand(world: World, director: Client) -> None:
    enrolment = Enrolment.objects.get(student=world.pupil)
    page = director.get(url(Enrolment, "change", enrolment.pk))
    assert page.status_code == 200
    assert 'name="ends_on"' not in page_text(page)
    assert director.post(url(Enrolment, "change", enrolment.pk), {"ends_on": "2026-12-01"}).status_code == 403
    assert director.post(url(Enrolment, "delete", enrolment.pk), {"post": "yes"}).status_code == 403
    assert Enrolment.objects.get(pk=enrolment.pk).ends_on is None


# --- classes and staff ----------------------------------------------------------------------------


def test_changing_the_class_teacher_goes_through_the_action(world: World, director: Client) -> None:
    other = factories.teacher(world.school, "Волкова", "Елена")
    response = director.post(url(SchoolClass, "change", world.class_5a.pk), {"class_teacher": other.pk})
    assert response.status_code == 302
    assert SchoolClass.objects.get(pk=world.class_5a.pk).class_teacher == other
    event = OutboxEvent.objects.get(kind="class.teacher_changed")
    assert event.payload["previous"] == world.teacher.pk


def test_a_class_teacher_from_outside_the_school_is_refused_with_a_message(
    world: World, director: Client
) -> None:
    response = director.post(
        url(SchoolClass, "change", world.class_5a.pk), {"class_teacher": world.parent.pk}, follow=True
    )
    assert response.status_code == 200
    assert "не работает в этой школе" in page_text(response)
    assert SchoolClass.objects.get(pk=world.class_5a.pk).class_teacher == world.teacher


def test_a_new_class_gets_its_cohort_and_class_teacher(world: World, director: Client) -> None:
    year = AcademicYear.objects.get(is_current=True)
    response = director.post(
        url(SchoolClass, "add"),
        {
            "school": world.school.pk,
            "year": year.pk,
            "grade": 1,
            "letter": "В",
            "class_teacher": world.teacher.pk,
        },
    )
    assert response.status_code == 302
    new = SchoolClass.objects.get(school=world.school, grade=1, letter="В")
    assert new.cohort == Cohort.objects.get(school=world.school, letter="В", entry_year=2026)
    assert new.class_teacher == world.teacher
    assert OutboxEvent.objects.filter(kind="class.created", payload__school_class=new.pk).exists()
    assert OutboxEvent.objects.filter(kind="class.teacher_changed", payload__school_class=new.pk).exists()


def test_a_class_beyond_the_final_grade_is_refused_with_a_message(world: World, director: Client) -> None:
    world.school.final_grade = 9
    world.school.save()
    year = AcademicYear.objects.get(is_current=True)
    response = director.post(
        url(SchoolClass, "add"),
        {"school": world.school.pk, "year": year.pk, "grade": 10, "letter": "А", "class_teacher": ""},
        follow=True,
    )
    assert "классы с 1 по 9" in response.content.decode()
    assert not SchoolClass.objects.filter(school=world.school, grade=10).exists()


def test_removing_a_subject_teacher_goes_through_the_action(world: World, director: Client) -> None:
    assignment = TeachingAssignment.objects.create(
        school_class=world.class_5a, subject=factories.subject("Химия"), teacher=world.teacher
    )
    response = director.post(url(TeachingAssignment, "delete", assignment.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not TeachingAssignment.objects.filter(pk=assignment.pk).exists()
    assert OutboxEvent.objects.filter(
        kind="teaching.removed", payload__subject=assignment.subject_id
    ).exists()


def test_dismissing_a_teacher_ends_the_work_and_the_homeroom(world: World, director: Client) -> None:
    assignment = StaffAssignment.objects.get(person=world.teacher)
    response = director.post(
        url(StaffAssignment), {"action": "dismiss", "_selected_action": [assignment.pk]}, follow=True
    )
    assert "Завершена работа в школе: 1." in page_text(response)
    assert StaffAssignment.objects.get(pk=assignment.pk).ends_on is not None
    assert SchoolClass.objects.get(pk=world.class_5a.pk).class_teacher is None


def test_hiring_goes_through_the_action(world: World, director: Client) -> None:
    newcomer = factories.person("Белова", "Ирина", "Андреевна")
    response = director.post(
        url(StaffAssignment, "add"),
        {"person": newcomer.pk, "school": world.school.pk, "role": "teacher", "begins_on": "2026-09-01"},
    )
    assert response.status_code == 302
    assert StaffAssignment.objects.filter(person=newcomer, school=world.school, ends_on__isnull=True).exists()
    assert OutboxEvent.objects.filter(kind="staff.hired", school_id=world.school.pk).count() == 1


# --- guardianship ---------------------------------------------------------------------------------


def test_guardianship_is_added_and_deleted_through_the_actions(world: World, director: Client) -> None:
    grandmother = factories.person("Петрова", "Нина", "Фёдоровна")
    response = director.post(
        url(Guardianship, "add"), {"guardian": grandmother.pk, "student": world.pupil.pk, "kind": "guardian"}
    )
    assert response.status_code == 302
    link = Guardianship.objects.get(guardian=grandmother)
    assert OutboxEvent.objects.filter(kind="guardianship.added", school_id=world.school.pk).count() == 1

    response = director.post(url(Guardianship, "delete", link.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Guardianship.objects.filter(guardian=grandmother).exists()
    assert OutboxEvent.objects.filter(kind="guardianship.removed", school_id=world.school.pk).count() == 1


def test_a_parent_of_themselves_is_refused_with_a_message(world: World, director: Client) -> None:
    response = director.post(
        url(Guardianship, "add"),
        {"guardian": world.pupil.pk, "student": world.pupil.pk, "kind": "parent"},
        follow=True,
    )
    assert response.status_code == 200
    assert "не может быть родителем самому себе" in page_text(response)
    assert not Guardianship.objects.filter(guardian=world.pupil).exists()


def test_the_person_page_shows_both_roles_of_a_teacher_who_is_a_parent(
    world: World, director: Client
) -> None:
    Guardianship.objects.create(guardian=world.teacher, student=world.pupil)
    page = page_text(director.get(url(Person, "change", world.teacher.pk)))
    assert "Работа в школах" in page
    assert "Школа № 7" in page
    assert "Петров Пётр Сергеевич" in page  # the child, among the wards


# --- the outbox -----------------------------------------------------------------------------------


def test_the_outbox_is_read_only(world: World, director: Client) -> None:
    event = OutboxEvent.objects.order_by("pk").first()
    assert event is not None
    assert director.get(url(OutboxEvent, "add")).status_code == 403
    assert director.post(url(OutboxEvent, "change", event.pk), {"kind": "x"}).status_code == 403
    assert director.post(url(OutboxEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert OutboxEvent.objects.get(pk=event.pk).kind == "registry.added"


# --- «Перевод на новый учебный год» ---------------------------------------------------------------


def test_the_years_list_links_to_the_rollover_page(world: World, director: Client) -> None:
    assert ROLLOVER_URL in page_text(director.get(url(AcademicYear)))


def test_the_rollover_page_shows_the_plan_and_the_button(world: World, director: Client) -> None:
    before = SchoolClass.objects.count()
    response = director.get(ROLLOVER_URL)
    text = page_text(response)
    assert response.status_code == 200
    assert "Перевод на новый учебный год" in text
    assert "Перевод на новый учебный год: 2026/2027 → 2027/2028" in text
    assert "5А → 6А: учеников 1" in text
    assert 'value="Перевести на 2027/2028"' in text
    assert SchoolClass.objects.count() == before  # looking changes nothing
    assert AcademicYear.objects.get(is_current=True).start_year == 2026


def test_the_rollover_button_opens_the_new_year(world: World, director: Client) -> None:
    response = director.post(ROLLOVER_URL, {"to": "2027"}, follow=True)
    assert response.status_code == 200
    assert "Учебный год 2027/2028 открыт." in page_text(response)
    assert AcademicYear.objects.get(is_current=True).start_year == 2027
    assert open_classes(world.pupil) == ["6А"]

    again = director.post(ROLLOVER_URL, {"to": "2027"}, follow=True)
    assert "Учебный год 2027/2028 уже открыт: изменений нет." in page_text(again)
    assert SchoolClass.objects.filter(year__start_year=2027).count() == 2


def test_the_rollover_button_needs_the_csrf_token(world: World) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(Account.objects.create_superuser("director", "parta-demo"))
    page = page_text(strict.get(ROLLOVER_URL))
    assert 'name="csrfmiddlewaretoken"' in page

    assert strict.post(ROLLOVER_URL, {"to": "2027"}).status_code == 403
    assert AcademicYear.objects.get(is_current=True).start_year == 2026

    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert strict.post(ROLLOVER_URL, {"to": "2027", "csrfmiddlewaretoken": token}).status_code == 302
    assert AcademicYear.objects.get(is_current=True).start_year == 2027


def test_a_refused_rollover_shows_a_message(world: World, director: Client) -> None:
    response = director.post(ROLLOVER_URL, {"to": "2029"}, follow=True)
    assert response.status_code == 200
    assert "Перевести можно только на следующий год" in page_text(response)
    assert AcademicYear.objects.get(is_current=True).start_year == 2026


def test_the_rollover_page_without_a_current_year_says_so(director: Client) -> None:
    response = director.get(ROLLOVER_URL)
    assert response.status_code == 200
    assert "Текущий учебный год не задан" in page_text(response)
    assert 'value="Перевести на' not in page_text(response)


def test_only_staff_allowed_to_change_years_may_roll_over(world: World, client: Client) -> None:
    assert client.get(ROLLOVER_URL).status_code == 302  # to the login page

    clerk = Account.objects.create_user("clerk", "parta-demo", is_staff=True)
    client.force_login(clerk)
    assert client.get(ROLLOVER_URL).status_code == 403
    assert client.post(ROLLOVER_URL, {"to": "2027"}).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="view_academicyear"))
    clerk = Account.objects.get(pk=clerk.pk)
    client.force_login(clerk)
    page = client.get(ROLLOVER_URL)
    assert page.status_code == 200
    assert 'value="Перевести на' not in page_text(page)
    assert "может сотрудник с правом изменять учебные годы" in page_text(page)
    assert client.post(ROLLOVER_URL, {"to": "2027"}).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="change_academicyear"))
    client.force_login(Account.objects.get(pk=clerk.pk))
    assert client.post(ROLLOVER_URL, {"to": "2027"}).status_code == 302
    assert AcademicYear.objects.get(is_current=True).start_year == 2027


def test_a_second_current_year_is_refused_by_the_form(world: World, director: Client) -> None:
    response = director.post(
        url(AcademicYear, "add"),
        {"start_year": 2027, "starts_on": "2027-09-01", "ends_on": "2028-05-31", "is_current": "on"},
    )
    assert response.status_code == 200
    assert "Текущий учебный год уже задан (2026/2027)" in page_text(response)
    assert AcademicYear.objects.filter(is_current=True).count() == 1


def test_the_outbox_list_shows_what_happened(world: World, director: Client) -> None:
    with transaction.atomic():
        outbox_emit(kind="year.opened", school_id=None, from_year=1, to_year=2)
    text = page_text(director.get(url(OutboxEvent)))
    assert "открыт учебный год" in text
    assert "выпуск или отчисление" in text
