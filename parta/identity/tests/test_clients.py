"""Registering journals: the action, the operator's command ``register_journal``, and ``public.py``."""

from __future__ import annotations

import json
import stat
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from oauth2_provider.models import Application

from parta.identity.actions.clients import (
    JournalClientError,
    JournalClientRegistration,
    journal_client_credentials_check,
    journal_client_register,
    journal_client_update,
)
from parta.identity.models import AuditEvent, AuditKind, JournalClient, api_token_digest
from parta.identity.public import JournalClientRef, journal_client_by_api_token, journal_client_by_client_id

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/integration/callback/"


def register(**overrides: Any) -> JournalClientRegistration:
    values: dict[str, Any] = {
        "client_id": "demo-journal",
        "display_name": "БАРС.Электронная школа",
        "redirect_uris": [CALLBACK],
    }
    values.update(overrides)
    return journal_client_register(**values)


def run(*args: str) -> str:
    out = StringIO()
    call_command("register_journal", *args, stdout=out)
    return out.getvalue()


DEMO_ARGS = ("--client-id", "demo-journal", "--name", "БАРС.Электронная школа", "--redirect-uri", CALLBACK)


# --- the action -----------------------------------------------------------------------------------------


def test_a_new_journal_gets_a_secret_and_a_token_stored_only_hashed() -> None:
    registration = register()
    assert registration.created
    secret, token = registration.client_secret, registration.api_token
    assert secret
    assert token
    assert token.startswith("parta_")
    assert len(token) >= len("parta_") + 43  # 32 random bytes

    application = Application.objects.get(client_id="demo-journal")
    assert application.client_secret != secret
    assert check_password(secret, application.client_secret)
    assert application.client_type == Application.CLIENT_CONFIDENTIAL
    assert application.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert application.algorithm == Application.RS256_ALGORITHM
    assert application.skip_authorization
    assert application.redirect_uris == CALLBACK

    journal = JournalClient.objects.get(application=application)
    assert journal.display_name == "БАРС.Электронная школа"
    assert journal.api_token_digest == api_token_digest(token)
    assert journal.api_token_hint == token[:10]
    assert token not in {journal.api_token_digest, journal.api_token_hint}


def test_registering_again_changes_the_details_and_keeps_the_secret_and_token() -> None:
    first = register()
    again = register(display_name="МЭШ.ВКС", redirect_uris=[CALLBACK, "https://journal.example/cb/"])
    assert not again.created
    assert again.client_secret is None
    assert again.api_token is None
    assert Application.objects.count() == JournalClient.objects.count() == 1
    assert again.client.display_name == "МЭШ.ВКС"
    assert again.client.application.redirect_uris.split() == [CALLBACK, "https://journal.example/cb/"]
    assert journal_client_credentials_check(
        client_id="demo-journal", client_secret=first.client_secret, api_token=first.api_token
    ) == (True, True)


