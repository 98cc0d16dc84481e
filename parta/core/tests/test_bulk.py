"""``bulk_update_rows`` writes the given columns of the given rows and nothing else — one statement on
PostgreSQL, ``bulk_update`` on SQLite; nulls, dates with time zones and text keys included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parta.core.bulk import bulk_update_rows
from parta.core.models import PeriodicTask

pytestmark = pytest.mark.django_db


def test_the_given_columns_of_the_given_rows() -> None:
    t0 = timezone.now().replace(microsecond=0)
    a, b, _ = (
        PeriodicTask.objects.create(name=name, next_run_at=t0, result_id="r", enqueued_at=t0)
        for name in ("a", "b", "c")
    )
    a.next_run_at, a.enqueued_at, a.result_id = t0 + dt.timedelta(hours=1), None, "new"
    b.next_run_at, b.enqueued_at, b.result_id = t0 - dt.timedelta(days=1), t0, "not written"

    with CaptureQueriesContext(connection) as queries:
        bulk_update_rows([a, b], ["next_run_at", "enqueued_at"])

    got = {p.name: (p.next_run_at, p.enqueued_at, p.result_id) for p in PeriodicTask.objects.all()}
    assert got == {
        "a": (t0 + dt.timedelta(hours=1), None, "r"),
        "b": (t0 - dt.timedelta(days=1), t0, "r"),
        "c": (t0, t0, "r"),
    }
    if connection.vendor == "postgresql":
        assert len(queries) == 1


def test_nothing_to_write_sends_nothing() -> None:
    with CaptureQueriesContext(connection) as queries:
        bulk_update_rows([], ["next_run_at"])
    assert len(queries) == 0
