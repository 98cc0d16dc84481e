"""Counters and locks that limit codes, passwords and the phone step, kept in the database.

A limit is a list of windows ``[(count, seconds), …]`` («at most 5 in 600 s and 10 in 86 400 s») over
the :class:`~parta.identity.models.ThrottleHit` rows of one key. Checking and adding happen while the
key's :class:`~parta.identity.models.Throttle` row is locked (``select_for_update``), so concurrent
requests on any number of servers count exactly; on SQLite the write transaction (``IMMEDIATE``) does the
same. The database, not the cache, holds them because the embedded default's cache is per process.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest

from parta.identity.actions.audit import audit_record
from parta.identity.models import AuditKind, Throttle, ThrottleHit

Windows = list[tuple[int, int]]
# Hits older than this are never counted by any default window and are pruned as keys are used.
KEEP_HITS = dt.timedelta(days=2)
# A key's old hits are pruned when a new hit's id is a multiple of this (about one hit in 16).
PRUNE_EVERY = 16


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

    One query when the rows exist; rows are locked in primary-key order, so two requests locking
    overlapping keys never wait for each other in a circle.
    """
    wanted = list(dict.fromkeys(keys))

    def locked() -> dict[str, Throttle]:
        rows = Throttle.objects.select_for_update().filter(key__in=wanted).order_by("pk")
        return {row.key: row for row in rows}

    found = locked()
    missing = [key for key in wanted if key not in found]
    if missing:
        # INSERT … ON CONFLICT DO NOTHING: a row another request created a moment ago is kept.
        Throttle.objects.bulk_create([Throttle(key=key) for key in missing], ignore_conflicts=True)
        found = locked()
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
    rows = list(Throttle.objects.filter(key=key).values_list("locked_until", flat=True)[:1])
    if not rows:
        return None
    until = rows[0]
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
    hits = ThrottleHit.objects.bulk_create([ThrottleHit(key=key, at=now) for key in keys])
    ids = [int(hit.pk) for hit in hits]
    for key, pk in zip(keys, ids, strict=True):
        if pk % PRUNE_EVERY == 0:
            ThrottleHit.objects.filter(key=key, at__lt=now - KEEP_HITS).delete()
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
    aggregates: dict[str, Count] = {}
    longest = 0
    for i, (key, windows) in enumerate(keyed.items()):
        for j, (count, seconds) in enumerate(windows):
            if count > 0 and seconds > 0:
                since = now - dt.timedelta(seconds=seconds)
                aggregates[f"k{i}w{j}"] = Count("pk", filter=Q(key=key, at__gt=since))
                longest = max(longest, seconds)
    if aggregates:
        counts = ThrottleHit.objects.filter(
            key__in=list(keyed), at__gt=now - dt.timedelta(seconds=longest)
        ).aggregate(**aggregates)
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
