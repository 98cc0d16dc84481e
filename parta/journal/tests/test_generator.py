"""The generator: the demo logins and their roles, realism, determinism, and the seed command."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from parta.core.phones import phone_normalize
from parta.journal.generator import PRESETS, GenerationError, generate, names, plan_region
from parta.journal.generator.plan import Ids, phone_for, sourced_id
from parta.journal.models import (
    AcademicYear,
    Account,
    Enrolment,
    Guardianship,
    Lesson,
    Person,
    School,
    SchoolClass,
    StaffAssignment,
    TeachingAssignment,
)

pytestmark = pytest.mark.django_db
PASSWORD = "parta-demo"
MOBILE = re.compile(r"\+79\d{9}")


@pytest.fixture(scope="class")
def demo_class(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """One demo load for the tests of a class that only read it, rolled back after the class."""
    with django_db_blocker.unblock(), transaction.atomic():
        generate(preset="demo")
        yield
        transaction.set_rollback(True)


def _person(username: str) -> Person:
    account = Account.objects.select_related("person").get(username=username)
    assert account.person is not None
    return account.person


def _class(title: str) -> SchoolClass:
    first = School.objects.order_by("pk").first()
    return SchoolClass.objects.get(school=first, grade=int(title[:-1]), letter=title[-1])


@pytest.mark.usefixtures("demo_class")
class TestDemo:
    """The demo region: its four logins, their roles, the school, its lessons and phones."""

    def test_the_four_demo_logins_sign_in_with_the_demo_password(self) -> None:
        for username in ("teacher", "parent", "student", "admin"):
            account = authenticate(username=username, password=PASSWORD)
            assert isinstance(account, Account), username
        admin = Account.objects.get(username="admin")
        assert admin.is_staff
        assert admin.is_superuser
        assert not Account.objects.get(username="teacher").is_staff
        # every other account is u<person id> with the same password (one hash, computed once)
        other = Account.objects.exclude(username__in=["teacher", "parent", "student", "admin"]).first()
        assert other is not None
        assert other.username == f"u{other.person_id}"
        assert isinstance(authenticate(username=other.username, password=PASSWORD), Account)

    def test_demo_school_and_year(self) -> None:
        first = School.objects.order_by("pk").first()
        assert first is not None
        assert first.name == "ГБОУ Школа № 1"
        assert first.short_name == "Школа № 1"
        assert 2 <= School.objects.count() <= 3
        year = AcademicYear.objects.get(is_current=True)
        assert (year.start_year, year.starts_on, year.ends_on) == (
            2026,
            dt.date(2026, 9, 1),
            dt.date(2027, 5, 31),
        )

    def test_the_demo_teacher_leads_5a_teaches_its_mathematics_and_is_a_parent_in_2b(self) -> None:
        teacher = _person("teacher")
        assert teacher.full_name == "Смирнова Анна Петровна"
        assert teacher.gender == "female"
        first = School.objects.order_by("pk").first()
        assert StaffAssignment.objects.filter(
            person=teacher, school=first, role="teacher", ends_on=None
        ).exists()
        five_a, two_b = _class("5А"), _class("2Б")
        assert five_a.class_teacher == teacher
        assert TeachingAssignment.objects.filter(
            school_class=five_a, subject__name="Математика", teacher=teacher
        )
        assert Lesson.objects.filter(
            school_class=five_a, subject__name="Математика", teacher=teacher
        ).exists()
        child = Person.objects.get(guardians__guardian=teacher)
        assert Enrolment.objects.filter(student=child, school_class=two_b, ends_on=None).exists()
        assert child.last_name == "Смирнова"

    def test_the_demo_parent_is_the_guardian_of_the_demo_student_in_5a(self) -> None:
        parent, student, admin = _person("parent"), _person("student"), _person("admin")
        assert Guardianship.objects.filter(guardian=parent, student=student).exists()
        assert Enrolment.objects.filter(student=student, school_class=_class("5А"), ends_on=None).exists()
        assert parent.middle_name.endswith("вна")
        assert parent.last_name == "Кузнецова"
        assert phone_normalize(parent.phone) == parent.phone
        first = School.objects.order_by("pk").first()
        assert StaffAssignment.objects.filter(person=admin, school=first, role="administrator").exists()

    def test_5a_has_a_full_week_of_lessons_this_week_and_next_with_an_online_one(self) -> None:
        today = timezone.localdate()
        monday = today - dt.timedelta(days=today.weekday())
        five_a = _class("5А")
        for week in (monday, monday + dt.timedelta(days=7)):
            lessons = list(
                Lesson.objects.filter(school_class=five_a, date__gte=week, date__lt=week + dt.timedelta(7))
            )
            assert {lesson.date.weekday() for lesson in lessons} == {0, 1, 2, 3, 4}
            assert sum(names.CURRICULUM[5].values()) == len(lessons)
            assert any(lesson.online for lesson in lessons)
            for lesson in lessons:
                assert 1 <= lesson.number <= 7
                assert lesson.starts_at < lesson.ends_at
                assert lesson.teacher_id is not None
                assert lesson.topic
            numbers_by_day = defaultdict(list)
            for lesson in lessons:
                numbers_by_day[lesson.date].append(lesson.number)
            for numbers in numbers_by_day.values():  # no gaps: lessons 1..n
                assert sorted(numbers) == list(range(1, len(numbers) + 1))
        # about 5 % of the lessons are online; no teacher of the demo school is in two classes at once
        lessons = Lesson.objects.filter(school_class__school=five_a.school)
        share = lessons.filter(online=True).count() / lessons.count()
        assert 0.02 < share < 0.09
        slots = Counter(lessons.values_list("teacher_id", "date", "number"))
        assert max(slots.values()) == 1
        first_lessons = (
            Lesson.objects.filter(number=1).order_by().values_list("starts_at", "ends_at").distinct()
        )
        assert list(first_lessons) == [(dt.time(8, 30), dt.time(9, 15))]

    def test_phones_are_unique_russian_mobile_numbers(self) -> None:
        phones = list(Person.objects.exclude(phone="").values_list("phone", flat=True))
        assert len(phones) == len(set(phones)) > 2000
        for phone in phones:
            assert MOBILE.fullmatch(phone), phone
            assert phone_normalize(phone) == phone
        # the map from person id to phone is a permutation: no two ids share a number
        assert len({phone_for(person_id) for person_id in range(1, 200_001)}) == 200_000


def _fingerprint(plans: list) -> list:
    result = []
    for plan in plans:
        result.append((plan.name, [(c.title, c.size, c.class_teacher.id) for c in plan.classes]))
        result.append([(p.id, p.full_name, p.gender, p.birth, p.phone, p.email) for p in plan.people])
        result.append((plan.guardianships, plan.staff, plan.lessons))
    return result


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    today = dt.date(2026, 11, 23)

    def make(seed: int) -> list:
        return _fingerprint(
            list(plan_region(preset=PRESETS["city"], students=3000, seed=seed, today=today, ids=Ids()))
        )

    first = make(42)
    assert first == make(42)
    assert first != make(43)
    assert sourced_id(1, "person", 7) == sourced_id(1, "person", 7) != sourced_id(2, "person", 7)


def test_the_same_seed_writes_the_same_rows() -> None:
    # Compared by natural keys, not primary keys: PostgreSQL's sequences do not roll back.
    def rows() -> list:
        return [
            list(
                Person.objects.order_by("sourced_id").values_list(
                    "sourced_id", "last_name", "first_name", "phone"
                )
            ),
            list(
                SchoolClass.objects.order_by("sourced_id").values_list(
                    "sourced_id", "grade", "letter", "class_teacher__sourced_id"
                )
            ),
            sorted(Guardianship.objects.values_list("guardian__sourced_id", "student__sourced_id")),
            sorted(
                Lesson.objects.values_list(
                    "school_class__sourced_id",
                    "date",
                    "number",
                    "subject__name",
                    "teacher__sourced_id",
                    "online",
                )
            ),
        ]

    with transaction.atomic():
        generate(preset="region", students=500, seed=5)
        first = rows()
        transaction.set_rollback(True)
    with transaction.atomic():
        generate(preset="region", students=500, seed=5)
        assert rows() == first
        transaction.set_rollback(True)


def test_a_run_of_2000_students_is_a_plausible_region() -> None:
    report = generate(preset="region", students=2000, seed=11, today=dt.date(2026, 11, 23))
    assert report.students == Enrolment.objects.count() == 2000
    assert report.total_rows == sum(report.rows.values()) > 10_000
    students = Person.objects.filter(enrolments__isnull=False)
    # every student has one or two parents; siblings share a surname and their parents
    guardians = Counter(Guardianship.objects.values_list("student_id", flat=True))
    assert all(1 <= guardians[pk] <= 2 for pk in students.values_list("pk", flat=True))
    wards: defaultdict[int, list[int]] = defaultdict(list)
    for guardian_id, student_id in Guardianship.objects.values_list("guardian_id", "student_id"):
        wards[guardian_id].append(student_id)
    families = [children for children in wards.values() if len(children) == 2]
    assert len(families) > 50
    for children in families[:50]:
        first, second = Person.objects.filter(pk__in=children)
        stem = re.compile(r"(а|ая|ий|ой|ый)$")
        assert stem.sub("", first.last_name)[:4] == stem.sub("", second.last_name)[:4]
        assert set(first.guardians.values_list("guardian_id", flat=True)) == set(
            second.guardians.values_list("guardian_id", flat=True)
        )
    # names agree with gender; patronymics are a father's name
    for person in Person.objects.all()[:1500]:
        if person.gender == "female":
            assert person.middle_name.endswith(("вна", "чна")), person.full_name
        else:
            assert person.middle_name.endswith(("вич", "ич")), person.full_name
            assert not person.last_name.endswith(("ова", "ева", "ина", "ская")), person.full_name
    # ages fit the grade: 6–8 years old on 1 September of the first grade
    for enrolment in Enrolment.objects.select_related("student", "school_class")[:500]:
        grade = enrolment.school_class.grade
        birth = enrolment.student.birth_date
        assert birth is not None
        entered = dt.date(2026 - grade + 1, 9, 1)
        assert 6 <= (entered - birth).days / 365.25 <= 8.1
    # classes: grades 1–11 with 2–4 letters, a class teacher, and a teacher for every subject
    for school in School.objects.all():
        per_grade = Counter(SchoolClass.objects.filter(school=school).values_list("grade", flat=True))
        assert set(per_grade) == set(range(1, 12))
        assert all(2 <= n <= 4 for n in per_grade.values())
    for school_class in SchoolClass.objects.all():
        assert school_class.class_teacher_id is not None
        taught = set(
            TeachingAssignment.objects.filter(school_class=school_class).values_list(
                "subject__name", flat=True
            )
        )
        assert taught == set(names.CURRICULUM[school_class.grade])
    # some teachers are parents of pupils of their own school
    teachers = StaffAssignment.objects.filter(role="teacher").values("person_id")
    assert Guardianship.objects.filter(guardian_id__in=teachers).exists()


def test_seed_if_empty_does_nothing_when_the_journal_has_schools() -> None:
    out = io.StringIO()
    call_command("seed", "--preset", "demo", "--if-empty", "--no-progress", stdout=out)
    assert "teacher" in out.getvalue()
    people = Person.objects.count()
    out = io.StringIO()
    call_command("seed", "--preset", "demo", "--if-empty", "--no-progress", stdout=out)
    assert "уже есть школы" in out.getvalue()
    assert Person.objects.count() == people


def test_a_second_demo_is_refused_and_bad_sizes_too() -> None:
    generate(preset="demo")
    with pytest.raises(GenerationError):
        generate(preset="demo")
    with pytest.raises(GenerationError):
        generate(preset="region", students=0)
    with pytest.raises(GenerationError):
        generate(preset="galaxy")


def test_a_second_region_goes_beside_the_first() -> None:
    generate(preset="school", students=300, seed=1)
    generate(preset="school", students=300, seed=1)
    assert School.objects.count() == 2
    assert Enrolment.objects.count() == 600
    phones = list(Person.objects.exclude(phone="").values_list("phone", flat=True))
    assert len(phones) == len(set(phones))
    Person.objects.create(last_name="Новый", first_name="Человек")  # the sequences were moved on
