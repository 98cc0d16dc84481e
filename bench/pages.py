"""Server time of the journal's home and schedule pages on a region-sized database.

    PARTA_JOURNAL_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/parta_bench \
        .venv/bin/python bench/pages.py [--requests 200]

Run bench/generate_region.py first. Requests go through Django's full stack in this process (routing,
middleware, sessions in the database, templates), so the time measured is what a server spends on a
page, without the network. Prints the median and the 95th percentile per role and page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parta.sites.journal.settings")
os.environ.setdefault("PARTA_TESTING", "1")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from parta.journal.models import Account, Guardianship, Lesson, StaffAssignment  # noqa: E402


def pick_accounts() -> dict[str, Account]:
    """A student, a parent and a teacher whose classes have lessons this week, from the middle of the data."""
    today = timezone.localdate()
    lesson = (
        Lesson.objects.filter(date__gte=today - dt.timedelta(days=today.weekday()))
        .order_by("-school_class_id")
        .select_related("school_class")
        .first()
    )
    if lesson is None:
        raise SystemExit("В базе нет уроков на эту неделю: сначала запустите bench/generate_region.py.")
    student = Account.objects.filter(
        person__enrolments__school_class_id=lesson.school_class_id, person__enrolments__ends_on__isnull=True
    ).first()
    parent = Account.objects.filter(
        person__in=Guardianship.objects.filter(
            student__enrolments__school_class_id=lesson.school_class_id
        ).values("guardian")
    ).first()
    teacher = Account.objects.filter(person_id=lesson.teacher_id).first()
    admin = Account.objects.filter(
        person__in=StaffAssignment.objects.filter(role="administrator").values("person")
    ).first()
    found = {"ученик": student, "родитель": parent, "учитель": teacher, "администратор": admin}
    return {role: account for role, account in found.items() if account is not None}


def measure(client: Client, url: str, requests: int) -> tuple[float, float]:
    for _ in range(5):
        assert client.get(url).status_code == 200
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    from parta.journal.models import Enrolment, Person

    people, enrolments = Person.objects.count(), Enrolment.objects.count()
    print(f"База: {connection.vendor}, людей {people:,}, зачислений {enrolments:,}")
    print(f"{'роль':<14} {'страница':<12} {'медиана, мс':>12} {'p95, мс':>10}")
    for role, account in pick_accounts().items():
        client = Client()
        client.force_login(account)
        for name, url in (("главная", "/"), ("расписание", "/schedule/")):
            median, p95 = measure(client, url, options.requests)
            print(f"{role:<14} {name:<12} {median:>12.1f} {p95:>10.1f}")


if __name__ == "__main__":
    main()
