"""`parta demo` — what `make demo` runs — sets everything up, serves both sides and stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.e2e.conftest import _free_port


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 -- loopback
        return json.loads(response.read())


def test_demo_serves_both_sides_prints_the_logins_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    journal_port, platform_port = _free_port(), _free_port()
    env = dict(
        os.environ,
        PARTA_VAR_DIR=str(tmp_path),
        PARTA_JOURNAL_PORT=str(journal_port),
        PARTA_PLATFORM_PORT=str(platform_port),
    )
    env.pop("DATABASE_URL", None)  # the embedded default: SQLite files under PARTA_VAR_DIR
    log = (tmp_path / "demo.log").open("w+")
    demo = subprocess.Popen(
        [sys.executable, "-m", "parta.cli", "demo"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while "Остановить: Ctrl-C" not in Path(log.name).read_text():
            assert demo.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, "parta demo did not start in time"
            time.sleep(0.5)
        output = Path(log.name).read_text()
        assert f"http://127.0.0.1:{journal_port}/" in output
        assert f"http://127.0.0.1:{platform_port}/" in output
        for login in ("teacher", "parent", "student", "admin"):
            assert login in output
        assert "parta-demo" in output
        assert _get_json(f"http://127.0.0.1:{journal_port}/healthz")["database"]["ok"] is True
        assert _get_json(f"http://127.0.0.1:{platform_port}/healthz")["side"] == "platform"
        assert (tmp_path / "journal.sqlite3").exists()
        assert (tmp_path / "platform.sqlite3").exists()
    finally:
        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, as in a terminal
        returncode = demo.wait(timeout=30)
        log.close()
    assert returncode == 0
    # Nothing is left listening.
    for port in (journal_port, platform_port):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except OSError:
            continue
        raise AssertionError(f"port {port} still answers after Ctrl-C")
