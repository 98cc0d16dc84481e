"""The ID's sign-in over real HTTP: password sign-ins per second per core, and the time of every other step.

    .venv/bin/python bench/id_signin.py                       # SQLite in a temporary folder
    .venv/bin/python bench/id_signin.py --database-url postgresql://postgres@127.0.0.1:5432/parta_id_bench
    options: --signins 300 --clients 4 --samples 200 --server-cpu 0 --with-page --minimal-argon2

Prepares a fresh platform database (SQLite file in a temporary folder, or the PostgreSQL database named in
``--database-url``, dropped and created), migrates it, registers a journal and creates accounts with
educational profiles — those for password sign-ins with a real Argon2id hash of the site's parameters
(``PARTA_ID_ARGON2_*``; one hash computed and given to all of them, as the cost is in verifying). Then it
starts the platform's real server (``uvicorn``, one worker, as ``parta serve platform`` does) pinned to
one CPU (``taskset -c --server-cpu``), keeps this client process off that CPU, and measures:

1. **Password sign-ins per second per core.** ``--clients`` browsers at once, each signing in account
   after account: the phone step (POST ``/id/``, answered with «Введите пароль») and the password step
   (POST ``/id/password/``: Argon2id verification, then the SMS code is sent — into the dev outbox), for
   ``--signins`` different accounts. Sign-ins completed ÷ wall time; the server has one core. With
   ``--with-page`` every sign-in is a fresh browser that loads «Вход» (GET ``/id/``) first.
2. **Time of every other step**, one request at a time (``--samples`` accounts), each through the whole
   flow a journal starts: the authorize request (→ «Вход»), «Вход» page, the phone step of an account
   with a password, the phone step that sends a code (an account without a password), the code confirmed
   (signs in: new session id, «Активные сеансы» row), «Выбор учебного профиля», «Информация о себе» →
   «Продолжить», and the authorize request that answers with the code (302 to the journal). Also the
   password step alone. Median and 95th percentile of the time to the answer over loopback HTTP with
   keep-alive: the server's time plus well under a millisecond of the loopback.

On a shared machine the wall time depends on the neighbours: the throughput run also prints the
server's own CPU time (sign-ins per CPU-second — what one core would give the server alone) and, just
before it, Argon2id alone on the server's core (best and median of 30 verifications). Argon2id is
memory-hard, so its time rises when other processes share the core's cache; ``--minimal-argon2`` runs
the same sign-ins with the smallest Argon2id there is (8 KiB, 1 pass — never a setting for real use), so
the server's CPU per sign-in is then everything but the hash: a real sign-in costs about that plus
Argon2id alone.

Goals (issue 3): ≥ 30 password sign-ins per second per core; p95 ≤ 50 ms for every other step.
Results: RESULTS.md. Codes go to the dev outbox (``PARTA_DEV_OUTBOX=1``); the per-address limits are
raised (every request comes from 127.0.0.1), the per-number ones stay (each account signs in once).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

import requests
from _server import free_port, start_platform, stop  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Correct-horse-9"  # noqa: S105 -- the benchmark accounts' password
CLIENT_ID = "bench-journal"
REDIRECT_URI = "http://127.0.0.1:8000/integration/callback/"
ABOUT = {
    "first_name": "Мария",
    "last_name": "Иванова",
    "middle_name": "Петровна",
    "birth_date": "1986-04-12",
    "gender": "female",
}
GOAL_SIGNINS = 30.0
GOAL_P95_MS = 50.0


def recreate(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def phone(kind: int, index: int) -> str:
    """+7 999 K.. ....: kind 1 — password sign-ins, 2 — timed password steps, 3 — code sign-ins."""
    return f"+7999{kind}{index:06d}"


def setup(*, signins: int, samples: int) -> str:
    """Migrate, register the journal, create the accounts. Returns the password hash's parameters."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from parta.identity.actions.clients import journal_client_register
    from parta.identity.models import Account, EducationalProfile

    call_command("migrate", verbosity=0)
    journal_client_register(client_id=CLIENT_ID, display_name="Бенчмарк", redirect_uris=[REDIRECT_URI])
    hashed = make_password(PASSWORD)  # the site's first hasher: Argon2id with PARTA_ID_ARGON2_*
    with transaction.atomic():
        accounts = [Account(phone=phone(1, i), password=hashed) for i in range(signins)]
        accounts += [Account(phone=phone(2, i), password=hashed) for i in range(samples)]
        accounts += [Account(phone=phone(3, i), password="!") for i in range(samples)]  # noqa: S106
        created = Account.objects.bulk_create(accounts, batch_size=2000)
        EducationalProfile.objects.bulk_create(
            [
                EducationalProfile(
                    account=a,
                    last_name="Иванова",
                    first_name="Мария",
                    middle_name="Петровна",
                    birth_date="1986-04-12",
                    gender="female",
                )
                for a in created
            ],
            batch_size=2000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return hashed.split("$")[3]  # m=…,t=…,p=…


def latest_code(number: str) -> str:
    from parta.identity.models import DevMessage

    code = DevMessage.objects.filter(to=number).order_by("-id").values_list("code", flat=True).first()
    if not code:
        raise SystemExit(f"Код для {number} не найден в dev outbox.")
    return code


class Browser:
    """One person's browser: cookies (session, CSRF) and keep-alive; no redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def _csrf(self) -> dict[str, str]:
        token = self.http.cookies.get("parta_platform_csrftoken", "")
        return {"X-CSRFToken": token, "Referer": self.base + "/id/"}

    def get(self, path: str, expect: int = 200) -> tuple[float, requests.Response]:
        started = time.perf_counter()
        response = self.http.get(self.base + path, allow_redirects=False, timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        check(response, expect, path)
        return elapsed, response

    def post(self, path: str, data: dict[str, str], expect: int = 302) -> tuple[float, requests.Response]:
        started = time.perf_counter()
        response = self.http.post(
            self.base + path, data=data, headers=self._csrf(), allow_redirects=False, timeout=60
        )
        elapsed = (time.perf_counter() - started) * 1000
        check(response, expect, path)
        return elapsed, response


def check(response: requests.Response, expect: int, path: str) -> None:
    if response.status_code != expect:
        raise SystemExit(
            f"{path}: HTTP {response.status_code} вместо {expect}: "
            f"{response.headers.get('Location', '')} {response.text[:300]}"
        )


def authorize_path() -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid phone edu_profile",
            "state": "bench-state",
            "nonce": "bench-nonce",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGlSSdXzGNk",
            "code_challenge_method": "S256",
        }
    )
    return f"/id/authorize/?{query}"


def password_signin(
    browser: Browser, number: str, timings: dict[str, list[float]], lock: threading.Lock, *, page: bool
) -> None:
    """One password sign-in: the phone step and the password step (with «Вход» first when ``page``)."""
    shown = browser.get("/id/")[0] if page else None
    step, response = browser.post("/id/", {"login": number})
    assert response.headers["Location"] == "/id/password/", response.headers["Location"]
    password, response = browser.post("/id/password/", {"password": PASSWORD})
    assert response.headers["Location"] == "/id/code/", response.headers["Location"]
    with lock:
        if shown is not None:
            timings["«Вход» (GET /id/)"].append(shown)
        timings["шаг телефона"].append(step)
        timings["шаг пароля (Argon2id + отправка кода)"].append(password)


def throughput(
    base: str, *, signins: int, clients: int, page: bool
) -> tuple[float, float, dict[str, list[float]]]:
    """Password sign-ins per second by ``clients`` browsers at once. Without ``page`` each browser loads
    «Вход» once (for its CSRF cookie) and then signs in account after account — the phone step and the
    password step, as the goal counts a sign-in; with ``page`` every sign-in is a fresh browser that
    loads «Вход» first."""
    numbers = [phone(1, i) for i in range(signins)]
    timings: dict[str, list[float]] = {
        "«Вход» (GET /id/)": [],
        "шаг телефона": [],
        "шаг пароля (Argon2id + отправка кода)": [],
    }
    lock = threading.Lock()
    queue = iter(numbers)
    errors: list[BaseException] = []
    browsers = [Browser(base) for _ in range(clients)]
    if not page:
        for browser in browsers:
            browser.get("/id/")

    def worker(browser: Browser) -> None:
        while True:
            with lock:
                number = next(queue, None)
            if number is None:
                return
            try:
                password_signin(Browser(base) if page else browser, number, timings, lock, page=page)
            except BaseException as error:
                errors.append(error)
                return

    threads = [threading.Thread(target=worker, args=(browser,)) for browser in browsers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return signins / wall, wall, timings


def steps(base: str, *, samples: int) -> dict[str, list[float]]:
    """Every other step, one request at a time."""
    timings: dict[str, list[float]] = {}

    def record(name: str, value: float) -> None:
        timings.setdefault(name, []).append(value)

    authorize = authorize_path()
    for i in range(samples):
        # An account with a password: the phone step alone, then the password step alone.
        browser = Browser(base)
        browser.get("/id/")
        record("шаг телефона (аккаунт с паролем)", browser.post("/id/", {"login": phone(2, i)})[0])
        record(
            "шаг пароля (Argon2id + отправка кода), по одному",
            browser.post("/id/password/", {"password": PASSWORD})[0],
        )

        # An account without a password, the way a journal sends it: authorize → screens → authorize.
        browser = Browser(base)
        elapsed, response = browser.get(authorize, expect=302)
        record("authorize → «Вход» (не вошёл)", elapsed)
        signin = response.headers["Location"]
        assert signin == "/id/?next=" + quote(authorize), signin
        record("«Вход» (GET /id/?next=…)", browser.get(signin)[0])
        number = phone(3, i)
        elapsed, response = browser.post("/id/", {"login": number})
        assert response.headers["Location"] == "/id/code/"
        record("шаг телефона с отправкой кода (SMS в dev outbox)", elapsed)
        record("«Подтвердите вход» (GET /id/code/)", browser.get("/id/code/")[0])
        elapsed, response = browser.post("/id/code/", {"code": latest_code(number)})
        assert response.headers["Location"] == "/id/profile/", response.headers["Location"]
        record("код подтверждён (вход, новая сессия)", elapsed)
        record("«Выбор учебного профиля» (GET /id/profile/)", browser.get("/id/profile/")[0])
        record("«Информация о себе» (GET)", browser.get("/id/profile/about/")[0])
        elapsed, response = browser.post("/id/profile/about/", ABOUT)
        assert response.headers["Location"] == authorize, response.headers["Location"]
        record("«Информация о себе» → «Продолжить»", elapsed)
        elapsed, response = browser.get(authorize, expect=302)
        assert response.headers["Location"].startswith(REDIRECT_URI + "?code="), response.headers["Location"]
        record("authorize → код журналу (302)", elapsed)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far (``/proc/<pid>/stat``); 0 elsewhere.

    On a shared machine the wall time of the throughput run depends on what else runs on the server's
    core; the server's own CPU time does much less: sign-ins ÷ CPU seconds is what one core would give
    the server alone.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


ARGON2_ALONE = """
import statistics, sys, time
from argon2 import PasswordHasher
m, t, p = (int(part.split("=")[1]) for part in sys.argv[1].split(","))
hasher = PasswordHasher(memory_cost=m, time_cost=t, parallelism=p)
hashed = hasher.hash("Correct-horse-9")
times = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    hasher.verify(hashed, "Correct-horse-9")
    times.append((time.perf_counter() - started) * 1000)
print(f"{min(times):.1f} {statistics.median(times):.1f}")
"""


def argon2_alone(params: str, *, cpu: int | None, count: int = 30) -> tuple[float, float]:
    """Best and median milliseconds of one Argon2id verification with ``params``, on the server's core."""
    command = [sys.executable, "-c", ARGON2_ALONE, params, str(count)]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    best, median = subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()
    return float(best), float(median)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL; без него — SQLite во временной папке")
    parser.add_argument(
        "--signins", type=int, default=300, help="входов по паролю в замере пропускной способности"
    )
    parser.add_argument("--clients", type=int, default=4, help="одновременных браузеров в этом замере")
    parser.add_argument("--samples", type=int, default=200, help="входов, по которым меряется каждый шаг")
    parser.add_argument("--server-cpu", type=int, default=0, help="процессор, к которому привязан сервер")
    parser.add_argument(
        "--with-page", action="store_true", help="каждый вход — новый браузер, сначала GET «Вход»"
    )
    parser.add_argument(
        "--minimal-argon2",
        action="store_true",
        help="Argon2id 8 КиБ × 1 проход (не для работы): процессор сервера на всё, кроме хеша",
    )
    options = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="parta-id-bench-"))
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="parta.sites.platform.settings",
        PARTA_VAR_DIR=str(var),
        PARTA_DEV_OUTBOX="1",
        PARTA_LOG_LEVEL="ERROR",
        PARTA_ID_SENDS_PER_IP="1000000/600",
        PARTA_ID_PHONE_STEPS_PER_IP="1000000/600",
    )
    env.pop("PARTA_TESTING", None)
    if options.minimal_argon2:
        # The smallest Argon2id there is: its ~0.02 ms leave the CPU of everything else in a sign-in,
        # which Argon2id's own time (memory-hard: it varies with what shares the core's cache) hides.
        env.update(
            PARTA_ID_ARGON2_MEMORY_KIB="8", PARTA_ID_ARGON2_TIME_COST="1", PARTA_ID_ARGON2_PARALLELISM="1"
        )
    if options.database_url:
        env["PARTA_PLATFORM_DATABASE_URL"] = options.database_url
        recreate(options.database_url)
    else:
        env.pop("PARTA_PLATFORM_DATABASE_URL", None)
        env.pop("DATABASE_URL", None)
    os.environ.clear()
    os.environ.update(env)

    started = time.perf_counter()
    params = setup(signins=options.signins, samples=options.samples)
    from django.db import connection

    vendor = connection.vendor
    print(
        f"Подготовка: {time.perf_counter() - started:.1f} с; база {vendor}; Argon2id {params}",
        file=sys.stderr,
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env["PARTA_OIDC_ISSUER"] = f"{base}/id"
    cpus = os.cpu_count() or 1
    pinned = shutil.which("taskset") is not None and cpus > 1
    if pinned:
        os.sched_setaffinity(0, set(range(cpus)) - {options.server_cpu})
    argon2_best, argon2_median = argon2_alone(params, cpu=options.server_cpu if pinned else None)
    load_before = os.getloadavg()
    server = start_platform(env, port=port, cpu=options.server_cpu if pinned else None)
    try:
        for _ in range(20):  # warm-up: templates, connections, the JWKS key
            Browser(base).get("/id/")
        cpu_before = cpu_seconds(server.pid)
        rate, wall, loaded = throughput(
            base, signins=options.signins, clients=options.clients, page=options.with_page
        )
        cpu = cpu_seconds(server.pid) - cpu_before
        timed = steps(base, samples=options.samples)
    finally:
        stop(server)
        shutil.rmtree(var, ignore_errors=True)
    load_after = os.getloadavg()

    core = "1 ядро (taskset)" if pinned else f"{cpus} ядер (без привязки)"
    print(f"Машина: {cpu_model()}, {cpus} ядер; сервер: uvicorn, 1 процесс, {core}; база {vendor}")
    print(f"Нагрузка (load average за 1 мин) до/после: {load_before[0]:.1f} / {load_after[0]:.1f}")
    print()
    verdict = "цель ≥ 30 достигнута" if rate >= GOAL_SIGNINS else "НИЖЕ цели 30"
    what = "«Вход» + шаг телефона + шаг пароля" if options.with_page else "шаг телефона + шаг пароля"
    print(
        f"Входов по паролю ({what}): {options.signins} за {wall:.1f} с, {options.clients} браузера "
        f"одновременно → {rate:.1f} в секунду на ядро ({verdict})"
    )
    print(
        f"Argon2id отдельно на том же ядре (перед замером): {argon2_best:.1f} мс в лучшем случае, "
        f"{argon2_median:.1f} мс медиана"
    )
    if cpu:
        print(
            f"Процессорное время сервера за этот замер: {cpu:.1f} с ({cpu / wall:.0%} ядра) → "
            f"{options.signins / cpu:.1f} входа на секунду процессора, {cpu / options.signins * 1000:.1f} мс "
            "на вход"
        )
    if options.minimal_argon2:
        print(
            "Argon2id здесь минимальный (8 КиБ × 1): время процессора на вход — всё, кроме проверки пароля."
        )
    print()
    print(f"{'шаг':<56} {'медиана, мс':>12} {'p95, мс':>9}")
    rows: list[tuple[str, list[float], Callable[[float], str]]] = []
    for name, values in loaded.items():
        if not values:
            continue
        rows.append((f"{name} — под нагрузкой", values, lambda _p95: ""))
    for name, values in timed.items():
        is_password = name.startswith("шаг пароля")
        rows.append(
            (
                name,
                values,
                (lambda _p95: "") if is_password else (lambda p95: "" if p95 <= GOAL_P95_MS else "  > 50"),
            )
        )
    for name, values, flag in rows:
        p95 = percentile(values, 0.95)
        print(f"{name:<56} {statistics.median(values):>12.1f} {p95:>9.1f}{flag(p95)}")


if __name__ == "__main__":
    main()
