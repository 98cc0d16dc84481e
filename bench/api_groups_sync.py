"""API v1 ``groups:sync`` on PostgreSQL: membership changes per second, end to end over real HTTP.

    .venv/bin/python bench/api_groups_sync.py [--people 20000] [--groups 200] [--size 500] [--rounds 3]

Drops and creates the database ``parta_api_bench`` on 127.0.0.1:5432 (``--database-url`` for another),
migrates the platform side into it, registers a journal with an API token, a school and ``--people``
linked profiles (bulk inserts), then starts the platform's real server (``uvicorn``, as ``parta serve
platform`` does) on a free port and POSTs batches to ``/api/v1/orgs/<school>/groups:sync``:

1. create: ``--groups`` new groups of ``--size`` members each (one admin per group);
2. repeat: the same batch again (nothing changes: the idempotent path);
3. replace: every group's members replaced by another ``--size`` people (all removed, all added);
4. deltas: every group adds half its size in new people and removes as many.

``--rounds`` times, each round on groups of its own. For each batch it prints the wall time of the
HTTP request (the client's view: sending the JSON, authentication, validation, the diff, the bulk SQL,
the commit, the JSON answer), the membership changes per second (added + removed + admin changes, as the
answer counts them) and the load average just before; then the best and the median per step. The
real-time events of a batch are sent by the server after its answer, while the next batch is already
being applied: the times include that interference. Results: RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import requests
from _server import free_port, start_platform, stop  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/parta_api_bench"
TOKEN = "pj_bench_" + "x" * 32
UNUSABLE = "!"  # a password hash nobody can sign in with
GOAL = 100_000  # membership changes per second (issue 4)


def recreate(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup(people: int) -> tuple[str, list[str]]:
    """A journal, a school and ``people`` linked profiles; returns the org_ref and the profiles' subs."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from oauth2_provider.models import Application

    from parta.identity.models import Account, EducationalProfile, JournalClient
    from parta.messenger.models import Link, Membership, Organization

    call_command("migrate", verbosity=0)
    now = timezone.now()
    with transaction.atomic():
        app = Application.objects.create(
            name="Бенчмарк",
            client_id="bench-journal",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris="http://127.0.0.1:8000/integration/callback/",
            algorithm=Application.RS256_ALGORITHM,
        )
        client = JournalClient.objects.create(
            application=app,
            display_name="Бенчмарк",
            api_token_digest=hashlib.sha256(TOKEN.encode()).hexdigest(),
        )
        org = Organization.objects.create(client=client, ref="bench-school", name="Школа бенчмарка")
        accounts = Account.objects.bulk_create(
            [Account(phone=f"+7999{i:07d}", password=UNUSABLE) for i in range(people)], batch_size=5000
        )
        profiles = EducationalProfile.objects.bulk_create(
            [
                EducationalProfile(
                    account=a, last_name="Ученик", first_name=f"№{i}", birth_date="2012-01-01", gender="male"
                )
                for i, a in enumerate(accounts)
            ],
            batch_size=5000,
        )
        Membership.objects.bulk_create(
            [Membership(organization=org, profile=p, is_student=True) for p in profiles], batch_size=5000
        )
        Link.objects.bulk_create(
            [
                Link(
                    client=client,
                    organization=org,
                    profile=p,
                    profile_sub=p.sub,
                    journal_account_ref=f"acc-{p.pk}",
                    roles=["student"],
                    created_at=now,
                    updated_at=now,
                )
                for p in profiles
            ],
            batch_size=5000,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return org.ref, [str(p.sub) for p in profiles]


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far: its Python, not PostgreSQL's
    work for it. Includes the real-time events it is still sending for the batch before."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(url: str, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    data = json.dumps(body).encode()
    started = time.perf_counter()
    response = requests.post(
        url,
        data=data,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"HTTP {response.status_code}: {response.text[:500]}")
    return elapsed, response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="the four steps again, on new groups each time")
    options = parser.parse_args()
    if options.people < 2 * options.size:
        raise SystemExit("--people должно быть не меньше 2 × --size.")

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="parta.sites.platform.settings",
        PARTA_PLATFORM_DATABASE_URL=options.database_url,
        PARTA_LOG_LEVEL="ERROR",
    )
    os.environ.update(env)
    recreate(options.database_url)
    started = time.perf_counter()
    org_ref, subs = setup(options.people)
    print(
        f"setup: {options.people:,} linked profiles in {time.perf_counter() - started:.1f} s", file=sys.stderr
    )

    port = free_port()
    server = start_platform(env, port=port)
    try:
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/api/v1/orgs/{org_ref}/groups:sync"
        n, g, size = len(subs), options.groups, options.size

        def members(i: int, shift: int) -> list[str]:
            start = (i * 97 + shift) % n
            return [subs[(start + k) % n] for k in range(size)]

        def states(shift: int, prefix: str) -> dict[str, Any]:
            return {
                "groups": [
                    {
                        "group_ref": f"{prefix}group-{i}",
                        "kind": "class",
                        "title": f"Класс {i}",
                        "members": members(i, shift),
                        "admins": members(i, shift)[:1],
                    }
                    for i in range(g)
                ]
            }

        half = size // 2

        def deltas(prefix: str) -> dict[str, Any]:
            return {
                "groups": [
                    {
                        "group_ref": f"{prefix}group-{i}",
                        "add": [subs[(i * 97 + n // 2 + size + k) % n] for k in range(half)],
                        "remove": members(i, n // 2)[:half],
                    }
                    for i in range(g)
                ]
            }

        rows = []
        for round_number in range(1, options.rounds + 1):
            # Each round has groups of its own (round 1 keeps the plain names of earlier results).
            prefix = "" if round_number == 1 else f"r{round_number}-"
            for name, body in [
                ("create", states(0, prefix)),
                ("repeat", states(0, prefix)),
                ("replace", states(n // 2, prefix)),
                ("deltas", deltas(prefix)),
            ]:
                load = os.getloadavg()[0]
                cpu = server_cpu(server.pid)
                elapsed, answer = post(url, body)
                cpu = server_cpu(server.pid) - cpu
                changes = answer["added"] + answer["removed"] + answer["admins_changed"]
                size_mb = len(json.dumps(body)) / 1e6
                rows.append((round_number, name, changes, elapsed, load))
                print(
                    f"{round_number}. {name:8} {g} groups, {size_mb:.1f} MB: "
                    f"added {answer['added']:,}, removed {answer['removed']:,}, "
                    f"admins {answer['admins_changed']:,} — {elapsed:.2f} s, "
                    f"{changes / elapsed if changes else 0:,.0f} changes/s; server CPU {cpu:.2f} s "
                    f"(load {load:.1f})"
                )
        print("\nRESULTS.md rows:")
        day = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        for round_number, name, changes, elapsed, load in rows:
            rate = f"{changes / elapsed:,.0f}" if changes else "—"
            print(
                f"| {day} | {round_number} | {name} | {g} × {size} | {changes:,} | "
                f"{elapsed:.2f} s | {rate} | {load:.1f} |"
            )
        for name in ("create", "replace", "deltas"):
            rates = sorted(c / e for _, step, c, e, _ in rows if step == name)
            print(
                f"{name}: best {rates[-1]:,.0f}, median {statistics.median(rates):,.0f} changes/s "
                f"— goal {GOAL:,}: {'met' if statistics.median(rates) >= GOAL else 'NOT met'} (median)"
            )
    finally:
        stop(server)


if __name__ == "__main__":
    main()
