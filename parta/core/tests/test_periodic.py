"""parta.core.periodic and ``tasks_worker``: periodic tasks are queued by the workers themselves, once
per interval, never while a run is waiting or running, and the schedule outlives any worker."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from parta.core.models import PeriodicTask
from parta.core.periodic import periodic_tick

PATH = "parta.core.tests.test_periodic.remember"
runs: list[int] = []


@task()
def remember() -> int:
    runs.append(1)
    return len(runs)


@pytest.fixture(autouse=True)
def _schedule(settings: Any) -> None:
    settings.PARTA_PERIODIC_TASKS = {"test.remember": {"task": PATH, "every": 60}}
    runs.clear()


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=PATH).order_by("enqueued_at"))


def worker() -> None:
    """A worker started now that runs what is due and stops (``--batch``), as one would after a restart.
    It closes and reopens its connection as it goes: the tests that start one commit for real."""
    call_command(
        "tasks_worker", "--batch", "--no-reload", "--no-startup-delay", "--processes", "1", verbosity=0
    )


@pytest.mark.django_db(transaction=True)
def test_a_due_task_is_queued_once_and_again_only_after_its_interval() -> None:
    t0 = timezone.now()
    assert periodic_tick(now=t0) == ["test.remember"]
    assert periodic_tick(now=t0) == []  # another worker's tick at the same moment
    assert len(queued()) == 1
    worker()
    assert runs == [1]
    assert queued()[0].status == TaskResultStatus.SUCCESSFUL
    assert periodic_tick(now=t0 + dt.timedelta(seconds=59)) == []  # not due yet
    assert periodic_tick(now=t0 + dt.timedelta(seconds=61)) == ["test.remember"]
    assert len(queued()) == 2


@pytest.mark.django_db
def test_a_run_waiting_or_running_is_never_doubled_but_a_dead_one_is_replaced() -> None:
    t0 = timezone.now()
    periodic_tick(now=t0)
    # No free worker for ten minutes: the waiting run is not queued a second time.
    assert periodic_tick(now=t0 + dt.timedelta(minutes=10)) == []
    # A worker takes it and is still at it two minutes later: no second run alongside.
    (run,) = queued()
    DBTaskResult.objects.filter(pk=run.pk).update(
        status=TaskResultStatus.RUNNING, started_at=t0 + dt.timedelta(minutes=10)
    )
    assert periodic_tick(now=t0 + dt.timedelta(minutes=12)) == []
    # That worker was killed mid-run: past the timeout (10 × every, at least 10 minutes) the run is taken
    # for dead and the schedule goes on.
    assert periodic_tick(now=t0 + dt.timedelta(minutes=20, seconds=1)) == ["test.remember"]
    assert len(queued()) == 2


@pytest.mark.django_db(transaction=True)
def test_the_schedule_outlives_the_worker_and_a_restart_runs_nothing_twice() -> None:
    worker()  # the first start queues the task and runs it
    assert runs == [1]
    worker()  # restarted at once: not due again, nothing to run
    worker()
    assert runs == [1]
    assert len(queued()) == 1
    row = PeriodicTask.objects.get(name="test.remember")
    assert row.result_id == str(queued()[0].pk)
    # Due again (as a minute later): the next start queues and runs it.
    PeriodicTask.objects.filter(pk=row.pk).update(next_run_at=timezone.now())
    worker()
    assert runs == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_an_interval_of_zero_switches_the_task_off(settings: Any) -> None:
    settings.PARTA_PERIODIC_TASKS = {"test.remember": {"task": PATH, "every": 0}}
    assert periodic_tick() == []
    worker()
    assert runs == []
    assert queued() == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_queue_it_once() -> None:
    """One worker's tick holds the task's row until its commit; the other's skips it (PostgreSQL's
    ``SKIP LOCKED``) instead of queueing a second run."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: two ticks cannot overlap there")
    PeriodicTask.objects.create(name="test.remember", next_run_at=timezone.now() - dt.timedelta(seconds=1))
    ticked, release = threading.Event(), threading.Event()
    first: list[str] = []

    def slow_tick() -> None:
        try:
            with transaction.atomic():
                first.extend(periodic_tick())
                ticked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_tick)
    thread.start()
    assert ticked.wait(10)
    try:
        assert periodic_tick() == []  # the other worker, while the first has not committed yet
    finally:
        release.set()
        thread.join(10)
    assert first == ["test.remember"]
    assert len(queued()) == 1
