"""The limits' counters and locks (``parta.identity.actions.limits``), now in hand-written SQL."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from parta.identity.actions import limits
from parta.identity.models import Throttle, ThrottleHit

pytestmark = pytest.mark.django_db
RACE_WAIT = 10.0  # seconds: far above what any step here takes


def test_locking_keys_creates_the_missing_rows_and_keeps_an_existing_lock() -> None:
    until = timezone.now() + dt.timedelta(minutes=30)
    Throttle.objects.create(key="target:+79991110000", locked_until=until)
    with transaction.atomic():
        rows = limits.throttles_lock(["target:+79991110000", "ip-send:10.0.0.1", "target:+79991110000"])
    assert set(rows) == {"target:+79991110000", "ip-send:10.0.0.1"}
    assert rows["target:+79991110000"].locked_until == until
    assert rows["ip-send:10.0.0.1"].locked_until is None
    assert limits.lock_seconds(rows["target:+79991110000"], now=timezone.now()) > 29 * 60

    # Locked again: the same rows, none added; a lock saved on a returned row is kept.
    with transaction.atomic():
        again = limits.throttles_lock(["ip-send:10.0.0.1"])
        again["ip-send:10.0.0.1"].locked_until = until
        again["ip-send:10.0.0.1"].save(update_fields=["locked_until", "updated_at"])
    assert again["ip-send:10.0.0.1"].pk == rows["ip-send:10.0.0.1"].pk
    assert Throttle.objects.count() == 2
    assert limits.lock_state("ip-send:10.0.0.1", now=timezone.now()) == 30 * 60
    assert limits.lock_state("never-counted", now=timezone.now()) is None


def test_windows_count_only_their_own_key_and_time() -> None:
    now = timezone.now()
    ThrottleHit.objects.bulk_create(
        [ThrottleHit(key="send:a", at=now - dt.timedelta(seconds=s)) for s in (10, 20, 700)]
        + [ThrottleHit(key="send:b", at=now - dt.timedelta(seconds=5))]
    )
    waits = limits.waits_seconds({"send:a": [(2, 600), (4, 86400)], "send:b": [(2, 600)]}, now=now)
    # Two hits of «send:a» in ten minutes fill its first window until the older leaves it (at 20 s ago).
    assert waits == {"send:a": 580, "send:b": 0}
    assert limits.waits_seconds({"send:c": [(1, 600)]}, now=now) == {"send:c": 0}


def test_hits_are_added_in_the_order_of_their_keys() -> None:
    now = timezone.now()
    ids = limits.hits_add(["send:x", "ip-send:10.0.0.2"], now=now)
    assert [ThrottleHit.objects.get(pk=pk).key for pk in ids] == ["send:x", "ip-send:10.0.0.2"]
    assert ThrottleHit.objects.get(pk=ids[0]).at == now


class _Counter(threading.Thread):
    """One request counting one event of ``key`` (at most one in ten minutes) in a thread and connection
    of its own; with ``hold`` its transaction stays open after counting until :attr:`release` is set."""

    def __init__(self, key: str, *, hold: bool) -> None:
        super().__init__(daemon=True)
        self.key, self.hold = key, hold
        self.counted = threading.Event()
        self.release = threading.Event()
        self.wait: int | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                now = timezone.now()
                limits.throttle_lock(self.key)
                self.wait = limits.wait_seconds(self.key, [(1, 600)], now=now)
                if not self.wait:
                    limits.hit_add(self.key, now=now)
                self.counted.set()
                if self.hold:
                    self.release.wait(RACE_WAIT)
        except BaseException as error:
            self.error = error
        finally:
            connections.close_all()


def _waiting_for_a_lock(counter: _Counter) -> bool:
    deadline = time.monotonic() + RACE_WAIT
    while time.monotonic() < deadline and not counter.counted.is_set():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("known", [False, True], ids=["new key", "known key"])
def test_two_requests_counting_a_key_at_once_count_one_after_the_other(known: bool) -> None:
    """Two events of one key at once (a number's code asked for from two servers): the first locks the
    key's row — creating it for a new key — and the second waits for it, then sees its hit: one event in
    the window, not two."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time (BEGIN IMMEDIATE): nothing interleaves")
    if known:
        Throttle.objects.create(key="send:+79991112233")
    first, second = _Counter("send:+79991112233", hold=True), _Counter("send:+79991112233", hold=False)
    first.start()
    assert first.counted.wait(RACE_WAIT)
    second.start()
    assert _waiting_for_a_lock(second)
    first.release.set()
    for counter in (first, second):
        counter.join(RACE_WAIT)
        assert counter.error is None
    assert (first.wait, second.wait) == (0, 600)
    assert Throttle.objects.filter(key="send:+79991112233").count() == 1
    assert ThrottleHit.objects.filter(key="send:+79991112233").count() == 1
