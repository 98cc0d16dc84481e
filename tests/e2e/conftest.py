"""Browser tests: both sides run as real servers (uvicorn) on free loopback ports, each on its own fresh
database — SQLite files in a temporary folder, or, when ``DATABASE_URL`` points at PostgreSQL, two new
databases on that server — with the demo region loaded. Playwright drives Debian's chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium_path() -> str | None:
    candidate = os.environ.get("PARTA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else None


# The phones whose ID accounts "have" a signed-in messenger session in the browser tests, so the ID
# offers a push code to them (and to nobody else): see PARTA_ID_DEV_PUSH_PHONES in docs/identity.md.
PUSH_PHONES = ("+79992000090", "+79997004900")  # the second: manual 004's walk (manual_steps.py)
# Where the platform's conferences "run" in the browser tests (a reserved name: nothing answers there).
JITSI_URL = "https://meet.parta-e2e.invalid"


@dataclass(frozen=True)
class Parta:
    journal: str
    platform: str
    env: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def platform_shell(self, code: str) -> str:
        """Run Python in the platform's Django (``parta platform shell -c``) on the servers' database."""
        result = subprocess.run(
            [sys.executable, "-m", "parta.cli", "platform", "shell", "--no-imports", "-c", code],
            env=dict(self.env, DJANGO_SETTINGS_MODULE="parta.sites.platform.settings"),
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def outbox(self, phone: str) -> list[dict[str, Any]]:
        """What the ID "sent" to ``phone``, newest first (``/dev/outbox/?format=json&phone=…``)."""
        query = urllib.parse.urlencode({"format": "json", "phone": phone})
        with urllib.request.urlopen(f"{self.platform}/dev/outbox/?{query}", timeout=10) as response:  # noqa: S310 -- loopback
            return list(json.load(response))

    def latest_message(self, phone: str, channel: str | None = None) -> dict[str, Any]:
        """The newest message to ``phone`` (of ``channel``, if given): its ``code``, ``caller_number``…"""
        for message in self.outbox(phone):
            if channel is None or message["channel"] == channel:
                return message
        raise AssertionError(f"the dev outbox has no {channel or ''} message for {phone}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fresh_postgres_databases(url: str) -> dict[str, str]:
    """Two new databases beside the one in ``url``; returns their URLs by side."""
    import psycopg
    from psycopg import sql

    base, _, _ = url.rpartition("/")
    urls = {}
    with psycopg.connect(url, autocommit=True) as connection:
        for side in ("journal", "platform"):
            # PARTA_E2E_DB_SUFFIX: two runs on one PostgreSQL server do not drop each other's databases.
            name = f"parta_e2e_{side}{os.environ.get('PARTA_E2E_DB_SUFFIX', '')}"
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            urls[side] = f"{base}/{name}"
    return urls


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@pytest.fixture(scope="session")
def parta(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parta]:
    if chromium_path() is None:
        pytest.skip(
            "Chromium не найден (/usr/bin/chromium): установите Debian-пакет chromium "
            "(apt-get install chromium), чтобы запустить браузерные тесты"
        )
    var = tmp_path_factory.mktemp("var")
    env = dict(
        os.environ,
        PARTA_VAR_DIR=str(var),
        PARTA_DEV_OUTBOX="1",
        PARTA_TESTING="1",
        PARTA_ID_DEV_PUSH_PHONES=",".join(PUSH_PHONES),
        # Every browser test signs in from 127.0.0.1: the per-address limits are unit-tested instead.
        PARTA_ID_SENDS_PER_IP="100000/600",
        PARTA_ID_PHONE_STEPS_PER_IP="100000/600",
        # The platform's clock moves by the seconds written into this file (parta/core/clock.py).
        PARTA_CLOCK_OFFSET_FILE=str(var / "clock-offset"),
        # Conferences mint Jitsi links (never opened: the tests stop at the redirect).
        PARTA_VIDEO_ENGINE="jitsi",
        PARTA_JITSI_URL=JITSI_URL,
        PARTA_JITSI_APP_ID="parta-e2e",
        PARTA_JITSI_APP_SECRET="parta-e2e-jitsi-secret-0123456789",
    )
    database_url = env.pop("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        for side, url in _fresh_postgres_databases(database_url).items():
            env[f"PARTA_{side.upper()}_DATABASE_URL"] = url
    cli = [sys.executable, "-m", "parta.cli"]
    for side in ("journal", "platform"):
        subprocess.run([*cli, side, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    subprocess.run(
        [*cli, "journal", "seed", "--preset", "demo"], env=env, check=True, stdout=subprocess.DEVNULL
    )

    ports = {"journal": _free_port(), "platform": _free_port()}
    # The ID's issuer is the platform's real address, so journals can sign in through it (OIDC).
    env["PARTA_OIDC_ISSUER"] = f"http://127.0.0.1:{ports['platform']}/id"
    processes = []
    logs = []
    for side, port in ports.items():
        log = (var / f"{side}.log").open("wb")
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    f"parta.sites.{side}.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                env=dict(env, DJANGO_SETTINGS_MODULE=f"parta.sites.{side}.settings"),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        for (_side, port), process in zip(ports.items(), processes, strict=True):
            _wait(f"http://127.0.0.1:{port}/healthz", process)
        yield Parta(
            journal=f"http://127.0.0.1:{ports['journal']}",
            platform=f"http://127.0.0.1:{ports['platform']}",
            env=env,
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


@pytest.fixture(scope="session")
def browser(parta: Parta):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    context = browser.new_context(
        locale="ru-RU", timezone_id="Europe/Moscow", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def phone(browser, request: pytest.FixtureRequest):
    """A phone-sized page, as a parent would open the journal."""
    context = browser.new_context(
        locale="ru-RU",
        timezone_id="Europe/Moscow",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
