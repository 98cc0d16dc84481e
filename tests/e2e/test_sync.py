"""Roster → chats in a real browser across both real servers (manual 002, issue 6): a teacher who is the
class teacher of a class links their profile; the journal's task worker reconciles the school at once, and
the «Сферум» section lists «Учительская», the class chat and the parents' chat with the right member
counts and the class teacher as their admin. Screens: ``test-artifacts/sync-*.png``."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, Parta
from tests.e2e.test_linking_id import (  # noqa: F401 -- the module's fixtures
    consent_window,
    down_journal_port,
    expect_section,
    id_account,
    id_with_profile,
    journal,
    journal_account,
    journal_shell,
    new_phone,
    sign_in,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def worker(journal: Parta) -> Iterator[None]:  # noqa: F811
    """The journal's task worker, as ``parta worker journal`` runs it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "parta.cli", "journal", "db_worker", "--interval", "0.3", "--no-reload"],
        env=dict(journal.env, DJANGO_SETTINGS_MODULE="parta.sites.journal.settings"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_after_linking_the_teacher_finds_the_three_chats_made(
    page: Page,
    journal: Parta,  # noqa: F811 -- the fixture imported above
    worker: None,
) -> None:
    username = journal_account(journal, "teacher")
    # The teacher is the class teacher of 7Я; its pupil is linked already, her father is not.
    pupil_sub = journal.platform_shell(
        "import datetime\n"
        "from parta.identity.models import Account, EducationalProfile\n"
        "a = Account.objects.create_user('+79993009901', 'Correct-horse-9')\n"
        "p = EducationalProfile.objects.create(account=a, last_name='Ёлкина', first_name='Вера', "
        "middle_name='Олеговна', birth_date=datetime.date(2013, 3, 3), gender='female')\n"
        "print(p.sub)\n"
    ).split()[-1]
    journal_shell(
        journal,
        "from parta.journal.models import *\n"
        "from parta.journal.actions.classes import school_class_create\n"
        "from parta.journal.actions.enrolments import enrolment_create\n"
        "from parta.integration.conf import config\n"
        "from parta.integration.models import Binding\n"
        "from parta.integration.platform_api import PlatformClient, LinkDisplay\n"
        "school = School.objects.order_by('pk').first()\n"
        f"teacher = Account.objects.get(username={username!r}).person\n"
        "year = AcademicYear.objects.get(is_current=True)\n"
        "c = school_class_create(school=school, year=year, grade=7, letter='Я', class_teacher=teacher)\n"
        "kid = Person.objects.create(last_name='Ёлкина', first_name='Вера', middle_name='Олеговна')\n"
        "enrolment_create(student=kid, school_class=c)\n"
        "dad = Person.objects.create(last_name='Ёлкин', first_name='Пётр')\n"
        "Guardianship.objects.create(guardian=dad, student=kid)\n"
        "Account.objects.create_user('e2e-sync-dad', 'parta-demo', person=dad)\n"
        "acc = Account.objects.create_user('e2e-sync-pupil', 'parta-demo', person=kid)\n"
        "with PlatformClient(config()) as api:\n"
        "    api.org_put(org_ref=school.sourced_id, name=school.name)\n"
        f"    link = api.link_create(profile_sub={pupil_sub!r}, org_ref=school.sourced_id, "
        "journal_account_ref=str(acc.pk), roles=['student'], display=LinkDisplay('Вера', 'Ёлкина'))\n"
        "Binding.objects.create(account=acc, role='student', org_ref=school.sourced_id, "
        f"profile_sub={pupil_sub!r}, link_id=link.id, state='active')\n"
        # as binding_create records it: the audit record queues the pupil's fast path
        "from parta.integration.actions.audit import binding_event_record\n"
        f"binding_event_record(kind='linked', account_id=acc.pk, profile_sub={pupil_sub!r})\n",
    )
    phone = new_phone()
    id_account(journal, phone)
    sign_in(page, journal, username, staff=True)
    page.get_by_role("link", name="Личные сообщения").click()  # the chats icon after staff entry (002)
    page.get_by_role("link", name="Привязать учебный профиль Сферум ID").click()
    id_with_profile(page, journal, phone)
    consent_window(page, phone, "Орлова Мария Ивановна")
    page.get_by_role("button", name="Привязать").click()
    expect_section(page, phone)

    # Within seconds the worker has made the chats; the section lists what the platform reports.
    class_chat = page.get_by_role("row").filter(has_text="7Я класс")
    deadline = time.monotonic() + 20
    while not class_chat.count() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(class_chat.get_by_role("cell", name="Классный чат")).to_be_visible()
    expect(class_chat.get_by_role("cell", name="2", exact=True)).to_be_visible()  # the pupil and the teacher
    expect(class_chat.get_by_role("cell", name="Орлова Мария Ивановна")).to_be_visible()
    parents = page.get_by_role("row").filter(has_text="7Я Родители")
    expect(parents.get_by_role("cell", name="Родительский чат")).to_be_visible()
    expect(parents.get_by_role("cell", name="1", exact=True)).to_be_visible()  # no parent linked yet
    expect(parents.get_by_role("cell", name="Орлова Мария Ивановна")).to_be_visible()
    staff_room = page.get_by_role("row").filter(has_text="Учительская")
    expect(staff_room.get_by_role("cell", name="Учительская", exact=True)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sync-chats.png"), full_page=True)


def test_the_administration_shows_the_schools_sync_and_the_history(
    page: Page,
    journal: Parta,  # noqa: F811 -- the fixture imported above
) -> None:
    """Runs after the test above: the school's last run and the history «кто, куда, почему»."""
    from tests.e2e.test_journal import sign_in as journal_sign_in

    journal_sign_in(page, journal, "admin")
    page.goto(f"{journal.journal}/admin/integration/syncschool/")
    row = page.get_by_role("row").filter(has_text="ГБОУ Школа № 1")
    expect(row).to_contain_text("нет работы")
    expect(row).to_contain_text("Готово: чатов изменено")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sync-admin-schools.png"), full_page=True)
    page.goto(f"{journal.journal}/admin/integration/syncchange/?q=7Я")
    teacher = page.get_by_role("row").filter(has_text="Орлова М. И.").filter(has_text="7Я класс")
    expect(teacher).to_contain_text("привязал учебный профиль")  # the school was synced before she linked
    expect(page.get_by_role("row").filter(has_text="Ёлкина В. О.")).to_contain_text("зачислен")
    page.screenshot(path=str(ARTIFACTS / "sync-admin-history.png"), full_page=True)
