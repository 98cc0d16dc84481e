"""OneRoster 1.2 CSV import and export: round trips, idempotence, and errors that import nothing."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parta.journal.actions.enrolments import registry_restore, student_leave
from parta.journal.actions.staff import staff_leave
from parta.journal.models import (
    AcademicYear,
    Account,
    Cohort,
    Enrolment,
    GuardianKind,
    Guardianship,
    Lesson,
    OutboxEvent,
    Person,
    Region,
    RegistryEntry,
    RegistryReason,
    School,
    SchoolClass,
    StaffAssignment,
    StaffRole,
    Subject,
    TeachingAssignment,
)
from parta.journal.oneroster import (
    ImportReport,
    OneRosterImportError,
    export_progress_total,
    import_progress_total,
    oneroster_export,
    oneroster_import,
)
from parta.journal.oneroster.errors import MAX_PROBLEMS
from parta.journal.oneroster.importer import parse_class_name
from parta.journal.oneroster.spec import ACADEMIC_SESSIONS, CLASSES, COURSES, ENROLLMENTS, ORGS, ROLES, USERS
from parta.journal.tests import factories

Rows = list[dict[str, str]]


# --- the journal to export --------------------------------------------------------------------------


@pytest.fixture
def journal(db: None, settings: Any) -> dict[str, Any]:
    """A school with classes, pupils, parents (one with two children), a teacher who is also a parent, the
    class teacher, a subject teacher, a graduate, an expelled and restored pupil; and a second school."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast demo passwords
    school = factories.school("Средняя школа № 1")
    school.short_name = "Школа № 1"
    school.identifier = "0101"
    school.save()
    factories.year(2026)
    class_teacher = factories.teacher(school, "Смирнова", "Анна")
    subject_teacher = factories.teacher(school, "Кузнецов", "Олег")
    factories.teacher(school, "Орлова", "Ирина", role=StaffRole.ADMINISTRATOR)
    former = factories.teacher(school, "Зайцев", "Павел")
    staff_leave(assignment=former.staff_assignments.get(), on=dt.date(2026, 6, 30))

    five_a = factories.school_class(school, grade=5, letter="А", teacher=class_teacher)
    two_b = factories.school_class(school, grade=2, letter="Б")
    eleven_a = factories.school_class(school, grade=11, letter="А")

    pupil = factories.student(five_a, "Петров", "Пётр", phone="+79521111111", email="petr@example.org")
    sister = factories.student(two_b, "Петрова", "Мария", gender="female")
    mother = factories.parent_of(pupil, "Петрова", "Елена")
    Guardianship.objects.create(guardian=mother, student=sister)
    teachers_son = factories.student(two_b, "Смирнов", "Илья")
    Guardianship.objects.create(guardian=class_teacher, student=teachers_son, kind=GuardianKind.LEGAL)

    graduate = factories.student(eleven_a, "Соколов", "Дмитрий")
    student_leave(
        student=graduate, school_class=eleven_a, reason=RegistryReason.GRADUATED, on=dt.date(2026, 10, 5)
    )
    returned = factories.student(five_a, "Волков", "Артём")
    entry = student_leave(
        student=returned, school_class=five_a, reason=RegistryReason.EXPELLED, on=dt.date(2026, 10, 1)
    )
    registry_restore(entry=entry, on=dt.date(2026, 11, 2))

    math = factories.subject("Математика")
    math.code = "MATH"
    math.save()
    TeachingAssignment.objects.create(school_class=five_a, subject=math, teacher=subject_teacher)
    TeachingAssignment.objects.create(
        school_class=two_b, subject=factories.subject("Русский язык"), teacher=class_teacher
    )
    factories.subject("Музыка")  # taught nowhere yet

    factories.account(class_teacher, username="teacher")
    factories.account(mother, username="parent")
    factories.account(pupil, username="student")
    blocked = factories.account(sister, username="maria")
    blocked.is_active = False
    blocked.save()

    other = factories.school("Гимназия № 2")
    factories.student(factories.school_class(other, grade=7, letter="В"), "Морозов", "Иван")
    no_details = Person.objects.create(last_name="Белов", first_name="Глеб")
    factories.parent_of(no_details, "Белова", "Вера")
    Enrolment.objects.create(student=no_details, school_class=two_b, begins_on=dt.date(2026, 9, 1))
    return {"school": school, "other": other, "pupil": pupil, "five_a": five_a}


