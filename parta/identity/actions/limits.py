"""Counters and locks that limit codes, passwords and the phone step, kept in the database.

A limit is a list of windows ``[(count, seconds), …]`` («at most 5 in 600 s and 10 in 86 400 s») over
the :class:`~parta.identity.models.ThrottleHit` rows of one key. Checking and adding happen while the
key's :class:`~parta.identity.models.Throttle` row is locked (``select_for_update``), so concurrent
requests on any number of servers count exactly; on SQLite the write transaction (``IMMEDIATE``) does the
same. The database, not the cache, holds them because the embedded default's cache is per process.

Every sign-in goes through these functions several times, so their statements are written by hand
(:mod:`parta.identity.sql`) rather than built by the ORM on every call.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from parta.identity import sql
from parta.identity.actions.audit import audit_record
from parta.identity.models import AuditKind, Throttle, ThrottleHit

Windows = list[tuple[int, int]]
# Hits older than this are never counted by any default window and are pruned as keys are used.
KEEP_HITS = dt.timedelta(days=2)
# A key's old hits are pruned when a new hit's id is a multiple of this (about one hit in 16).
PRUNE_EVERY = 16
# The tables, for the hand-written SQL of every sign-in's limits (parta.identity.sql).
THROTTLES = f'"{Throttle._meta.db_table}"'
HITS = f'"{ThrottleHit._meta.db_table}"'


def setting(name: str, default: Any) -> Any:
    """An ``PARTA_ID_*`` setting (read with a default, so other sites' settings need not define it)."""
    return getattr(settings, name, default)


def windows_setting(name: str, default: Windows) -> Windows:
    return [(int(count), int(seconds)) for count, seconds in setting(name, default)]


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or the header named by ``PARTA_ID_CLIENT_IP_HEADER``."""
    header = str(setting("PARTA_ID_CLIENT_IP_HEADER", "") or "")
    raw = request.META.get(header, "") if header else ""
    raw = (raw.split(",")[0] if raw else request.META.get("REMOTE_ADDR", "")).strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def throttle_lock(key: str) -> Throttle:
    """The key's row, created if needed and locked until the surrounding transaction ends."""
    return throttles_lock([key])[key]


def throttles_lock(keys: list[str]) -> dict[str, Throttle]:
    """The rows of ``keys``, created if needed and locked until the surrounding transaction ends.

    One statement when the rows exist (``SELECT … FOR UPDATE`` in primary-key order, so two requests
    locking overlapping keys never wait for each other in a circle), two when some are new: the new ones
    are inserted and locked by one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (a row another request
    created a moment ago is then locked and returned, not duplicated).
    """
    wanted = list(dict.fromkeys(keys))
    marks = ", ".join(["%s"] * len(wanted))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    found = {
        row.key: row
        for row in sql.select(Throttle, f'{THROTTLES}."key" IN ({marks})', wanted, tail=f"ORDER BY id{lock}")
    }
    missing = sorted(key for key in wanted if key not in found)  # inserted (and locked) in key order
    if missing:
        now = sql.param_datetime(timezone.now())
        rows = sql.run(
            f'INSERT INTO {THROTTLES} ("key", locked_until, updated_at) '  # noqa: S608 -- values bound
            f"VALUES {', '.join(['(%s, NULL, %s)'] * len(missing))} "
            'ON CONFLICT ("key") DO UPDATE SET updated_at = excluded.updated_at '
            'RETURNING id, "key", locked_until, updated_at',
            [value for key in missing for value in (key, now)],
        )
        for pk, key, locked_until, updated_at in rows:
            found[key] = Throttle.from_db(
                connection.alias,
                ["id", "key", "locked_until", "updated_at"],
                [pk, key, sql.to_datetime(locked_until), sql.to_datetime(updated_at)],
            )
    return found


def throttle_unlock(*, keys: list[str], by: object = None) -> int:
    """Lift the locks of ``keys`` (support, from the administration); returns how many were locked."""
    with transaction.atomic():
        locked = list(
            Throttle.objects.select_for_update()
            .filter(key__in=keys, locked_until__isnull=False)
            .order_by("pk")
            .values_list("key", flat=True)
        )
        Throttle.objects.filter(key__in=locked).update(locked_until=None)
        for key in locked:
            audit_record(kind=AuditKind.UNLOCKED, account=None, key=key, by=getattr(by, "pk", None))
    return len(locked)


def lock_seconds(throttle: Throttle, *, now: dt.datetime) -> int:
    """Seconds left of the key's lock (0 when it is not locked)."""
    if throttle.locked_until and throttle.locked_until > now:
        return math.ceil((throttle.locked_until - now).total_seconds())
    return 0


def locked_seconds(key: str, *, now: dt.datetime) -> int:
    """Seconds left of a key's lock, read without locking (for showing a message early)."""
    return lock_state(key, now=now) or 0


def lock_state(key: str, *, now: dt.datetime) -> int | None:
    """Like :func:`locked_seconds`, but ``None`` when the key has never been counted (it has no row: a
    key's hits are only ever added while its row is locked, so it has no hits either)."""
    rows = sql.run(f'SELECT locked_until FROM {THROTTLES} WHERE "key" = %s', [key])  # noqa: S608 -- value bound
    if not rows:
        return None
    until = sql.to_datetime(rows[0][0])
    if until and until > now:
        return math.ceil((until - now).total_seconds())
    return 0


def hits_count(key: str, *, since: dt.datetime) -> int:
    return ThrottleHit.objects.filter(key=key, at__gt=since).count()


def hit_add(key: str, *, now: dt.datetime) -> int:
    """Count one event; returns the hit's id (to take it back if the event did not happen after all)."""
    return hits_add([key], now=now)[0]


def hits_add(keys: list[str], *, now: dt.datetime) -> list[int]:
    """Count one event of each key in one INSERT; returns the hits' ids in the order of ``keys``.

    Hits older than :data:`KEEP_HITS` are pruned from a key now and then (when a new hit's id is a
    multiple of :data:`PRUNE_EVERY`) rather than on every hit: no window looks at them.
    """
    at = sql.param_datetime(now)
    rows = sql.run(
        f'INSERT INTO {HITS} ("key", at) VALUES {", ".join(["(%s, %s)"] * len(keys))} RETURNING id',  # noqa: S608 -- values bound
        [value for key in keys for value in (key, at)],
    )
    ids = [int(row[0]) for row in rows]  # in the order of the VALUES, as Django's bulk_create relies on
    old = sql.param_datetime(now - KEEP_HITS)
    for key, pk in zip(keys, ids, strict=True):
        if pk % PRUNE_EVERY == 0:
            sql.run(f'DELETE FROM {HITS} WHERE "key" = %s AND at < %s', [key, old])  # noqa: S608 -- values bound
    return ids


def hits_clear(key: str) -> None:
    ThrottleHit.objects.filter(key=key).delete()


def wait_seconds(key: str, windows: Windows, *, now: dt.datetime) -> int:
    """0 when one more event fits every window; otherwise the seconds until it does."""
    return waits_seconds({key: windows}, now=now)[key]


def waits_seconds(keyed: dict[str, Windows], *, now: dt.datetime) -> dict[str, int]:
    """:func:`wait_seconds` of several keys, each with its windows.

    One query counts every key's hits in every window (whatever their number: a school behind one
    address may make hundreds a day). Only a full window — a refusal — reads one more row: the hit
    whose leaving the window frees a place, which says how long to wait.
    """
    counts: dict[str, int] = {}
    sums: list[str] = []
    params: list[Any] = []
    longest = 0
    for i, (key, windows) in enumerate(keyed.items()):
        for j, (count, seconds) in enumerate(windows):
            if count > 0 and seconds > 0:
                counts[f"k{i}w{j}"] = 0
                sums.append('COALESCE(SUM(CASE WHEN "key" = %s AND at > %s THEN 1 ELSE 0 END), 0)')
                params += [key, sql.param_datetime(now - dt.timedelta(seconds=seconds))]
                longest = max(longest, seconds)
    if sums:
        keys = list(keyed)
        row = sql.run(
            f"SELECT {', '.join(sums)} FROM {HITS} "  # noqa: S608 -- values bound
            f'WHERE "key" IN ({", ".join(["%s"] * len(keys))}) AND at > %s',
            [*params, *keys, sql.param_datetime(now - dt.timedelta(seconds=longest))],
        )[0]
        counts = dict(zip(counts, (int(value) for value in row), strict=True))
    waits: dict[str, int] = {}
    for i, (key, windows) in enumerate(keyed.items()):
        wait = 0
        for j, (count, seconds) in enumerate(windows):
            if count <= 0:
                wait = max(wait, seconds)
            elif seconds > 0 and counts[f"k{i}w{j}"] >= count:
                # The window frees a place when the count-th newest event leaves it.
                window = dt.timedelta(seconds=seconds)
                inside = ThrottleHit.objects.filter(key=key, at__gt=now - window).order_by("-at")
                # (A hit taken back a moment ago, when a gateway refused its message, may be gone.)
                for oldest_that_matters in inside.values_list("at", flat=True)[count - 1 : count]:
                    wait = max(wait, math.ceil((oldest_that_matters + window - now).total_seconds()))
        waits[key] = max(wait, 0)
    return waits


def wait_text(seconds: int) -> str:
    """«45 с», «8 мин», «2 ч 5 мин» — how long to wait, in the manuals' short style."""
    seconds = max(1, int(seconds))
    if seconds < 60:
        return f"{seconds} с"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} мин"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"


def clock(seconds: int, *, padded: bool = False) -> str:
    """«1:53» (or «00:56» with ``padded``): the screens' timers."""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    return f"{minutes:02d}:{rest:02d}" if padded else f"{minutes}:{rest:02d}"


def plural(number: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 попытка, 2 попытки, 5 попыток."""
    tail = number % 100
    if 11 <= tail <= 14:
        return many
    last = number % 10
    if last == 1:
        return one
    if 2 <= last <= 4:
        return few
    return many
