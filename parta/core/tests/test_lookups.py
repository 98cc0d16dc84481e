"""``field__any``: the same rows as ``field__in``, on SQLite and on PostgreSQL (one array parameter)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parta.core.models import PeriodicTask

pytestmark = pytest.mark.django_db


def test_any_finds_the_rows_in_finds_with_one_parameter_on_postgresql() -> None:
    when = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    for name in ("сверка", "истечение", "очистка"):
        PeriodicTask.objects.create(name=name, next_run_at=when)
    wanted = ["сверка", "очистка", "нет такой"]
    assert set(PeriodicTask.objects.filter(name__any=wanted).values_list("name", flat=True)) == {
        "сверка",
        "очистка",
    }
    assert not PeriodicTask.objects.filter(name__any=[]).exists()

    types = list(ContentType.objects.order_by("pk").values_list("pk", flat=True)[:3])
    expected = set(Permission.objects.filter(content_type__in=types).values_list("pk", flat=True))
    assert expected  # every model has its permissions
    with CaptureQueriesContext(connection) as queries:
        by_relation = set(Permission.objects.filter(content_type__any=types).values_list("pk", flat=True))
        by_column = set(Permission.objects.filter(content_type_id__any=types).values_list("pk", flat=True))
    assert by_relation == by_column == expected
    if connection.vendor == "postgresql":
        assert "= ANY(" in queries[0]["sql"]
    else:
        assert " IN (" in queries[0]["sql"]