def snapshot() -> dict[str, set[tuple[Any, ...]]]:
    """The journal as sets of natural tuples (sourcedIds instead of primary keys)."""
    return {
        "regions": set(Region.objects.values_list("sourced_id", "name")),
        "schools": set(
            School.objects.values_list(
                "sourced_id", "region__sourced_id", "name", "short_name", "identifier", "final_grade"
            )
        ),
        "years": set(
            AcademicYear.objects.values_list("sourced_id", "start_year", "starts_on", "ends_on", "is_current")
        ),
        "subjects": set(Subject.objects.values_list("sourced_id", "name", "code")),
        "people": set(
            Person.objects.values_list(
                "sourced_id",
                "last_name",
                "first_name",
                "middle_name",
                "birth_date",
                "gender",
                "phone",
                "email",
            )
        ),
        "accounts": set(Account.objects.values_list("username", "person__sourced_id", "is_active")),
        "cohorts": set(
            Cohort.objects.values_list("sourced_id", "school__sourced_id", "letter", "entry_year")
        ),
        "classes": set(
            SchoolClass.objects.values_list(
                "sourced_id",
                "school__sourced_id",
                "year__start_year",
                "grade",
                "letter",
                "cohort__sourced_id",
                "class_teacher__sourced_id",
            )
        ),
        "teaching": set(
            TeachingAssignment.objects.values_list(
                "sourced_id", "school_class__sourced_id", "subject__name", "teacher__sourced_id"
            )
        ),
        "enrolments": set(
            Enrolment.objects.values_list(
                "sourced_id",
                "student__sourced_id",
                "school_class__sourced_id",
                "begins_on",
                "ends_on",
                "end_reason",
            )
        ),
        "registry": set(
            RegistryEntry.objects.values_list(
                "student__sourced_id",
                "school_class__sourced_id",
                "school__sourced_id",
                "reason",
                "status",
                "left_on",
                "restore_enrolment__sourced_id",
            )
        ),
        "guardianships": set(
            Guardianship.objects.values_list("guardian__sourced_id", "student__sourced_id", "kind")
        ),
        "staff": set(
            StaffAssignment.objects.values_list(
                "person__sourced_id", "school__sourced_id", "role", "begins_on", "ends_on"
            )
        ),
    }


def wipe() -> None:
    """Delete every journal row, children first."""
    for model in (
        OutboxEvent,
        RegistryEntry,
        Lesson,
        TeachingAssignment,
        Enrolment,
        Guardianship,
        StaffAssignment,
        Account,
        SchoolClass,
        Cohort,
        Person,
        Subject,
        School,
        AcademicYear,
        Region,
    ):
        model._default_manager.all().delete()


def assert_empty() -> None:
    for model in (
        Region,
        School,
        AcademicYear,
        Subject,
        Person,
        Account,
        SchoolClass,
        Enrolment,
        OutboxEvent,
    ):
        assert model._default_manager.count() == 0, model.__name__


@pytest.fixture
def exported(journal: dict[str, Any], tmp_path: Path) -> Path:
    """The journal exported to a folder, and the journal then emptied."""
    target = tmp_path / "roster"
    oneroster_export(target=target)
    wipe()
    return target


# --- CSV helpers ----------------------------------------------------------------------------------


def read(folder: Path, name: str) -> tuple[list[str], Rows]:
    with (folder / name).open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or []), list(reader)


def write(folder: Path, name: str, columns: list[str], rows: Rows, *, encoding: str = "utf-8") -> None:
    with (folder / name).open("w", encoding=encoding, newline="") as file:
        writer = csv.DictWriter(file, columns)
        writer.writeheader()
        writer.writerows(rows)


def edit(folder: Path, name: str, change: Callable[[Rows], None]) -> None:
    columns, rows = read(folder, name)
    change(rows)
    write(folder, name, columns, rows)


def import_errors(source: Path) -> list[str]:
    with pytest.raises(OneRosterImportError) as raised:
        oneroster_import(source=source)
    return raised.value.lines()


