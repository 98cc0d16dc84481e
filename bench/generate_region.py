"""Generation of the 1,000,000-student region into PostgreSQL: total rows, seconds, rows per second.

    .venv/bin/python bench/generate_region.py [--students 1000000] [--seed 42]
        [--server postgresql://postgres@127.0.0.1:5432] [--database parta_bench]

Drops and creates the database ``parta_bench`` on the local server (trust authentication, user
postgres), migrates it with ``parta journal migrate``, then runs the generator in this process with the
``region`` preset — the same code as ``parta journal seed --preset region`` — and prints what it wrote
and how fast. Afterwards it runs ``VACUUM (FREEZE, ANALYZE)`` (timed apart: a server would do it in the
background) and leaves the database in place for ``bench/pages.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def recreate(server: str, name: str) -> str:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{server}/{name}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="parta_bench")
    options = parser.parse_args()

    url = recreate(options.server, options.database)
    env = dict(os.environ, PARTA_JOURNAL_DATABASE_URL=url)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "parta.cli", "journal", "migrate", "--no-input", "-v", "0"],
        env=env,
        check=True,
        cwd=ROOT,
    )
    print(f"База {options.database} создана и размечена за {time.perf_counter() - started:.1f} с.")

    os.environ["PARTA_JOURNAL_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "parta.sites.journal.settings"
    import django

    django.setup()
    from django.db import connection

    from parta.journal.generator import generate

    report = generate(preset="region", students=options.students, seed=options.seed, progress=True)

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    connection.close()
    vacuum_started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as raw:
        raw.execute("VACUUM (FREEZE, ANALYZE)")
        size = raw.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
    vacuum = time.perf_counter() - vacuum_started

    print()
    print(f"Машина: {os.cpu_count()} ядра, {cpu_model()}; {version}; Python {platform.python_version()}")
    print(
        f"Учеников {report.students:,}, школ {report.schools:,}, классов {report.classes:,}, "
        f"людей {report.people:,}, уроков {report.lessons:,}"
    )
    for table, count in report.rows.items():
        print(f"  {table:<20} {count:>12,}")
    print(f"  {'всего':<20} {report.total_rows:>12,}")
    print(
        f"Генерация (одна транзакция): {report.seconds:.1f} с — {report.rows_per_second:,.0f} строк/с "
        f"(из них загрузка {report.load_seconds:.1f} с, индексы и внешние ключи {report.index_seconds:.1f} с)"
    )
    print(f"VACUUM (FREEZE, ANALYZE) после неё: {vacuum:.1f} с; размер базы {size[0] if size else '?'}")
    print(f"Накладок в расписании учителей: {report.timetable_conflicts}")
    print()
    print("Строка для bench/RESULTS.md:")
    cells = [
        f"{dt.date.today():%Y-%m-%d}",
        f"{os.cpu_count()} ядра",
        f"{report.students:,}",
        f"{report.total_rows:,}",
        f"{report.seconds:.0f} с",
        f"{report.rows_per_second:,.0f}",
        f"{vacuum:.0f} с",
        size[0] if size else "?",
    ]
    print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
