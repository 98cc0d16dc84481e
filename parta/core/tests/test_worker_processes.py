"""``tasks_worker --processes N``: N workers run tasks at the same time in separate processes, under a
supervisor that stops them all on SIGTERM and whose death stops them too. Real processes on a database
file of their own (the test database lives in this process only)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

MEET = "parta.core.tests.test_worker_processes.meet"


@task()
def meet(expected: int, patience: float = 30) -> int:
    """Wait until ``expected`` of these tasks have started (one that started after this one while this
    one waits ran alongside it); return the worker's pid. One worker alone would wait in vain and fail."""
    deadline = time.monotonic() + patience
    started = DBTaskResult.objects.filter(
        task_path=MEET, status__in=[TaskResultStatus.RUNNING, TaskResultStatus.SUCCESSFUL]
    )
    while started.count() < expected:
        if time.monotonic() > deadline:
            raise RuntimeError("no other worker took a task alongside")
        time.sleep(0.05)
    return os.getpid()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("worker-db")
    _parta(folder, "migrate", "--no-input", "-v", "0")
    return folder / "journal.sqlite3"


@pytest.fixture
def var(migrated: Path, tmp_path: Path) -> Path:
    shutil.copy(migrated, tmp_path / "journal.sqlite3")
    return tmp_path


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(PARTA_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="parta.sites.journal.settings")
    env.update(PARTA_SYNC_PERIODIC_SECONDS="0", PARTA_SYNC_DEEP_SECONDS="0", PARTA_LOG_LEVEL="ERROR")
    return env


def _parta(var: Path, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "parta.cli", "journal", *args],
        env=_env(var),
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


def _enqueue(var: Path, count: int, patience: float = 30) -> None:
    code = f"from {__name__} import meet\nfor _ in range({count}): meet.enqueue({count}, {patience})"
    _parta(var, "shell", "-c", code)


def _results(var: Path) -> list[tuple[str, object]]:
    code = (
        "import json\nfrom django_tasks_db.models import DBTaskResult\n"
        f"print(json.dumps([(r.status, r.return_value if r.status == 'SUCCESSFUL' else None) "
        f"for r in DBTaskResult.objects.filter(task_path='{MEET}')]))"
    )
    last_line = _parta(var, "shell", "-c", code).strip().splitlines()[-1]
    return [tuple(row) for row in json.loads(last_line)]


def _worker(var: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "parta.cli",
            "journal",
            "tasks_worker",
            "--no-reload",
            "--no-startup-delay",
            *args,
        ],
        env=_env(var),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_two_processes_run_two_tasks_at_once_then_a_batch_ends(var: Path) -> None:
    _enqueue(var, 2)
    supervisor = _worker(var, "--processes", "2", "--batch")
    assert supervisor.wait(timeout=90) == 0
    results = _results(var)
    assert [status for status, _ in results] == ["SUCCESSFUL", "SUCCESSFUL"]
    pids = {pid for _, pid in results}
    assert len(pids) == 2
    assert supervisor.pid not in pids


def test_one_process_by_default_on_sqlite_cannot_run_them_at_once(var: Path) -> None:
    _enqueue(var, 2, patience=3)
    supervisor = _worker(var, "--batch")
    assert supervisor.wait(timeout=120) == 0
    assert [status for status, _ in _results(var)] == ["FAILED", "FAILED"]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_the_workers_stop_with_their_supervisor(var: Path, how: str) -> None:
    supervisor = _worker(var, "--processes", "2", "--interval", "0.2")
    _enqueue(var, 2)
    _wait(lambda: [s for s, _ in _results(var)] == ["SUCCESSFUL", "SUCCESSFUL"])
    pids = [int(pid) for _, pid in _results(var)]  # type: ignore[call-overload]
    assert all(_alive(pid) for pid in pids)

    supervisor.send_signal(getattr(signal, how))
    supervisor.wait(timeout=30)
    if how == "SIGTERM":
        assert supervisor.returncode == 0
    _wait(lambda: not any(_alive(pid) for pid in pids), timeout=30)
