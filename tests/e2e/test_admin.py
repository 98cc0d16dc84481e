"""The school administration in a browser: OneRoster out and back in, and the rollover plan."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Parta
from tests.e2e.test_journal import sign_in

pytestmark = pytest.mark.browser


def open_schools(page: Page, parta: Parta) -> None:
    sign_in(page, parta, "admin")
    page.get_by_role("link", name="Администрирование школы").click()
    expect(page.get_by_role("heading", name="Школа")).to_be_visible()
    page.get_by_role("link", name="Школы", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("школу для изменения|Выберите"))).to_be_visible()


def test_admin_downloads_the_journal_and_checks_it_back_in(page: Page, parta: Parta, tmp_path: Path) -> None:
    open_schools(page, parta)
    page.get_by_role("link", name="Выгрузка OneRoster").click()
    expect(page.get_by_role("heading", name="Выгрузка OneRoster")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Скачать архив").click()
    archive = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(archive)
    assert archive.name.startswith("oneroster-")
    assert {"manifest.csv", "users.csv", "enrollments.csv"} <= set(zipfile.ZipFile(archive).namelist())

    page.get_by_role("navigation", name="Хлебные крошки").get_by_role("link", name="Школы").click()
    page.get_by_role("link", name="Загрузка OneRoster").click()
    expect(page.get_by_role("heading", name="Загрузка OneRoster")).to_be_visible()
    page.get_by_label("ZIP-архив OneRoster 1.2").set_input_files(archive)
    expect(page.get_by_label("Только проверить, ничего не записывая")).to_be_checked()
    page.get_by_role("button", name="Загрузить").click()
    expect(page.get_by_role("heading", name="Проверка пройдена: что изменится")).to_be_visible()
    expect(page.get_by_text("Изменений нет: журнал уже совпадает с файлами.")).to_be_visible()

    # The same archive with a broken date: refused, with the file, line and column.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(broken, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "enrollments.csv":
                header, first, rest = data.decode().split("\n", 2)
                cells = first.split(",")
                cells[header.split(",").index("beginDate")] = "2026-02-31"
                data = "\n".join([header, ",".join(cells), rest]).encode()
            out.writestr(name, data)
    page.get_by_label("ZIP-архив OneRoster 1.2").set_input_files(broken)
    page.get_by_label("Только проверить, ничего не записывая").uncheck()
    page.get_by_role("button", name="Загрузить").click()
    expect(page.get_by_role("alert")).to_contain_text("Импорт отменён, в журнале ничего не изменено.")
    expect(page.get_by_role("list", name="Ошибки в файлах")).to_contain_text("enrollments.csv:2:beginDate")


def test_admin_reads_the_plan_of_the_new_school_year(page: Page, parta: Parta) -> None:
    sign_in(page, parta, "admin")
    page.get_by_role("link", name="Администрирование школы").click()
    page.get_by_role("link", name="Учебные годы", exact=True).click()
    page.get_by_role("link", name="Перевод на новый учебный год").click()
    expect(page.get_by_role("heading", name="Перевод на новый учебный год")).to_be_visible()
    expect(page.get_by_role("heading", name="Что изменится")).to_be_visible()
    expect(page.locator("pre.rollover-plan")).to_contain_text("5А → 6А")
    expect(page.get_by_role("button", name=re.compile(r"^Перевести на \d{4}.\d{4}$"))).to_be_visible()
