"""The sign-in's hot steps stay within a budget of database queries (issue 3's sign-in speed).

Every query is a round trip to the database; on PostgreSQL each costs a good part of a millisecond, and
a password sign-in (the phone step and the password step) must fit in about 33 ms of one core beside
Argon2id's 20 ms. (These steps' statements are hand-written, ``parta.identity.sql``: building a query
in the ORM cost more of the CPU than the database took to answer it.) The budgets count what Django
sends inside the test's transaction (savepoints included), on SQLite and on PostgreSQL alike. How fast
the steps really are is measured by ``bench/id_signin.py`` (results in bench/RESULTS.md), never here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parta.identity.actions import limits
from parta.identity.models import AuditEvent, AuditKind, Code, CodeState, DevMessage, ThrottleHit
from parta.identity.tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"

# The phone step: the session, the per-address limit (lock, its hits, one new hit), the number's lock,
# the account, the session written back — and the savepoints of the two transactions.
PHONE_STEP_BUDGET = 11
# The password step: the session, the account, the wrong-password lock; then the code: both limits'
# rows locked in one query (the number's row, new on its first code, inserted and locked by one more),
# the live codes, both limits' windows in one query, the code, both hits in one INSERT; the outbox and
# the audit row in one transaction; the session. It was 28 before the ID's hot path was trimmed, 19
# before a new limit row was inserted and locked in one statement.
PASSWORD_STEP_BUDGET = 18
# The phone step of an account without a password, which sends the code at once (it was 32, then 24).
PHONE_STEP_WITH_CODE_BUDGET = 23
# «Отправить SMS» once the timer has run out: the earlier code is superseded in the same transaction.
RESEND_BUDGET = 18


def sql(context: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"][:160] for query in context.captured_queries)


@pytest.fixture(autouse=True)
def no_pruning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Old hits are pruned after one hit in ``PRUNE_EVERY`` (by id): one DELETE more, now and then. The
    budgets are counted without it; :func:`test_old_hits_are_pruned_now_and_then` covers it."""
    monkeypatch.setattr(limits, "PRUNE_EVERY", 10**12)


@pytest.fixture
def address_known(client: Client) -> None:
    """Someone signed in from this address before (a code was sent): its limits' rows exist, as they do on
    a live server."""
    other = factories.account()
    Client().post("/id/", {"login": other.phone})


def test_a_password_sign_in_stays_within_its_query_budget(client: Client, address_known: None) -> None:
    account = factories.account(password=PASSWORD)
    client.get("/id/")

    with CaptureQueriesContext(connection) as phone_step:
        response = client.post("/id/", {"login": account.phone})
    assert response["Location"] == "/id/password/"
    assert len(phone_step) <= PHONE_STEP_BUDGET, sql(phone_step)

    with CaptureQueriesContext(connection) as password_step:
        response = client.post("/id/password/", {"password": PASSWORD})
    assert response["Location"] == "/id/code/"
    assert len(password_step) <= PASSWORD_STEP_BUDGET, sql(password_step)

    # Fewer queries, the same work: the code went out, was counted against the number and the address,
    # and the audit log has it.
    code = Code.objects.get(target=account.phone)
    assert code.state == CodeState.ACTIVE
    assert DevMessage.objects.filter(to=account.phone, channel="sms").count() == 1
    assert ThrottleHit.objects.filter(key=f"send:{account.phone}").count() == 1
    assert ThrottleHit.objects.filter(key="ip-send:127.0.0.1").count() == 2  # with the fixture's code
    assert AuditEvent.objects.filter(kind=AuditKind.CODE_SENT, account=account).count() == 1


def test_the_phone_step_that_sends_a_code_stays_within_its_budget(
    client: Client, address_known: None
) -> None:
    number = factories.phone()
    client.get("/id/")
    with CaptureQueriesContext(connection) as phone_step:
        response = client.post("/id/", {"login": number})
    assert response["Location"] == "/id/code/"
    assert len(phone_step) <= PHONE_STEP_WITH_CODE_BUDGET, sql(phone_step)
    assert DevMessage.objects.filter(to=number, channel="sms").count() == 1


def test_a_second_code_supersedes_the_first_within_the_budget(client: Client, address_known: None) -> None:
    """The supersession now reads the live codes with the timer: the first code still dies."""
    number = factories.phone()
    client.get("/id/")
    client.post("/id/", {"login": number})
    first = Code.objects.get(target=number)
    Code.objects.filter(pk=first.pk).update(resend_at=first.created_at)  # the timer has run out
    with CaptureQueriesContext(connection) as resend:
        assert client.post("/id/code/resend/")["Location"] == "/id/code/"
    assert len(resend) <= RESEND_BUDGET, sql(resend)
    first.refresh_from_db()
    assert first.state == CodeState.SUPERSEDED
    assert Code.objects.filter(target=number, state=CodeState.ACTIVE).count() == 1


def test_old_hits_are_pruned_now_and_then(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hits table does not grow for ever: a key's hits older than two days go when a new hit's id
    is a multiple of ``PRUNE_EVERY``; the recent ones still count."""
    now = timezone.now()
    key = "ip-phone:127.0.0.1"
    ThrottleHit.objects.bulk_create(
        [ThrottleHit(key=key, at=now - dt.timedelta(days=3)) for _ in range(3)]
        + [ThrottleHit(key=key, at=now - dt.timedelta(hours=1))]
    )
    client.get("/id/")
    client.post("/id/", {"login": factories.phone()})
    assert ThrottleHit.objects.filter(key=key).count() == 5  # not this time

    monkeypatch.setattr(limits, "PRUNE_EVERY", 1)
    client.post("/id/", {"login": factories.phone()})
    assert ThrottleHit.objects.filter(key=key, at__lt=now - limits.KEEP_HITS).count() == 0
    assert ThrottleHit.objects.filter(key=key).count() == 3
