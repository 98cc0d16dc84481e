"""Roster → chats at region scale on PostgreSQL: the initial full sync and a reconcile with nothing to do,
both sides running (the platform as its real server, the journal's `parta sync --all`).

    .venv/bin/python bench/region_sync.py --students 20000          # generate, link half, sync twice
    .venv/bin/python bench/region_sync.py --students 20000 --reuse  # keep the generated journal database

1. the journal's region: ``bench/generate_region.py --students N --database parta_sync_journal`` (skipped
   with ``--reuse`` when the database exists);
2. the platform's database ``parta_sync_platform`` dropped, created and migrated; a journal client with an
   API token; every school an organization; **half** of the journal's accounts (even ids) get an ID
   account, an educational profile, a membership and a link in each school of their roles (bulk inserts);
   the journal gets the matching active bindings (``integration_binding``) and an empty ledger;
3. the platform's server (uvicorn, as ``parta serve platform``) on a free port;
4. ``parta journal sync --all --timings`` timed: the initial full sync (every chat created), the no-op
   reconcile (every school's version unchanged: skipped in O(1)), and ``--deep`` (desired state computed
   and diffed for every school, nothing sent), each with its time per step (journal SQL, diff, HTTP +
   platform, ledger writes);
5. the per-account fast path while a ``--deep`` full reconcile runs in another process: ``--fast N``
   accounts unlinked and linked again (``sync_account``, as the worker's high-priority task runs it),
   each timed from the start of the task to the platform's answer (p50 / p95).

Prints the sizes, both times and a line ready for RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from _server import free_port, start_platform, stop  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql://postgres@127.0.0.1:5432"
TOKEN = "pj_sync_bench_" + "x" * 32
NS = uuid.UUID("6f1c2d9e-5a1b-4c1d-8e1f-000000000000")

LINKS_SQL = """
SELECT DISTINCT a.id, s.sourced_id, r.role FROM (
  SELECT e.student_id AS person_id, c.school_id, 'student' AS role
    FROM journal_enrolment e JOIN journal_schoolclass c ON c.id = e.school_class_id
    JOIN journal_academicyear y ON y.id = c.year_id AND y.is_current WHERE e.ends_on IS NULL
  UNION ALL
  SELECT g.guardian_id, c.school_id, 'parent' FROM journal_guardianship g
    JOIN journal_enrolment e ON e.student_id = g.student_id AND e.ends_on IS NULL
    JOIN journal_schoolclass c ON c.id = e.school_class_id
    JOIN journal_academicyear y ON y.id = c.year_id AND y.is_current
  UNION ALL
  SELECT sa.person_id, sa.school_id, 'teacher' FROM journal_staffassignment sa WHERE sa.ends_on IS NULL
) r JOIN journal_account a ON a.person_id = r.person_id AND a.is_active AND a.id % 2 = 0
JOIN journal_school s ON s.id = r.school_id
"""

FAST_PATH = r"""
import random, statistics, sys, time
import django
django.setup()
from parta.integration.actions.sync import sync_account
from parta.integration.models import Binding

count = int(sys.argv[1])
rows = list(Binding.objects.filter(state="active", role="student").values_list("pk", "account_id")[:200000])
random.seed(6)
times = []
for pk, account_id in random.sample(rows, min(count, len(rows))):
    for state, reason in (("ended", "unlinked"), ("active", "linked")):
        Binding.objects.filter(pk=pk).update(state=state)
        started = time.perf_counter()
        result = sync_account(account_id=account_id, reason=reason)
        times.append(time.perf_counter() - started)
        assert result.changes >= 1 and not result.deferred, (account_id, result)
times.sort()
print(f"{statistics.median(times):.3f} {times[int(0.95 * (len(times) - 1))]:.3f} {len(times)}")
"""

PLATFORM_SETUP = r"""
import hashlib, sys, uuid, json
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from oauth2_provider.models import Application
from parta.identity.models import Account, EducationalProfile, JournalClient
from parta.messenger.models import Link, Membership, Organization

