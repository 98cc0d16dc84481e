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
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from parta.identity.actions.audit import audit_record
from parta.identity.models import AuditKind, Throttle, ThrottleHit

Windows = list[tuple[int, int]]
# Hits older than this are never counted by any default window and are pruned as keys are used.
KEEP_HITS = dt.timedelta(days=2)


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
    throttle = Throttle.objects.select_for_update().filter(key=key).first()
    if throttle is None:
        try:
            with transaction.atomic():
                Throttle.objects.create(key=key)
        except IntegrityError:
            pass  # another request created it first
        throttle = Throttle.objects.select_for_update().get(key=key)
    return throttle


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
    until = Throttle.objects.filter(key=key).values_list("locked_until", flat=True).first()
    if until and until > now:
        return math.ceil((until - now).total_seconds())
    return 0


def hits_count(key: str, *, since: dt.datetime) -> int:
    return ThrottleHit.objects.filter(key=key, at__gt=since).count()


def hit_add(key: str, *, now: dt.datetime) -> int:
    """Count one event; returns the hit's id (to take it back if the event did not happen after all)."""
    ThrottleHit.objects.filter(key=key, at__lt=now - KEEP_HITS).delete()
    return ThrottleHit.objects.create(key=key, at=now).pk


def hits_clear(key: str) -> None:
    ThrottleHit.objects.filter(key=key).delete()


def wait_seconds(key: str, windows: Windows, *, now: dt.datetime) -> int:
    """0 when one more event fits every window; otherwise the seconds until it does."""
    longest = max((seconds for _, seconds in windows), default=0)
    if not longest:
        return 0
    times = list(
        ThrottleHit.objects.filter(key=key, at__gt=now - dt.timedelta(seconds=longest))
        .order_by("-at")
        .values_list("at", flat=True)
    )
    wait = 0
    for count, seconds in windows:
        inside = [at for at in times if at > now - dt.timedelta(seconds=seconds)]
        if count <= 0:
            wait = max(wait, seconds)
        elif len(inside) >= count:
            # The window frees a place when the count-th newest event leaves it.
            oldest_that_matters = inside[count - 1]
            freed = oldest_that_matters + dt.timedelta(seconds=seconds)
            wait = max(wait, math.ceil((freed - now).total_seconds()))
    return max(wait, 0)


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
