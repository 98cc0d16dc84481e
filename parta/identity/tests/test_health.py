from django.test import Client, override_settings


def test_healthz_reports_the_database(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "side": "platform",
        "database": response.json()["database"],
    }
    assert response.json()["database"]["ok"] is True


def test_dev_outbox_exists_only_when_enabled(client: Client, db: None) -> None:
    with override_settings(PARTA_DEV_OUTBOX=False):
        assert client.get("/dev/outbox/").status_code == 404
    with override_settings(PARTA_DEV_OUTBOX=True):
        response = client.get("/dev/outbox/?format=json&phone=+79521111111")
        assert response.status_code == 200
        assert response.json() == {"messages": []}
