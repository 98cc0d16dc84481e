"""The database settings both sides build from the environment (``parta/sites/base.py``)."""

from __future__ import annotations

import pytest
from django.db import connection

from parta.sites.base import database


def test_postgresql_connections_run_without_jit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://parta@db.example:5432/parta")
    monkeypatch.delenv("PARTA_JOURNAL_DATABASE_URL", raising=False)
    assert database("journal")["OPTIONS"]["options"] == "-c jit=off"
    # an operator's own options are kept, and their own jit setting wins
    monkeypatch.setenv(
        "DATABASE_URL", "postgresql://parta@db.example:5432/parta?options=-c%20work_mem%3D64MB"
    )
    assert database("journal")["OPTIONS"]["options"] == "-c work_mem=64MB -c jit=off"
    monkeypatch.setenv("DATABASE_URL", "postgresql://parta@db.example:5432/parta?options=-c%20jit%3Don")
    assert database("journal")["OPTIONS"]["options"] == "-c jit=on"


@pytest.mark.django_db
def test_the_running_postgresql_connection_has_jit_off() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's: SQLite has none")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
