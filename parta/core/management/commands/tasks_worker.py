"""``parta <side> tasks_worker``: django-tasks-db's ``db_worker`` (the same options) that also keeps the
side's periodic tasks on schedule (:mod:`parta.core.periodic`): one tick when it starts, then one every
``PARTA_PERIODIC_TICK_SECONDS`` from a thread of its own, while the worker runs jobs as usual.
``parta worker <side>`` and ``make demo`` start this one.

``--processes N`` (default ``PARTA_WORKER_PROCESSES``: one on SQLite, four for the journal on
PostgreSQL) runs N such workers as child processes, so N tasks — N schools' sync runs — go at once on
separate cores, and supervises them: a worker that dies is started again after a pause, SIGTERM or
SIGINT stops them all gracefully (each finishes its task), and a worker whose supervisor is gone stops by
itself. The database hands each task to one worker only (``SELECT … FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
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


RESTART_PAUSE = 5.0  # seconds before a worker that died is started again


def _orphan_watch(parent: int) -> None:
    """In a supervised worker: stop gracefully once the supervisor is gone (killed outright)."""
    while os.getppid() == parent:
        time.sleep(2.0)
    log.warning("worker %s: the supervisor is gone, stopping", os.getpid())
    os.kill(os.getpid(), signal.SIGTERM)


def _child_argv(options: dict[str, Any], index: int) -> list[str]:
    """The command line of one supervised worker: this command with the same options, one process."""
    argv = [sys.executable, "-m", "django", "tasks_worker", "--processes", "1"]
    argv += ["--supervisor", str(os.getpid())]
    argv += ["--queue-name", options["queue_name"], "--interval", str(options["interval"])]
    argv += ["--backend", options["backend_name"], "--worker-id", f"{options['worker_id'][:24]}-{index}"]
    argv += ["-v", str(options["verbosity"]), "--no-reload"]
    if options["exclude_queues"]:
        argv += ["--exclude-queues", options["exclude_queues"]]
    if options["batch"]:
        argv.append("--batch")
    if not options["startup_delay"]:
        argv.append("--no-startup-delay")
    if options["max_tasks"] is not None:
        argv += ["--max-tasks", str(options["max_tasks"])]
    return argv


def _supervise(options: dict[str, Any], count: int) -> int:
    """Run ``count`` workers until told to stop (or, with ``--batch``, until each has run out of work).
    Returns the exit status: 0, or 1 if a ``--batch`` worker failed."""
    stopping = threading.Event()
    children: dict[int, subprocess.Popen[bytes]] = {}

    def start(index: int) -> None:
        # A session of its own: Ctrl-C in a terminal reaches the supervisor only, which passes it on once
        # (a second signal would make a worker drop its task at once).
        children[index] = subprocess.Popen(  # noqa: S603 -- our own interpreter and options
            _child_argv(options, index), start_new_session=True
        )

    def stop(signum: int, _frame: object) -> None:
        if stopping.is_set():
            for child in children.values():
                child.kill()
            return
        log.warning("stopping %s workers (%s)", len(children), signal.strsignal(signum))
        stopping.set()
        for child in children.values():
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(count):
        start(index)
    failed = False
    while children:
        for index, child in list(children.items()):
            code = child.poll()
            if code is None:
                continue
            del children[index]
            if options["batch"] or stopping.is_set():
                failed = failed or code != 0
                continue
            log.error("worker %s (pid %s) exited with %s; starting it again", index, child.pid, code)
            if not stopping.wait(RESTART_PAUSE):
                start(index)
        stopping.wait(0.2)
    return 1 if failed else 0


class Command(db_worker.Command):
    help = "Выполнять фоновые задачи и по расписанию ставить в очередь периодические (PARTA_PERIODIC_TASKS)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="Сколько рабочих процессов запустить (по умолчанию PARTA_WORKER_PROCESSES: 1 на SQLite, "
            "4 для журнала на PostgreSQL).",
        )
        parser.add_argument(
            "--supervisor", type=int, default=None, help="(служебный) pid надзирающего процесса"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        processes = options["processes"] or int(getattr(settings, "PARTA_WORKER_PROCESSES", 1))
        if processes > 1 and not options.get("reload"):
            connection.close()
            sys.exit(_supervise(options, processes))
        if options.get("supervisor"):
            threading.Thread(
                target=_orphan_watch, args=(options["supervisor"],), name="orphan-watch", daemon=True
            ).start()
        # With --reload the first process only watches the files; the child it starts does the work.
        watcher = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if periodic_tasks() and not watcher:
            _tick()
            if not options.get("batch"):
                threading.Thread(
                    target=_ticking, args=(threading.Event(),), name="periodic-tick", daemon=True
                ).start()
        super().handle(*args, **options)