def test_rotating_issues_new_ones_and_the_old_ones_stop_working() -> None:
    first = register()
    rotated = register(rotate_secret=True, rotate_api_token=True)
    assert rotated.client_secret not in {None, first.client_secret}
    assert rotated.api_token not in {None, first.api_token}
    assert journal_client_credentials_check(
        client_id="demo-journal", client_secret=first.client_secret, api_token=first.api_token
    ) == (False, False)
    assert journal_client_by_api_token(first.api_token) is None
    assert journal_client_by_api_token(rotated.api_token) is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client_id": "демо"}, "латинских букв"),
        ({"client_id": ""}, "client_id"),
        ({"display_name": "  "}, "Укажите название"),
        ({"redirect_uris": []}, "хотя бы один адрес возврата"),
        ({"redirect_uris": ["/integration/callback/"]}, "полным адресом"),
        ({"redirect_uris": ["ftp://journal.example/cb"]}, "полным адресом"),
        ({"redirect_uris": ["https://journal.example/cb#x"]}, "фрагмент"),
        ({"redirect_uris": ["https://*.example/cb"]}, "точным адресом"),
        ({"post_logout_redirect_uris": ["javascript:alert(1)"]}, "Адрес после выхода"),
    ],
)
def test_wrong_details_are_refused_in_russian(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(JournalClientError, match=message):
        register(**overrides)
    assert not Application.objects.exists()


# --- the operator's command -----------------------------------------------------------------------------


def test_the_command_prints_the_client_id_secret_and_token_once() -> None:
    output = run(*DEMO_ARGS)
    assert "Журнал «БАРС.Электронная школа» зарегистрирован." in output
    assert "client_id:             demo-journal" in output
    secret = output.split("client_secret:")[1].split()[0]
    token = output.split("токен API:")[1].split()[0]
    assert journal_client_credentials_check(
        client_id="demo-journal", client_secret=secret, api_token=token
    ) == (
        True,
        True,
    )
    assert "показаны один раз" in output
    assert "http://127.0.0.1:8001/id/.well-known/openid-configuration" in output

    again = run(*DEMO_ARGS)
    assert "уже был зарегистрирован" in again
    assert secret not in again
    assert token not in again
    assert "не изменился (новый: --rotate-secret)" in again
    assert f"начинается с {token[:10]}…" in again
    assert JournalClient.objects.count() == 1


def test_the_command_rotates_on_request() -> None:
    run(*DEMO_ARGS)
    output = run(*DEMO_ARGS, "--rotate-token")
    assert "client_secret:         не изменился" in output
    assert output.split("токен API:")[1].split()[0].startswith("parta_")
    assert "Токен API показан один раз" in output


def test_the_command_refuses_wrong_details_in_russian() -> None:
    with pytest.raises(CommandError, match="должен быть полным адресом"):
        run("--client-id", "demo-journal", "--name", "Журнал", "--redirect-uri", "callback")


def test_the_credentials_file_keeps_the_secret_and_token_across_runs(tmp_path: Path) -> None:
    file = tmp_path / "demo-journal-client.json"
    run(*DEMO_ARGS, "--credentials-file", str(file), "-v", "0")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    first = json.loads(file.read_text(encoding="utf-8"))
    assert first["client_id"] == "demo-journal"
    assert first["redirect_uris"] == [CALLBACK]
    assert first["issuer"] == "http://127.0.0.1:8001/id"
    assert journal_client_credentials_check(
        client_id="demo-journal", client_secret=first["client_secret"], api_token=first["api_token"]
    ) == (True, True)

    assert run(*DEMO_ARGS, "--credentials-file", str(file), "-v", "0") == ""  # every start of the demo
    assert json.loads(file.read_text(encoding="utf-8")) == first

    file.unlink()  # the clear values are lost: new ones are issued and written
    run(*DEMO_ARGS, "--credentials-file", str(file), "-v", "0")
    second = json.loads(file.read_text(encoding="utf-8"))
    assert second["client_secret"] != first["client_secret"]
    assert second["api_token"] != first["api_token"]
    assert journal_client_credentials_check(
        client_id="demo-journal", client_secret=second["client_secret"], api_token=second["api_token"]
    ) == (True, True)


def test_a_credentials_file_of_an_older_database_is_replaced(tmp_path: Path) -> None:
    file = tmp_path / "demo-journal-client.json"
    file.write_text(json.dumps({"client_id": "demo-journal", "client_secret": "old", "api_token": "old"}))
    run(*DEMO_ARGS, "--credentials-file", str(file), "-v", "0")
    data = json.loads(file.read_text(encoding="utf-8"))
    assert journal_client_credentials_check(
        client_id="demo-journal", client_secret=data["client_secret"], api_token=data["api_token"]
    ) == (True, True)


# --- public.py ------------------------------------------------------------------------------------------


def test_journal_client_by_api_token() -> None:
    registration = register()
    ref = journal_client_by_api_token(registration.api_token)
    assert ref == JournalClientRef(
        id=registration.client.pk,
        client_id="demo-journal",
        display_name="БАРС.Электронная школа",
    )
    assert journal_client_by_api_token("") is None
    assert journal_client_by_api_token("parta_not-a-token") is None
    assert journal_client_by_api_token(api_token_digest(registration.api_token)) is None
    assert journal_client_by_client_id("demo-journal") == ref
    assert journal_client_by_client_id("nobody") is None


def test_a_journal_switched_off_is_not_found() -> None:
    registration = register()
    JournalClient.objects.update(is_active=False)
    assert journal_client_by_api_token(registration.api_token) is None
    assert journal_client_by_client_id("demo-journal") is None


# --- switching a journal off and on -----------------------------------------------------------------------


def switch(*args: str) -> str:
    out = StringIO()
    call_command("switch_journal", *args, stdout=out)
    return out.getvalue()


def test_the_command_switches_a_journal_off_and_on() -> None:
    registration = register()
    assert (
        switch("--client-id", "demo-journal") == "Журнал «БАРС.Электронная школа» (demo-journal): включён.\n"
    )
    assert "отключён" in switch("--client-id", "demo-journal", "off")
    assert journal_client_by_api_token(registration.api_token) is None
    assert journal_client_by_client_id("demo-journal") is None
    assert AuditEvent.objects.filter(kind=AuditKind.JOURNAL_SWITCHED_OFF, target="demo-journal").exists()
    assert "включён" in switch("--client-id", "demo-journal", "on")
    ref = journal_client_by_api_token(registration.api_token)
    assert ref is not None
    assert ref.client_id == "demo-journal"
    assert AuditEvent.objects.filter(kind=AuditKind.JOURNAL_SWITCHED_ON).count() == 1
    switch("--client-id", "demo-journal", "on")  # already on: nothing changes, nothing is recorded
    assert AuditEvent.objects.filter(kind=AuditKind.JOURNAL_SWITCHED_ON).count() == 1


def test_the_command_refuses_an_unknown_journal_in_russian() -> None:
    with pytest.raises(CommandError, match=r"Журнал с client_id «nobody» не зарегистрирован\."):
        switch("--client-id", "nobody", "off")
    with pytest.raises(CommandError, match="не зарегистрирован"):
        switch("--client-id", "nobody")


def test_renaming_a_journal_renames_its_client_too() -> None:
    register()
    journal_client_update(client_id="demo-journal", display_name="  МЭШ.ВКС ")
    journal = JournalClient.objects.select_related("application").get()
    assert (journal.display_name, journal.application.name) == ("МЭШ.ВКС", "МЭШ.ВКС")
    with pytest.raises(JournalClientError, match="Укажите название журнала"):
        journal_client_update(client_id="demo-journal", display_name="   ")