data = json.load(open(sys.argv[1]))
call_command("migrate", verbosity=0)
now = timezone.now()
with transaction.atomic():
    app = Application.objects.create(name="Бенчмарк", client_id="bench-journal",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:8000/integration/callback/", algorithm=Application.RS256_ALGORITHM)
    client = JournalClient.objects.create(application=app, display_name="Бенчмарк",
        api_token_digest=hashlib.sha256(data["token"].encode()).hexdigest())
    orgs = {ref: Organization.objects.create(client=client, ref=ref, name=name)
            for ref, name in data["schools"]}
    subs = sorted({sub for sub, _, _ in data["links"]})
    accounts = Account.objects.bulk_create(
        [Account(phone=f"+79{i:09d}", password="!") for i in range(len(subs))], batch_size=5000)
    profiles = EducationalProfile.objects.bulk_create([
        EducationalProfile(account=a, sub=uuid.UUID(sub), last_name="Пользователь", first_name=f"№{i}",
                           birth_date="1990-01-01", gender="male")
        for i, (a, sub) in enumerate(zip(accounts, subs))], batch_size=5000)
    by_sub = {str(p.sub): p for p in profiles}
    seen = set()
    members, links = [], []
    for sub, ref, account in data["links"]:
        if (sub, ref) in seen:
            continue
        seen.add((sub, ref))
        members.append(Membership(organization=orgs[ref], profile=by_sub[sub], is_student=True))
        links.append(Link(client=client, organization=orgs[ref], profile=by_sub[sub], profile_sub=sub,
                          journal_account_ref=str(account), roles=["student"], created_at=now,
                          updated_at=now))
    Membership.objects.bulk_create(members, batch_size=5000)
    Link.objects.bulk_create(links, batch_size=5000)
with connection.cursor() as cursor:
    cursor.execute("VACUUM ANALYZE")
print(len(profiles), len(links))
"""


def recreate(name: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def exists(name: str) -> bool:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def deep_by_worker(*, env: dict[str, str], processes: int) -> str:
    """The periodic path: ``sync_all_deep_task`` queues every school, and the journal's task worker with
    ``processes`` processes runs them (``--batch``: until the queue is empty). Returns the summary."""
    journal = dict(env, DJANGO_SETTINGS_MODULE="parta.sites.journal.settings")
    # only the queued schools: the workers' own periodic tasks would queue more
    for off in ("PARTA_SYNC_PERIODIC_SECONDS", "PARTA_SYNC_DEEP_SECONDS", "PARTA_INTEGRATION_REPAIR_SECONDS"):
        journal[off] = "0"
    base = [sys.executable, "-m", "parta.cli", "journal"]
    print(f"--deep by the worker: load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    started = time.perf_counter()
    queue = "from parta.integration.tasks import sync_all_deep_task\nprint(sync_all_deep_task.call())"
    queued = subprocess.run(
        [*base, "shell", "-c", queue], env=journal, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()[-1]
    run = [*base, "tasks_worker", "--processes", str(processes), "--batch", "--no-startup-delay", "-v", "0"]
    subprocess.run(run, env=journal, cwd=ROOT, check=True)
    seconds = time.perf_counter() - started
    summary = f"{seconds:.1f} s, {queued} schools, {processes} processes"
    print(f"--deep by the worker: {summary}", file=sys.stderr)
    return summary


def year_rollover(
    *,
    command: list[str],
    env: dict[str, str],
    journal_url: str,
    profile: str | None,
    server_pid: int,
    jobs: int,
) -> str:
    """The new school year end to end: the journal's rollover, then the sync that carries it to the chats
    (class chats renamed with their cohort, graduates out, the new-year notice). Returns the summary.
    With ``profile``, the sync is sampled into ``rollover-journal.txt`` and ``rollover-platform.txt``."""
    with psycopg.connect(journal_url) as conn:
        (year,) = conn.execute("SELECT start_year FROM journal_academicyear WHERE is_current").fetchone()
        before = conn.execute("SELECT count(*) FROM integration_syncmember").fetchone()[0]
    print(f"rollover {year} → {year + 1}: load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    started = time.perf_counter()
    rollover = ["journal", "rollover", "--to", str(year + 1), "--jobs", str(jobs), "-v", "0"]
    with CpuSplit(server_pid) as rolled_cpu:
        rolled = subprocess.run(
            [sys.executable, "-m", "parta.cli", *rollover],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    journal_seconds = time.perf_counter() - started
    print(
        f"rollover (journal): {journal_seconds:.1f} s\n{rolled_cpu}\n{rolled.stderr.strip()[-800:]}",
        file=sys.stderr,
    )
    if rolled.returncode:
        raise SystemExit(rolled.returncode)
    sampler = None
    if profile:
        sampler, command = profiled(profile, server_pid, command, prefix="rollover-")
    with CpuSplit(server_pid) as synced_cpu:
        synced = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    total = time.perf_counter() - started
    if sampler is not None:
        sampler.send_signal(signal.SIGINT)
        sampler.wait(timeout=60)
    print(
        f"rollover sync: {total - journal_seconds:.1f} s — {synced.stdout.strip()}\n{synced_cpu}\n"
        f"{synced.stderr.strip()[-1500:]}",
        file=sys.stderr,
    )
    if synced.returncode:
        raise SystemExit(synced.returncode)
    with psycopg.connect(journal_url) as conn:
        after = conn.execute("SELECT count(*) FROM integration_syncmember").fetchone()[0]
        renamed = conn.execute(
            "SELECT count(*) FROM integration_syncchange "
            "WHERE created_at >= now() - %s * interval '1 second'",
            (total + 5,),
        ).fetchone()[0]
    return (
        f"{total:.1f} s (journal {journal_seconds:.1f} s with --jobs {jobs} + "
        f"sync {total - journal_seconds:.1f} s; "
        f"members {before:,} → {after:,}; {renamed:,} changes recorded)"
    )


class CpuSplit:
    """Whose CPU a step used: the journal's command (this process's children), the platform's server
    (its /proc counters) and the rest of the machine — PostgreSQL, on an otherwise idle machine (Linux)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def _machine(self) -> float:
        with open("/proc/stat") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / self.tick  # all but idle and iowait

    def _server(self) -> float:
        with open(f"/proc/{self.server_pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime

    def __enter__(self) -> CpuSplit:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.start = (self._machine(), self._server(), children.ru_utime + children.ru_stime)
        return self

    def __exit__(self, *exc: object) -> None:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        machine = self._machine() - self.start[0]
        self.platform = self._server() - self.start[1]
        self.journal = children.ru_utime + children.ru_stime - self.start[2]
        self.rest = max(0.0, machine - self.platform - self.journal)

    def __str__(self) -> str:
        return (
            f"CPU: journal {self.journal:.1f} s, platform {self.platform:.1f} s, "
            f"PostgreSQL and the rest {self.rest:.1f} s"
        )


def profiled(
    folder: str, server_pid: int, command: list[str], *, prefix: str = ""
) -> tuple[subprocess.Popen[bytes], list[str]]:
    """py-spy sampling the platform's server (in the background) and the journal's command (wrapped), into
    ``{prefix}platform.txt`` and ``{prefix}journal.txt``."""
    pyspy = os.environ.get("PYSPY") or shutil.which("py-spy")
    if not pyspy:
        raise SystemExit("--profile: py-spy не найден (PATH или $PYSPY).")
    Path(folder).mkdir(parents=True, exist_ok=True)
    record = [pyspy, "record", "--format", "raw", "--rate", "200", "--nonblocking"]
    sampler = subprocess.Popen(
        [*record, "-o", f"{folder}/{prefix}platform.txt", "--pid", str(server_pid)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # --subprocesses: `parta sync --jobs N` runs the schools in forked worker processes
    return sampler, [*record, "--subprocesses", "-o", f"{folder}/{prefix}journal.txt", "--", *command]


def main() -> None:
    import json
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--reuse", action="store_true", help="Keep the journal's database if it exists.")
    parser.add_argument("--jobs", type=int, default=1, help="Schools at once (`parta sync --jobs`).")
    parser.add_argument("--fast", type=int, default=50, help="Accounts for the fast-path latency (0: skip).")
    parser.add_argument(
        "--worker",
        type=int,
        default=0,
        metavar="N",
        help="Also time the nightly --deep reconcile as the task workers run it: every school queued "
        "(sync_all_deep_task), then `tasks_worker --processes N --batch` until the queue is empty.",
    )
    parser.add_argument(
        "--rollover",
        action="store_true",
        help="At the end, roll the journal over to the next school year and time it end to end: "
        "`parta journal rollover`, then `parta journal sync --all` until the platform is in step.",
    )
    parser.add_argument(
        "--rollover-jobs",
        type=int,
        default=1,
        metavar="N",
        help="Schools the journal's rollover moves at once (`parta journal rollover --jobs N`).",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="Sample both processes with py-spy during the initial full sync (py-spy on PATH or in "
        "$PYSPY; not a project dependency) into DIR/journal.txt and DIR/platform.txt, collapsed stacks "
        "(`bench/profile_top.py` sums them per function); with --rollover, the rollover's sync too, into "
        "DIR/rollover-journal.txt and DIR/rollover-platform.txt.",
    )
    options = parser.parse_args()
    journal_db, platform_db = "parta_sync_journal", "parta_sync_platform"
    journal_url = f"{SERVER}/{journal_db}"
    if not (options.reuse and exists(journal_db)):
        subprocess.run(
            [
                sys.executable,
                "bench/generate_region.py",
                "--students",
                str(options.students),
                "--database",
                journal_db,
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    started = time.perf_counter()
    with psycopg.connect(journal_url, autocommit=True) as conn:
        conn.execute(
            "DELETE FROM integration_syncchange; DELETE FROM integration_syncmember; "
            "DELETE FROM integration_syncgroup; DELETE FROM integration_syncschool; "
            "DELETE FROM integration_syncconference; "
            "DELETE FROM integration_binding"
        )
        rows = conn.execute(LINKS_SQL).fetchall()
        schools = conn.execute("SELECT sourced_id, name FROM journal_school ORDER BY id").fetchall()
        students = conn.execute("SELECT count(*) FROM journal_enrolment WHERE ends_on IS NULL").fetchone()[0]
        accounts = conn.execute("SELECT count(*) FROM journal_account").fetchone()[0]
        links = [(str(uuid.uuid5(NS, str(account))), ref, account) for account, ref, _ in rows]
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY integration_binding (account_id, role, org_ref, profile_sub, profile_name, phone, "
                "link_id, state, created_at, linked_at, end_reason, cleanup_needed) FROM STDIN"
            ) as copy,
        ):
            for (account, ref, role), (sub, _, _) in zip(rows, links, strict=True):
                copy.write_row(
                    (
                        account,
                        role,
                        ref,
                        sub,
                        "",
                        "",
                        f"{account}-{ref}",
                        "active",
                        "2026-09-01",
                        "2026-09-01",
                        "",
                        False,
                    )
                )
        # one live binding per account and role: the bench keeps the first school of a role
        conn.execute(
            "DELETE FROM integration_binding b USING integration_binding o WHERE "
            "b.account_id = o.account_id AND b.role = o.role AND b.id > o.id"
        )
        conn.execute("VACUUM ANALYZE")
    recreate(platform_db)
    env = dict(
        os.environ,
        PARTA_LOG_LEVEL="ERROR",
        PARTA_PLATFORM_DATABASE_URL=f"{SERVER}/{platform_db}",
        DJANGO_SETTINGS_MODULE="parta.sites.platform.settings",
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"token": TOKEN, "schools": schools, "links": links}, handle)
    out = subprocess.run(
        [sys.executable, "-c", PLATFORM_SETUP, handle.name],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    print(
        f"setup: {students:,} students, {accounts:,} accounts, {len(schools):,} schools; linked "
        f"{out[0]} profiles with {out[1]} links, in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )

    port = free_port()
    server = start_platform(env, port=port)
    try:
        journal_env = dict(
            os.environ,
            PARTA_LOG_LEVEL="ERROR",
            PARTA_JOURNAL_DATABASE_URL=journal_url,
            PARTA_INTEGRATION_CREDENTIALS_FILE="",
            PARTA_INTEGRATION_API_TOKEN=TOKEN,
            PARTA_INTEGRATION_CLIENT_ID="bench-journal",
            PARTA_INTEGRATION_CLIENT_SECRET="bench-unused",  # noqa: S106 -- no OIDC in the bench
            PARTA_INTEGRATION_ISSUER=f"http://127.0.0.1:{port}/id",
            PARTA_INTEGRATION_TIMEOUT="600",
            PARTA_SYNC_HOLD_MIN="100000000",
        )
        times = []
        command = [sys.executable, "-m", "parta.cli", "journal", "sync", "--all", "-v", "0", "--timings"]
        command += ["--jobs", str(options.jobs)]
        for label, extra in (
            ("initial full sync", []),
            ("no-op reconcile", []),
            ("no-op --deep", ["--deep"]),
        ):
            print(f"{label}: load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
            sampler = None
            run = command + extra
            if options.profile and label == "initial full sync":
                sampler, run = profiled(options.profile, server.pid, run)
            started = time.perf_counter()
            with CpuSplit(server.pid) as cpu:
                result = subprocess.run(run, env=journal_env, cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if sampler is not None:
                sampler.send_signal(signal.SIGINT)
                sampler.wait(timeout=60)
            print(
                f"{label}: {times[-1]:.1f} s — {result.stdout.strip()}\n{cpu}\n"
                f"{result.stderr.strip()[-1500:]}",
                file=sys.stderr,
            )
            if result.returncode:
                raise SystemExit(result.returncode)
        worker = "not measured"
        if options.worker:
            worker = deep_by_worker(env=journal_env, processes=options.worker)
        fast = "not measured"
        if options.fast:
            fast_env = dict(journal_env, DJANGO_SETTINGS_MODULE="parta.sites.journal.settings")
            background = subprocess.Popen(
                [*command, "--deep"],
                env=journal_env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(2.0)  # the full reconcile is under way
                out_fast = subprocess.run(
                    [sys.executable, "-c", FAST_PATH, str(options.fast)],
                    env=fast_env,
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                still = background.poll() is None
            finally:
                background.wait()
            p50, p95 = (float(value) * 1000 for value in out_fast[:2])
            fast = f"p50 {p50:.0f} ms, p95 {p95:.0f} ms ({out_fast[2]} runs)"
            print(
                f"fast path while a --deep reconcile ran (still running at the end: {still}): {fast}",
                file=sys.stderr,
            )
        rollover = "not measured"
        if options.rollover:
            rollover = year_rollover(
                command=command,
                env=journal_env,
                journal_url=journal_url,
                profile=options.profile,
                server_pid=server.pid,
                jobs=options.rollover_jobs,
            )
        with psycopg.connect(journal_url) as conn:
            groups, members, changes = conn.execute(
                "SELECT (SELECT count(*) FROM integration_syncgroup), (SELECT count(*) FROM "
                "integration_syncmember), (SELECT count(*) FROM integration_syncchange)"
            ).fetchone()
        print(f"ledger: {groups:,} chats, {members:,} members, {changes:,} changes recorded", file=sys.stderr)
        print(
            f"| {time.strftime('%Y-%m-%d')} | region_sync | {students:,} students, {len(schools):,} schools, "
            f"{out[1]} links | jobs {options.jobs} | initial {times[0]:.1f} s | no-op {times[1]:.1f} s | "
            f"--deep {times[2]:.1f} s (by the worker: {worker}) | "
            f"{fast} | rollover {rollover} | {groups:,} chats, {members:,} members |"
        )
    finally:
        stop(server)


if __name__ == "__main__":
    main()