def line_of(folder: Path, name: str, predicate: Callable[[dict[str, str]], bool]) -> int:
    """The file line (the header is line 1) of the first row that matches."""
    _, rows = read(folder, name)
    return next(index for index, row in enumerate(rows, start=2) if predicate(row))


# --- round trips ------------------------------------------------------------------------------------


def test_export_then_import_into_an_empty_journal_gives_the_same_journal(
    journal: dict[str, Any], tmp_path: Path
) -> None:
    before = snapshot()
    assert before["registry"]
    assert before["guardianships"]
    assert before["teaching"]
    oneroster_export(target=tmp_path / "roster")
    wipe()
    assert_empty()

    report = oneroster_import(source=tmp_path / "roster")

    assert snapshot() == before
    assert report.created["people"] == len(before["people"])
    assert not report.warnings


def test_a_zip_round_trips_too(journal: dict[str, Any], tmp_path: Path) -> None:
    before = snapshot()
    archive = tmp_path / "out" / "roster.zip"
    oneroster_export(target=archive)
    assert archive.is_file()
    assert not (tmp_path / "out" / "roster.zip.partial").exists()
    wipe()

    oneroster_import(source=archive)

    assert snapshot() == before


def test_the_export_writes_the_columns_of_the_binding(exported: Path) -> None:
    users, _ = read(exported, "users.csv")
    assert users[:15] == [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
    ]
    enrollments, _ = read(exported, "enrollments.csv")
    assert enrollments[:10] == [
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ]
    _, manifest = read(exported, "manifest.csv")
    properties = {row["propertyName"]: row["value"] for row in manifest}
    assert properties["oneroster.version"] == "1.2"
    assert properties["file.users"] == "bulk"
    assert properties["file.results"] == "absent"


def test_the_export_maps_the_journal_to_oneroster(journal: dict[str, Any], tmp_path: Path) -> None:
    oneroster_export(target=tmp_path)
    _, orgs = read(tmp_path, "orgs.csv")
    school = next(row for row in orgs if row["sourcedId"] == journal["school"].sourced_id)
    district = next(row for row in orgs if row["type"] == "district")
    assert (school["type"], school["parentSourcedId"]) == ("school", district["sourcedId"])
    _, classes = read(tmp_path, "classes.csv")
    five_a = next(row for row in classes if row["sourcedId"] == journal["five_a"].sourced_id)
    assert (five_a["title"], five_a["grades"], five_a["classType"]) == ("5А", "05", "homeroom")
    maths = next(
        row for row in classes if row["classType"] == "scheduled" and row["subjects"] == "Математика"
    )
    assert (maths["title"], maths["classCode"]) == ("Математика 5А", "5А")
    _, courses = read(tmp_path, "courses.csv")
    assert {row["courseCode"] for row in courses if row["title"] == "Математика"} == {"MATH"}
    _, users = read(tmp_path, "users.csv")
    pupil = next(row for row in users if row["sourcedId"] == journal["pupil"].sourced_id)
    assert (pupil["username"], pupil["password"], pupil["grades"]) == ("student", "", "05")
    mother = next(row for row in users if row["username"] == "parent")
    assert len(mother["agentSourcedIds"].split(",")) == 2
    _, roles = read(tmp_path, "roles.csv")
    teacher = next(row for row in users if row["username"] == "teacher")["sourcedId"]
    assert {(row["role"], row["roleType"]) for row in roles if row["userSourcedId"] == teacher} == {
        ("teacher", "primary"),
        ("guardian", "secondary"),
    }
    _, enrollments = read(tmp_path, "enrollments.csv")
    assert {
        (row["classSourcedId"], row["primary"])
        for row in enrollments
        if row["userSourcedId"] == teacher and row["role"] == "teacher"
    } >= {(journal["five_a"].sourced_id, "true")}
    graduated = [row for row in enrollments if row["metadata.parta.endReason"] == "graduated"]
    assert [row["endDate"] for row in graduated] == ["2026-10-05"]
    _, demographics = read(tmp_path, "demographics.csv")
    assert {row["sex"] for row in demographics} == {"male", "female"}


