"""The sign-in's hand-written SQL gives and takes the same values as the ORM, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parta.identity import sql
from parta.identity.models import Account, AuditEvent, Throttle
from parta.identity.tests import factories

pytestmark = pytest.mark.django_db


def test_a_row_inserted_by_hand_reads_back_the_same_through_the_orm() -> None:
    account = factories.account()
    at = timezone.now() - dt.timedelta(minutes=3)
    event = sql.insert(
        AuditEvent(
            kind="code_sent",
            account=account,
            target=account.phone,
            channel="sms",
            ip="10.0.0.7",
            detail={"purpose": "signin", "seconds": 5},
            created_at=at,
        )
    )
    assert event.pk is not None
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.kind, stored.account_id, stored.target, stored.channel, stored.ip) == (
        "code_sent",
        account.pk,
        account.phone,
        "sms",
        "10.0.0.7",
    )
    assert stored.detail == {"purpose": "signin", "seconds": 5}
    assert stored.created_at == at


def test_rows_selected_by_hand_are_the_orm_s_instances() -> None:
    """Converted as the ORM converts them: aware datetimes, booleans, JSON."""
    account = factories.account(password="correct horse battery")
    Account.objects.filter(pk=account.pk).update(last_login=timezone.now(), is_active=False)
    [by_hand] = sql.select(Account, "phone = %s", [account.phone])
    by_orm = Account.objects.get(pk=account.pk)
    for field in Account._meta.concrete_fields:
        assert getattr(by_hand, field.attname) == getattr(by_orm, field.attname), field.name
    assert by_hand.is_active is False
    assert by_hand.last_login is not None
    assert timezone.is_aware(by_hand.last_login)
    assert by_hand.check_password("correct horse battery")
    assert sql.select(Account, "phone = %s", ["+79990000000"]) == []


def test_datetimes_pass_through_hand_written_sql_in_utc() -> None:
    now = timezone.now()
    Throttle.objects.create(key="k", locked_until=now)
    [(until,)] = sql.run(
        'SELECT locked_until FROM "identity_throttle" WHERE locked_until = %s', [sql.param_datetime(now)]
    )
    assert sql.to_datetime(until) == now
