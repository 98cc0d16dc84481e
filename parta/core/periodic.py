"""Periodic tasks without cron: the task workers keep the schedule themselves, in the side's database.

django-tasks has no scheduler. Each side lists its periodic tasks in the setting
``PARTA_PERIODIC_TASKS`` — ``{name: {"task": "<dotted path of a django-tasks task without arguments>",
"every": <seconds>, "timeout": <seconds, optional>}}`` — and every worker started with
``parta <side> tasks_worker`` (``parta worker <side>``, ``make demo``) calls :func:`periodic_tick` when
it starts and then every ``PARTA_PERIODIC_TICK_SECONDS`` (10). A tick, for each task:

1. locks the task's row of :class:`~parta.core.models.PeriodicTask` (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL: a worker ticking at the same moment skips it; SQLite runs one write transaction at a
   time) — only if it is due (``next_run_at`` has come);
2. looks at the task's latest queued run: still waiting for a free worker, or running for less than
   ``timeout`` → nothing (never two runs of one task at once);
3. otherwise enqueues the task (an ordinary django-tasks job: any worker runs it, the administration
   shows its result) and sets ``next_run_at`` to now + ``every`` — in the same transaction as the lock.

So the schedule survives anything that happens to a worker: it is rows, not a timer in a process. A
restarted worker does not run a task again before it is due; a crash in the middle of a run delays the
next one by ``timeout`` at most (a run still "running" after it is taken for dead: keep ``timeout``
above the longest run — by default ten times ``every``, at least ten minutes); with no worker at all
nothing runs (as for every other task). Any number of workers tick: each task is queued once per
``every``. An ``every`` of 0 switches the task off (an operator who prefers cron runs its command).

The platform: ``messenger.bot_expire`` (parta/messenger/tasks.py). The journal side can list its
periodic full reconcile the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks.exceptions import TaskResultDoesNotExist

from parta.core.models import PeriodicTask

log = logging.getLogger(__name__)

MIN_TIMEOUT = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str  # the dotted path of a django-tasks task that takes no arguments
    every: dt.timedelta
    timeout: dt.timedelta  # a run still "running" after this is taken for dead (its worker stopped)


def periodic_tasks() -> list[Periodic]:
    """The side's periodic tasks (``PARTA_PERIODIC_TASKS``), those switched off (``every`` ≤ 0) left out."""
    found = []
    configured: dict[str, dict[str, Any]] = getattr(settings, "PARTA_PERIODIC_TASKS", {})
    for name, spec in configured.items():
        every = dt.timedelta(seconds=float(spec["every"]))
        if every <= dt.timedelta(0):
            continue
        timeout = spec.get("timeout")
        found.append(
            Periodic(
                name=name,
                task=str(spec["task"]),
                every=every,
                timeout=dt.timedelta(seconds=float(timeout)) if timeout else max(10 * every, MIN_TIMEOUT),
            )
        )
    return found


def tick_seconds() -> float:
    return float(getattr(settings, "PARTA_PERIODIC_TICK_SECONDS", 10))


def _task(job: Periodic) -> Task[[], Any]:
    task = import_string(job.task)
    if not isinstance(task, Task):
        raise TypeError(f"PARTA_PERIODIC_TASKS[{job.name!r}]: {job.task} is not a django-tasks task")
    return task


def _in_progress(job: Periodic, task: Task[[], Any], result_id: str, now: dt.datetime) -> bool:
    """Whether the latest run is still queued or running (and not past ``timeout``)."""
    if not result_id or not task.get_backend().supports_get_result:
        return False
    try:
        result = task.get_result(result_id)
    except TaskResultDoesNotExist:  # pruned, or another backend's
        return False
    if result.status == TaskResultStatus.READY:
        return True
    if result.status == TaskResultStatus.RUNNING:
        started = result.started_at or result.enqueued_at
        if started is not None and now - started < job.timeout:
            return True
        log.warning(
            "periodic task %s: run %s has been running since %s, past its timeout (%s): "
            "taken for dead, the next one is queued",
            job.name,
            result_id,
            started,
            job.timeout,
        )
    return False


def periodic_tick(*, now: dt.datetime | None = None) -> list[str]:
    """Enqueue each periodic task that is due and has no run queued or in progress; returns their names.
    Safe to call from any number of workers at once, and as often as wanted."""
    jobs = periodic_tasks()
    if not jobs:
        return []
    now = now or timezone.now()
    PeriodicTask.objects.bulk_create(
        [PeriodicTask(name=job.name, next_run_at=now) for job in jobs], ignore_conflicts=True
    )
    enqueued = []
    for job in jobs:
        task = _task(job)
        with transaction.atomic():
            row = (
                PeriodicTask.objects.select_for_update(skip_locked=True)
                .filter(name=job.name, next_run_at__lte=now)
                .first()
            )
            if row is None or _in_progress(job, task, row.result_id, now):
                continue
            result = task.enqueue()
            row.result_id = str(result.id)
            row.enqueued_at = now
            row.next_run_at = now + job.every
            row.save(update_fields=["result_id", "enqueued_at", "next_run_at"])
        enqueued.append(job.name)
    return enqueued