def test_a_second_import_of_the_same_files_changes_nothing(exported: Path) -> None:
    oneroster_import(source=exported)
    before = snapshot()
    events = OutboxEvent.objects.count()

    report = oneroster_import(source=exported)

    assert report.changed == 0
    assert report.schools == []
    assert snapshot() == before
    assert OutboxEvent.objects.count() == events


def test_an_import_over_the_journal_it_came_from_changes_nothing(
    journal: dict[str, Any], tmp_path: Path
) -> None:
    before = snapshot()
    oneroster_export(target=tmp_path)
    report = oneroster_import(source=tmp_path)
    assert report.changed == 0
    assert snapshot() == before


def test_the_import_records_one_outbox_event_per_school(exported: Path) -> None:
    report = oneroster_import(source=exported)

    events = list(OutboxEvent.objects.filter(kind="roster.imported"))
    assert sorted(event.school_id for event in events if event.school_id) == sorted(
        School.objects.values_list("pk", flat=True)
    )
    assert report.schools == sorted(School.objects.values_list("pk", flat=True))
    assert all(event.payload == {"source": "oneroster"} for event in events)


def test_a_change_is_written_and_only_its_school_is_marked(exported: Path, journal: dict[str, Any]) -> None:
    oneroster_import(source=exported)
    pupil_sid = journal["pupil"].sourced_id
    edit(
        exported,
        "users.csv",
        lambda rows: next(r for r in rows if r["sourcedId"] == pupil_sid).update(familyName="Петренко"),
    )
    last = OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    report = oneroster_import(source=exported)

    assert report.updated == {"people": 1}
    assert Person.objects.get(sourced_id=pupil_sid).last_name == "Петренко"
    school = School.objects.get(sourced_id=journal["school"].sourced_id)
    assert list(OutboxEvent.objects.filter(pk__gt=last).values_list("school_id", flat=True)) == [school.pk]


def test_a_dry_run_writes_nothing(exported: Path) -> None:
    report = oneroster_import(source=exported, dry_run=True)
    assert report.dry_run
    assert report.created["people"] > 0
    assert_empty()


def test_progress_adds_up_to_the_announced_total(exported: Path, journal: dict[str, Any]) -> None:
    calls: list[int] = []
    oneroster_import(source=exported, progress=calls.append)
    assert sum(calls) == import_progress_total(source=exported)

    calls.clear()
    oneroster_export(target=exported.parent / "again", progress=calls.append)
    assert sum(calls) == export_progress_total()


# --- accounts -----------------------------------------------------------------------------------------


def test_imported_accounts_have_no_password_unless_the_file_gives_one(exported: Path) -> None:
    columns, rows = read(exported, "users.csv")
    next(row for row in rows if row["username"] == "parent")["password"] = "Секрет-2026"
    write(exported, "users.csv", columns, rows)

    oneroster_import(source=exported)

    assert Account.objects.get(username="parent").check_password("Секрет-2026")
    assert not Account.objects.get(username="teacher").has_usable_password()
    assert not Account.objects.get(username="maria").is_active


def test_a_username_taken_by_someone_else_is_refused(exported: Path) -> None:
    Account.objects.create_user(username="teacher", password=None)
    errors = import_errors(exported)
    line = line_of(exported, "users.csv", lambda row: row["username"] == "teacher")
    assert errors == [
        f"users.csv:{line}:username — имя пользователя «teacher» в журнале уже занято другой учётной записью"
    ]
    assert Person.objects.count() == 0


# --- errors: each one imports nothing ---------------------------------------------------------------


def test_a_missing_required_file_is_named(exported: Path) -> None:
    (exported / "users.csv").unlink()
    assert import_errors(exported) == ["users.csv — файл не найден, а в manifest.csv он указан как bulk"]
    assert_empty()


def test_a_missing_manifest_is_named(exported: Path) -> None:
    (exported / "manifest.csv").unlink()
    assert import_errors(exported) == ["manifest.csv — файл не найден: без него набор OneRoster не читается"]
    assert_empty()


def test_a_wrong_header_names_the_missing_and_the_unknown_column(exported: Path) -> None:
    columns, rows = read(exported, "users.csv")
    columns[columns.index("givenName")] = "firstName"
    for row in rows:
        row["firstName"] = row.pop("givenName")
    write(exported, "users.csv", columns, rows)

    errors = import_errors(exported)

    assert errors == [
        "users.csv:1:firstName — неизвестный столбец «firstName»: в OneRoster 1.2 в users.csv его нет",
        "users.csv:1:givenName — нет обязательного столбца «givenName»",
    ]
    assert_empty()


