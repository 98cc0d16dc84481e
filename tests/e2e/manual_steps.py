"""Steps shared by the browser walks of the five manuals (tests/e2e/test_manual_00N.py).

The journal accounts, the ID's screens and the «Сферум» section's checks come from
``tests/e2e/test_linking_id.py``; here are the numbers these walks use (+7 999 700-N·-··, N the manual),
the journal's registration with the ID, a second journal server with other settings, and the
screenshots (``test-artifacts/manual-NNN-*.png``).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import ARTIFACTS, Parta, _free_port, _wait

# Manual 004's push code: this number "has" a signed-in messenger session (PUSH_PHONES in conftest.py).
PUSH_PHONE = "+79997004900"
_numbers = {manual: itertools.count(1) for manual in range(5)}


def new_phone(manual: int) -> str:
    """A number no other browser test uses: +7 999 700-N·-·· for manual 00N."""
    return f"+7999700{manual}{next(_numbers[manual]):03d}"


def shot(page: Page, manual: int, name: str) -> None:
    """A full-page screen of a step; a phone-sized page gets «-telefon» in its name."""
    ARTIFACTS.mkdir(exist_ok=True)
    suffix = "-telefon" if is_phone_sized(page) else ""
    page.screenshot(path=str(ARTIFACTS / f"manual-{manual:03d}-{name}{suffix}.png"), full_page=True)


def shot_of(page: Page, locator: Locator, manual: int, name: str) -> None:
    """A screen of one part of the page (a day of the week, a window), easier to look at than the page."""
    ARTIFACTS.mkdir(exist_ok=True)
    suffix = "-telefon" if is_phone_sized(page) else ""
    locator.screenshot(path=str(ARTIFACTS / f"manual-{manual:03d}-{name}{suffix}.png"))


def journal_registered(parta: Parta, *extra_journals: str) -> Parta:
    """The journal registered with the ID as ``demo-journal`` (as ``make demo`` does), also for the
    addresses of extra journal servers on the same database."""
    var = Path(parta.env["PARTA_VAR_DIR"])
    redirects = [parta.journal, *extra_journals]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "parta.cli",
            "platform",
            "register_journal",
            "--client-id",
            "demo-journal",
            "--name",
            "БАРС.Электронная школа",
            *[arg for url in redirects for arg in ("--redirect-uri", f"{url}/integration/callback/")],
            "--post-logout-redirect-uri",
            f"{parta.journal}/",
            "--credentials-file",
            str(var / "demo-journal-client.json"),
            "-v",
            "0",
        ],
        env=dict(parta.env, DJANGO_SETTINGS_MODULE="parta.sites.platform.settings"),
        check=True,
    )
    assert json.loads((var / "demo-journal-client.json").read_text())["issuer"] == f"{parta.platform}/id"
    return parta


@contextmanager
def second_journal(parta: Parta, port: int | None = None, **settings: str) -> Iterator[str]:
    """Another journal server on the same database with other settings (e.g. the unlink policy).
    Cookies are per host, not per port: the browser keeps its journal session on both."""
    port = port or _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "parta.sites.journal.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=dict(parta.env, DJANGO_SETTINGS_MODULE="parta.sites.journal.settings", **settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def open_chats_icon(page: Page, label: str = "Чаты Сферум") -> None:
    """The chats icon in the header (manual 000 «Чаты Сферум», 001; 002 «Личные сообщения»)."""
    page.get_by_role("banner").get_by_role("link", name=label, exact=True).click()


def is_phone_sized(page: Page) -> bool:
    return (page.viewport_size or {"width": 1280})["width"] < 640


def expect_linked(page: Page, phone: str) -> None:
    """The «Сферум» section of a linked account (on a phone the table's header row is hidden)."""
    from tests.e2e.test_linking_id import expect_section, section_phone

    if is_phone_sized(page):
        expect(page.get_by_role("heading", name="Сферум", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="Перейти в Сферум")).to_be_visible()
        expect(page.get_by_label("Телефон, привязанный к Сферум")).to_have_value(section_phone(phone))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    else:
        expect_section(page, phone)


def about_yourself(page: Page, last: str, first: str, middle: str, born: str) -> None:
    """«Информация о себе» of a new profile, then «Продолжить»."""
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    page.get_by_label("Имя", exact=True).fill(first)
    page.get_by_label("Фамилия").fill(last)
    page.get_by_label("Отчество").fill(middle)
    page.get_by_label("День рождения").fill(born)
    page.get_by_label("Пол").select_option(label="Женский")
