"""The platform's real server for a benchmark: uvicorn on a free port, as `parta serve platform` runs it.

port = free_port()
server = start_platform(env, port=port, cpu=0)   # waits until /healthz answers 200
try:
    ...
finally:
    stop(server)
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_platform(
    env: dict[str, str], *, port: int, cpu: int | None = None, timeout: float = 60.0
) -> subprocess.Popen[bytes]:
    """Start the platform's ASGI server (one process; pinned to ``cpu`` with taskset when given and
    available) and wait until ``/healthz`` answers 200. Exits with a message if it dies or never answers."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "parta.sites.platform.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"Сервер завершился с кодом {server.returncode}.")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return server
        except (OSError, urllib.error.URLError):  # not listening yet, or too slow on a busy machine
            pass
        time.sleep(0.2)
    stop(server)
    raise SystemExit(f"Сервер не ответил за {timeout:.0f} с.")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
