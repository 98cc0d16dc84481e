import os

import pytest
from django.db import connection
from django.test import Client, override_settings


def test_healthz_reports_the_database(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["side"] == "platform"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor
    # Redis is reported exactly when it is configured (CI runs the suite both ways).
    assert ("redis" in body) == bool(os.environ.get("REDIS_URL"))


def test_healthz_fails_when_redis_is_unreachable(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["redis"]["ok"] is False
    assert body["database"]["ok"] is True


def test_dev_outbox_exists_only_when_enabled(client: Client, db: None) -> None:
    with override_settings(PARTA_DEV_OUTBOX=False):
        assert client.get("/dev/outbox/").status_code == 404
    with override_settings(PARTA_DEV_OUTBOX=True):
        response = client.get("/dev/outbox/?format=json&phone=+79521111111")
        assert response.status_code == 200
        assert response.json() == []
