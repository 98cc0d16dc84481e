"""The ``parta`` command.

parta demo                      both sides with their workers, on the demo region (Ctrl-C stops all)
parta serve journal|platform    one side's ASGI server
parta worker journal|platform   one side's task worker, which also queues its periodic tasks
parta journal <command> …       any management command of the journal side (migrate, seed, rollover, …)
parta platform <command> …      any management command of the platform side
parta seed|rollover|import|export|sync …   shortcuts for the journal side's commands
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from parta.journal.demo import DEMO_LOGINS, DEMO_PASSWORD
from parta.sites.base import VAR_DIR

SIDES = ("journal", "platform")
SHORTCUTS = {
    "seed": "seed",
    "rollover": "rollover",
    "import": "oneroster_import",
    "export": "oneroster_export",
    "sync": "sync",
}


def _settings(side: str) -> str:
    return f"parta.sites.{side}.settings"


def manage(side: str, argv: Sequence[str]) -> None:
    """Run a Django management command of one side in this process."""
    os.environ["DJANGO_SETTINGS_MODULE"] = _settings(side)
    from django.core.management import execute_from_command_line

    execute_from_command_line([f"parta {side}", *argv])


def _side_env(side: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = _settings(side)
    return env


def _run(side: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "parta.cli", side, *args], check=True, env=_side_env(side))


def _serve_command(side: str, port: int, host: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        f"parta.sites.{side}.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def _worker_command(side: str) -> list[str]:
    """The side's task worker, which also queues its periodic tasks (parta/core/periodic.py)."""
    return [sys.executable, "-m", "parta.cli", side, "tasks_worker", "--interval", "0.5", "--no-reload"]


def _wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- our own loopback URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"Сервер {url} не ответил за {timeout:.0f} с.")


DEMO_JOURNAL_CLIENT_ID = "demo-journal"
DEMO_JOURNAL_NAME = "БАРС.Электронная школа"


def _register_demo_journal(host: str, journal_port: int) -> Path:
    """Register the demo journal with the ID (idempotent), its secret and API token kept in var/."""
    credentials = VAR_DIR / "demo-journal-client.json"
    origin = f"http://{host}:{journal_port}"
    _run(
        "platform",
        "register_journal",
        "--client-id",
        DEMO_JOURNAL_CLIENT_ID,
        "--name",
        DEMO_JOURNAL_NAME,
        "--redirect-uri",
        f"{origin}/integration/callback/",
        "--redirect-uri",  # the same journal opened as localhost (the integration builds it from the request)
        f"http://localhost:{journal_port}/integration/callback/",
        "--post-logout-redirect-uri",
        f"{origin}/",
        "--credentials-file",
        str(credentials),
        "-v",
        "0",
    )
    return credentials


def _register_demo_webhooks(host: str, journal_port: int) -> Path:
    """Point the platform's webhooks for the demo journal at the journal, and keep the signing secret where
    the integration reads it (``PARTA_INTEGRATION_WEBHOOK_SECRET_FILE``; docs/integration.md)."""
    secret_file = VAR_DIR / "demo-journal-webhook-secret"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "parta.cli",
            "platform",
            "webhook_endpoint",
            DEMO_JOURNAL_CLIENT_ID,
            f"http://{host}:{journal_port}/integration/webhooks/sphere/",
        ],
        check=True,
        env=_side_env("platform"),
        capture_output=True,
        text=True,
    )
    secret = result.stdout.strip().splitlines()[-1]
    secret_file.write_text(secret + "\n", encoding="utf-8")
    secret_file.chmod(0o600)
    return secret_file


def demo(host: str = "127.0.0.1") -> None:
    journal_port = int(os.environ.get("PARTA_JOURNAL_PORT", "8000"))
    platform_port = int(os.environ.get("PARTA_PLATFORM_PORT", "8001"))
    os.environ.setdefault("PARTA_DEV_OUTBOX", "1")
    os.environ.setdefault("PARTA_OIDC_ISSUER", f"http://{host}:{platform_port}/id")
    for side in SIDES:
        print(f"Готовлю базу данных: {side}…", flush=True)
        _run(side, "migrate", "--no-input", "-v", "0")
    _run("journal", "seed", "--if-empty", "--preset", "demo")
    credentials = _register_demo_journal(host, journal_port)
    webhook_secret = _register_demo_webhooks(host, journal_port)

    processes: list[subprocess.Popen[bytes]] = []
    for side, port in (("journal", journal_port), ("platform", platform_port)):
        processes.append(subprocess.Popen(_serve_command(side, port, host), env=_side_env(side)))
        processes.append(subprocess.Popen(_worker_command(side), env=_side_env(side)))

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def on_sigterm(*_: object) -> None:
        stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        _wait_healthy(f"http://{host}:{journal_port}/healthz")
        _wait_healthy(f"http://{host}:{platform_port}/healthz")
        print()
        print(f"Журнал:    http://{host}:{journal_port}/")
        print(
            f"Платформа: http://{host}:{platform_port}/   (отправленные коды: http://{host}:{platform_port}/dev/outbox/)"
        )
        print(f"Администрирование журнала: http://{host}:{journal_port}/admin/")
        print(f"Журнал — клиент Сферум ID «{DEMO_JOURNAL_CLIENT_ID}»: секрет и токен API в {credentials}")
        print("  (интеграция со Сферум читает их оттуда: docs/integration.md)")
        hooks = f"http://{host}:{journal_port}/integration/webhooks/sphere/"
        print(f"Вебхуки платформы → {hooks} (секрет подписи в {webhook_secret})")
        print()
        print(f"Демо-входы (пароль у всех «{DEMO_PASSWORD}»):")
        for login, who in DEMO_LOGINS:
            print(f"  {login:<8} — {who}")
        print()
        print("Остановить: Ctrl-C", flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("Один из процессов завершился — останавливаю остальные.", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nОстанавливаю…")
    finally:
        stop()


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    command, rest = args[0], args[1:]
    if command in SIDES:
        manage(command, rest)
    elif command in SHORTCUTS:
        manage("journal", [SHORTCUTS[command], *rest])
    elif command == "demo":
        demo()
    elif command in {"serve", "worker"}:
        parser = argparse.ArgumentParser(prog=f"parta {command}")
        parser.add_argument("side", choices=SIDES)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int)
        options = parser.parse_args(rest)
        if command == "serve":
            default_port = 8000 if options.side == "journal" else 8001
            argv_ = _serve_command(options.side, options.port or default_port, options.host)
        else:
            argv_ = _worker_command(options.side)
        os.execvpe(argv_[0], argv_, _side_env(options.side))  # noqa: S606 -- replaces this process by the server
    else:
        print(f"Неизвестная команда «{command}». Справка: parta --help", file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    main()
