"""``Epoch``: a timestamp as POSIX seconds, computed by the database (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt

import pytest

from parta.core.functions import Epoch
from parta.core.models import PeriodicTask

pytestmark = pytest.mark.django_db


def test_epoch_is_the_timestamp_of_the_stored_moment_to_the_microsecond() -> None:
    # 12:30 in Moscow is 09:30 UTC: the value must not depend on the time zone it was written in
    moment = dt.datetime(2026, 9, 1, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    PeriodicTask.objects.create(name="a", next_run_at=moment)
    PeriodicTask.objects.create(name="b", next_run_at=moment + dt.timedelta(days=400, microseconds=1))
    PeriodicTask.objects.create(name="c", next_run_at=moment.replace(microsecond=0))  # no fraction stored

    tasks = PeriodicTask.objects.order_by("name")
    values = list(tasks.values_list(Epoch("next_run_at"), Epoch("enqueued_at")))

    assert values[0][0] == pytest.approx(moment.timestamp(), abs=1e-6)
    assert values[1][0] == pytest.approx(moment.timestamp() + 400 * 86400 + 1e-6, abs=1e-6)
    assert values[2][0] == pytest.approx(moment.replace(microsecond=0).timestamp(), abs=1e-6)
    assert values[0][1] is None  # an empty moment stays empty
