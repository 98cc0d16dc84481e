"""«Загрузка OneRoster» and «Выгрузка OneRoster» in the school administration."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from parta.journal.models import Person
from parta.journal.tests import factories
from parta.journal.tests.test_oneroster import edit, journal, snapshot, wipe

__all__ = ["journal"]  # the fixture, imported to be used here

IMPORT_URL = "/admin/journal/school/oneroster/import/"
EXPORT_URL = "/admin/journal/school/oneroster/export/"


@pytest.fixture
def region_admin(journal: dict[str, Any]) -> Client:
    admin = Person.objects.create(last_name="Волкова", first_name="Ирина")
    account = factories.account(admin, username="director")
    account.is_staff = account.is_superuser = True
    account.save()
    client = Client()
    client.force_login(account)
    return client


def download(client: Client) -> bytes:
    response = client.post(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="oneroster-')
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def upload(client: Client, data: bytes, *, check_only: bool) -> str:
    archive = io.BytesIO(data)
    archive.name = "roster.zip"
    fields: dict[str, Any] = {"archive": archive}
    if check_only:
        fields["check_only"] = "on"
    response = client.post(IMPORT_URL, fields, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_the_schools_list_offers_both_pages(region_admin: Client) -> None:
    page = region_admin.get("/admin/journal/school/").content.decode()
    assert "Загрузка OneRoster" in page
    assert "Выгрузка OneRoster" in page
    assert "ZIP-архив OneRoster 1.2" in region_admin.get(IMPORT_URL).content.decode()


def test_an_exported_archive_loads_back_into_an_empty_journal(region_admin: Client, tmp_path: Path) -> None:
    before = snapshot()
    data = download(region_admin)
    assert "users.csv" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    client_user = Person.objects.get(last_name="Волкова")
    wipe()

    # The region administrator's own account went with the wipe: sign in again as a fresh one.
    client_user.pk = None
    fresh = factories.account(Person.objects.create(last_name="Волкова", first_name="Ирина"), username="d2")
    fresh.is_staff = fresh.is_superuser = True
    fresh.save()
    client = Client()
    client.force_login(fresh)

    checked = upload(client, data, check_only=True)
    assert "Проверка пройдена: что изменится" in checked
    assert "в журнале ничего не изменено" in checked
    assert not Person.objects.exclude(pk=fresh.person_id).exists()

    loaded = upload(client, data, check_only=False)
    assert "Импорт завершён" in loaded
    after = snapshot()
    # Everything came back; only the two administrators' own people differ.
    for kind in ("schools", "classes", "enrolments", "registry", "guardianships"):
        assert after[kind] == before[kind], kind


def test_a_broken_archive_is_refused_with_its_lines_and_changes_nothing(
    region_admin: Client, tmp_path: Path
) -> None:
    data = download(region_admin)
    folder = tmp_path / "roster"
    zipfile.ZipFile(io.BytesIO(data)).extractall(folder)

    def break_a_date(rows: list[dict[str, str]]) -> None:
        rows[0]["beginDate"] = "31.02.2026"

    edit(folder, "enrollments.csv", break_a_date)
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as out:
        for file in folder.iterdir():
            out.write(file, file.name)
    before = snapshot()

    page = upload(region_admin, broken.getvalue(), check_only=False)

    assert "Импорт отменён, в журнале ничего не изменено." in page
    assert "enrollments.csv:2:beginDate" in page
    assert snapshot() == before


def test_a_file_that_is_not_a_zip_is_explained(region_admin: Client) -> None:
    page = upload(region_admin, b"sourcedId,name\n", check_only=True)
    assert "Это не ZIP-архив" in page


def test_only_the_region_administrator_may_import(journal: dict[str, Any]) -> None:
    staff = factories.account(Person.objects.create(last_name="Орлов", first_name="Пётр"), username="z")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    assert client.get(IMPORT_URL).status_code == 403
