"""Sum PostgreSQL's statement log per statement: which statements took a step's time, in which database.

Log every statement for the run (the benchmarks drop and create their databases, so ``ALTER DATABASE``
does not last; ``ALTER SYSTEM`` does), run, put it back, then sum the step's window:

    PSQL="psql -h 127.0.0.1 -U postgres"
    $PSQL -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()"
    .venv/bin/python bench/region_sync.py --students 100000 --rollover --jobs 4
    $PSQL -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()"
    .venv/bin/python bench/pg_statements.py /var/log/postgresql/postgresql-15-main.log 06:10:32 06:11:29

Statements are grouped by their text with numbers and strings blanked (``?``, ``N``, lists as ``?...``).
The durations are wall time: on a busy machine they include waiting for a core.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter, defaultdict

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d (\d\d:\d\d:\d\d)\.\d+ \S+ \[\d+\] \S*@(\S*) LOG:  duration: ([\d.]+) ms  "
    r"(?:statement|execute [^:]*): (.*)$"
)


def normalized(statement: str) -> str:
    statement = re.sub(r"'(?:[^']|'')*'", "?", statement)
    statement = re.sub(r"\b\d+(\.\d+)?\b", "N", statement)
    statement = re.sub(r"(\?|N)(\s*,\s*(\?|N))+", "?...", statement)
    return re.sub(r"\s+", " ", statement).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", help="PostgreSQL's log (log_line_prefix '%%m [%%p] %%q%%u@%%d ', Debian's)")
    parser.add_argument("start", help="HH:MM:SS, the window's first second")
    parser.add_argument("end", help="HH:MM:SS, its last second")
    parser.add_argument("--database", default="", help="Only this database's statements.")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--width", type=int, default=300, help="Characters of each statement shown.")
    options = parser.parse_args()
    total: defaultdict[tuple[str, str], float] = defaultdict(float)
    count: Counter[tuple[str, str]] = Counter()
    current: list[str] | None = None  # [database, duration, statement] of the entry being read

    def done() -> None:
        nonlocal current
        if current is not None:
            key = (current[0], normalized(current[2]))
            total[key] += float(current[1])
            count[key] += 1
        current = None

    with open(options.log, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            found = LINE.match(line)
            if found:
                done()
                second, database, duration, statement = found.groups()
                if options.start <= second <= options.end and database.startswith(options.database):
                    current = [database, duration, statement]
            elif current is not None and line[:1] in ("\t", " "):
                current[2] += " " + line.strip()  # a statement over several lines
            else:
                done()
    done()
    print(f"{sum(total.values()) / 1000:.1f} s in {sum(count.values())} statements")
    for key, milliseconds in sorted(total.items(), key=lambda item: -item[1])[: options.top]:
        database, statement = key
        print(
            f"{milliseconds / 1000:8.2f} s {count[key]:7d}× {milliseconds / count[key]:8.2f} ms"
            f"  [{database}] {statement[: options.width]}"
        )


if __name__ == "__main__":
    main()