def test_a_one_one_users_file_is_explained(exported: Path) -> None:
    columns, rows = read(exported, "users.csv")
    write(exported, "users.csv", [*columns, "role"], [{**row, "role": "student"} for row in rows])
    (error,) = import_errors(exported)
    assert error.startswith("users.csv:1:role — неизвестный столбец «role»")
    assert "в 1.2 роли и организации задаются в roles.csv" in error


def test_semicolons_instead_of_commas_are_explained(exported: Path) -> None:
    text = (exported / "orgs.csv").read_text(encoding="utf-8")
    (exported / "orgs.csv").write_text(text.replace(",", ";"), encoding="utf-8")
    (error,) = import_errors(exported)
    assert error.startswith("orgs.csv:1 — столбцы разделены точкой с запятой, а OneRoster требует запятую")


def test_a_dangling_reference_is_refused(exported: Path) -> None:
    def break_first_student(rows: Rows) -> None:
        next(row for row in rows if row["role"] == "student")["classSourcedId"] = "no-such-class"

    edit(exported, "enrollments.csv", break_first_student)
    line = line_of(exported, "enrollments.csv", lambda row: row["classSourcedId"] == "no-such-class")

    errors = import_errors(exported)

    assert errors == [
        f"enrollments.csv:{line}:classSourcedId — нет класса с sourcedId «no-such-class» в classes.csv"
    ]
    assert_empty()


def test_an_enrollment_of_an_unknown_user_is_refused(exported: Path) -> None:
    edit(exported, "enrollments.csv", lambda rows: rows[0].update(userSourcedId="ghost"))
    assert import_errors(exported) == [
        "enrollments.csv:2:userSourcedId — нет пользователя с sourcedId «ghost» в users.csv"
    ]
    assert_empty()


def test_a_duplicate_sourced_id_is_refused(exported: Path) -> None:
    edit(exported, "users.csv", lambda rows: rows.append(dict(rows[0])))
    _, rows = read(exported, "users.csv")
    errors = import_errors(exported)
    assert errors == [
        f"users.csv:{len(rows) + 1}:sourcedId — sourcedId «{rows[0]['sourcedId']}» уже встречался в строке 2"
    ]
    assert_empty()


def test_a_bad_date_is_refused(exported: Path) -> None:
    def bad_dates(rows: Rows) -> None:
        rows[0]["birthDate"] = "31.02.2010"
        rows[1]["birthDate"] = "2010-02-31"

    edit(exported, "demographics.csv", bad_dates)

    assert import_errors(exported) == [
        "demographics.csv:2:birthDate — дата «31.02.2010» не в формате ГГГГ-ММ-ДД",
        "demographics.csv:3:birthDate — даты «2010-02-31» не существует",
    ]
    assert_empty()


def test_a_file_not_in_utf8_is_refused_with_advice(exported: Path) -> None:
    columns, rows = read(exported, "users.csv")
    write(exported, "users.csv", columns, rows, encoding="cp1251")

    (error,) = import_errors(exported)

    assert error.startswith("users.csv:2 — файл не в кодировке UTF-8")
    assert "сохраните его в UTF-8" in error
    assert_empty()


