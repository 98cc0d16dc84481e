"""``parta <side> tasks_worker``: django-tasks-db's ``db_worker`` (the same options) that also keeps the
side's periodic tasks on schedule (:mod:`parta.core.periodic`): one tick when it starts, then one every
``PARTA_PERIODIC_TICK_SECONDS`` from a thread of its own, while the worker runs jobs as usual.
``parta worker <side>`` and ``make demo`` start this one."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from parta.core.periodic import periodic_tasks, periodic_tick, tick_seconds

log = logging.getLogger("parta.core.periodic")


def _tick() -> None:
    try:
        periodic_tick()
    except Exception:  # the database may be away for a moment: the next tick tries again
        log.exception("periodic tasks: the tick failed")


def _ticking(stop: threading.Event) -> None:
    try:
        while not stop.wait(tick_seconds()):
            close_old_connections()
            _tick()
    finally:
        connection.close()


class Command(db_worker.Command):
    help = "Выполнять фоновые задачи и по расписанию ставить в очередь периодические (PARTA_PERIODIC_TASKS)."

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the first process only watches the files; the child it starts does the work.
        watcher = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if periodic_tasks() and not watcher:
            _tick()
            if not options.get("batch"):
                threading.Thread(
                    target=_ticking, args=(threading.Event(),), name="periodic-tick", daemon=True
                ).start()
        super().handle(*args, **options)