def test_utf8_with_bom_is_accepted(exported: Path) -> None:
    for name in ("users.csv", "manifest.csv", "orgs.csv"):
        columns, rows = read(exported, name)
        write(exported, name, columns, rows, encoding="utf-8-sig")
    assert (exported / "users.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    oneroster_import(source=exported)

    assert Person.objects.count() > 0


def test_records_to_be_deleted_are_refused(exported: Path) -> None:
    edit(exported, "users.csv", lambda rows: rows[0].update(status="tobedeleted"))
    (error,) = import_errors(exported)
    assert error.startswith("users.csv:2:status — запись помечена на удаление (tobedeleted)")
    assert_empty()


def test_a_delta_file_is_refused(exported: Path) -> None:
    edit(
        exported,
        "manifest.csv",
        lambda rows: next(r for r in rows if r["propertyName"] == "file.users").update(value="delta"),
    )
    (error,) = import_errors(exported)
    assert error.endswith(
        "file.users — поддерживается только полная выгрузка (bulk), а не выгрузка изменений (delta)"
    )


def test_errors_are_collected_up_to_a_cap(exported: Path) -> None:
    columns, rows = read(exported, "users.csv")
    template = rows[0]
    rows += [{**template, "sourcedId": f"u{n}", "givenName": "", "familyName": ""} for n in range(150)]
    write(exported, "users.csv", columns, rows)

    with pytest.raises(OneRosterImportError) as raised:
        oneroster_import(source=exported)

    assert len(raised.value.errors) == MAX_PROBLEMS
    assert raised.value.total > MAX_PROBLEMS
    assert "Показаны первые 200" in raised.value.summary
    assert_empty()


def test_many_kinds_of_errors_are_reported_together(exported: Path) -> None:
    edit(exported, "demographics.csv", lambda rows: rows[0].update(birthDate="01/02/2010", sex="мужской"))
    edit(exported, "classes.csv", lambda rows: rows[0].update(title="пятый"))
    errors = import_errors(exported)
    assert [error.split(" — ")[0] for error in errors] == [
        "classes.csv:2:title",
        "demographics.csv:2:birthDate",
        "demographics.csv:2:sex",
    ]


def test_an_unknown_path_is_refused(tmp_path: Path, db: None) -> None:
    assert import_errors(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'} — нет такой папки или файла"]


# --- files from another system ------------------------------------------------------------------------


def _foreign_set(folder: Path) -> None:
    """A small set written the way other systems write it: courses per school, terms, no metadata."""
    folder.mkdir()
    (folder / "manifest.csv").write_text(
        "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.orgs,bulk\n"
        "file.academicSessions,bulk\nfile.courses,bulk\nfile.classes,bulk\nfile.users,bulk\n"
        "file.roles,bulk\nfile.enrollments,bulk\nfile.demographics,absent\nfile.results,absent\n",
        encoding="utf-8",
    )
    tables = {
        ORGS: "st,active,2026-08-01T10:00:00.000Z,Край,state,,\n"
        "d1,,,Город,district,,st\n"
        "s1,,,Школа № 5,school,500,d1\n",
        ACADEMIC_SESSIONS: "y,,,2026-2027,schoolYear,2026-09-01,2027-05-31,,2027\n"
        "t1,,,1 полугодие,semester,2026-09-01,2026-12-28,y,2027\n",
        COURSES: "hr,,,y,Класс,,,s1,,\nm5,,,y,Математика,MA,05,s1,,\nm6,,,y,Математика,MA,06,s1,,\n",
        CLASSES: "c5,,,5 «а» класс,05,hr,,homeroom,,s1,t1,,,\n"
        "c6,,,6-Б,,hr,,homeroom,,s1,y,,,\n"
        "g5,,,Математика,05,m5,5а,scheduled,,s1,t1,,,\n"
        "g6,,,Математика 6Б,06,m6,,scheduled,,s1,t1,,,\n"
        "gx,,,Кружок,,m5,кружок,scheduled,,s1,t1,,,\n",
        USERS: "t,,,true,anna,,Анна,Смирнова,,,,,8 (952) 111-22-33,,\n"
        "p1,,,true,,,Пётр,Петров,,,,,,m,05\n"
        "p2,,,true,,,Павел,Петров,,,,,,,06\n"
        'm,,,true,,,Мария,Петрова,,,,,,"p1,p2",\n',
        ROLES: "r1,,,t,primary,teacher,2020-09-01,,s1\n"
        "r2,,,p1,primary,student,,,s1\n"
        "r3,,,p2,primary,student,,,s1\n"
        "r4,,,m,primary,parent,,,d1\n"
        "r5,,,t,secondary,aide,,,s1\n",
        ENROLLMENTS: "e1,,,c5,s1,p1,student,false,,\n"
        "e2,,,c6,s1,p2,student,false,2026-09-01,\n"
        "e3,,,c5,s1,t,teacher,false,,\n"
        "e4,,,g5,s1,t,teacher,true,,\n"
        "e5,,,g6,s1,t,teacher,,,\n"
        "e6,,,g5,s1,p1,student,false,,\n",
    }
    for spec, text in tables.items():
        # Only the required columns, as older exporters write them.
        (folder / spec.name).write_text(",".join(spec.required) + "\n" + text, encoding="utf-8")


def test_files_from_another_system_are_understood(tmp_path: Path, db: None) -> None:
    _foreign_set(tmp_path / "foreign")

    report = oneroster_import(source=tmp_path / "foreign")

    school = School.objects.get(sourced_id="s1")
    assert (school.region.name, school.identifier) == ("Город", "500")
    year = AcademicYear.objects.get()
    assert (year.start_year, year.is_current) == (2026, True)
    assert sorted(SchoolClass.objects.values_list("grade", "letter", "class_teacher__sourced_id")) == [
        (5, "А", "t"),
        (6, "Б", None),
    ]
    assert sorted(Cohort.objects.values_list("letter", "entry_year")) == [("А", 2022), ("Б", 2021)]
    assert list(Subject.objects.values_list("name", "code")) == [("Математика", "MA")]
    assert sorted(TeachingAssignment.objects.values_list("school_class__grade", "teacher__sourced_id")) == [
        (5, "t"),
        (6, "t"),
    ]
    assert sorted(Enrolment.objects.values_list("student__sourced_id", "begins_on")) == [
        ("p1", dt.date(2026, 9, 1)),
        ("p2", dt.date(2026, 9, 1)),
    ]
    assert set(Guardianship.objects.values_list("guardian__sourced_id", "student__sourced_id", "kind")) == {
        ("m", "p1", GuardianKind.PARENT),
        ("m", "p2", GuardianKind.PARENT),
    }
    assert list(StaffAssignment.objects.values_list("person__sourced_id", "role", "begins_on")) == [
        ("t", StaffRole.TEACHER, dt.date(2020, 9, 1))
    ]
    assert Person.objects.get(sourced_id="t").phone == "+79521112233"
    assert Account.objects.get().username == "anna"
    assert {str(warning).split(" — ", 1)[1] for warning in report.warnings} >= {
        "роль «aide» журнал не хранит — она пропущена",
    }
    assert any("предметный класс пропущен" in str(warning) for warning in report.warnings)

    again = oneroster_import(source=tmp_path / "foreign")
    assert again.changed == 0


def test_class_names_are_read_in_the_usual_spellings() -> None:
    assert parse_class_name("5А") == (5, "А")
    assert parse_class_name("11 «б» класс") == (11, "Б")
    assert parse_class_name("10-В") == (10, "В")
    assert parse_class_name("Математика") is None


# --- the commands -------------------------------------------------------------------------------------


def test_the_commands_export_and_import(
    journal: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot()
    call_command("oneroster_export", str(tmp_path / "roster.zip"), verbosity=0)
    wipe()

    call_command("oneroster_import", str(tmp_path / "roster.zip"), verbosity=0)

    assert snapshot() == before
    output = capsys.readouterr().out
    assert "Импорт завершён." in output


def test_the_import_command_prints_every_error_and_fails(exported: Path) -> None:
    edit(exported, "enrollments.csv", lambda rows: rows[0].update(userSourcedId="ghost"))
    edit(exported, "demographics.csv", lambda rows: rows[0].update(birthDate="31.02.2010"))
    errors: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            errors.append(text)

        def flush(self) -> None:
            pass

    with pytest.raises(CommandError, match=r"Импорт отменён, в журнале ничего не изменено\. Ошибок: 2\."):
        call_command("oneroster_import", str(exported), stderr=Sink(), verbosity=0)
    printed = "".join(errors)
    assert "enrollments.csv:2:userSourcedId — нет пользователя с sourcedId «ghost» в users.csv" in printed
    assert "demographics.csv:2:birthDate — дата «31.02.2010» не в формате ГГГГ-ММ-ДД" in printed
    assert_empty()


def test_the_report_reads_in_russian(exported: Path) -> None:
    report: ImportReport = oneroster_import(source=exported)
    lines = report.lines()
    assert lines[0].startswith("Прочитано строк:")
    assert any(line.startswith("  люди: добавлено") for line in lines)
