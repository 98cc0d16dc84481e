"""``parta platform register_journal``: register a journal as a client of the ID and of API v1.

    parta platform register_journal --client-id demo-journal --name "БАРС.Электронная школа" \\
        --redirect-uri http://127.0.0.1:8000/integration/callback/

Prints the client id, and the client secret and API token when they are issued — once: only their
hashes are stored. Running it again updates the name and addresses and keeps the secret and token
(``--rotate-secret`` / ``--rotate-token`` issue new ones). With ``--credentials-file`` the clear secret
and token are also kept in that file (mode 0600) and reused while they are still valid: ``make demo``
registers its journal this way on every start.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from oauth2_provider.settings import oauth2_settings

from parta.identity.actions.clients import (
    JournalClientError,
    JournalClientRegistration,
    journal_client_credentials_check,
    journal_client_register,
)


def _read_credentials(path: Path, client_id: str) -> dict[str, str]:
    """The clear secret and token a previous run wrote for ``client_id`` (empty if none or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("client_id") != client_id:
        return {}
    return {key: str(data[key]) for key in ("client_secret", "api_token") if data.get(key)}


def _write_private(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON readable by the owner only, replacing the file in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


class Command(BaseCommand):
    help = (
        "Регистрирует электронный журнал как клиента Сферум ID (OpenID Connect) и API v1 платформы или "
        "обновляет уже зарегистрированный. Секрет клиента и токен API показываются один раз — при выдаче."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client-id", required=True, help="Идентификатор клиента (client_id).")
        parser.add_argument(
            "--name", required=True, help="Название журнала, которое видят пользователи на экранах входа."
        )
        parser.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            metavar="АДРЕС",
            help="Адрес возврата после входа (можно несколько раз). Заменяет зарегистрированные.",
        )
        parser.add_argument(
            "--post-logout-redirect-uri",
            action="append",
            default=[],
            metavar="АДРЕС",
            help="Адрес возврата после выхода (RP-initiated logout; можно несколько раз).",
        )
        parser.add_argument("--rotate-secret", action="store_true", help="Выдать новый секрет клиента.")
        parser.add_argument("--rotate-token", action="store_true", help="Выдать новый токен API.")
        parser.add_argument(
            "--credentials-file",
            metavar="ФАЙЛ",
            help="Хранить секрет и токен API в этом файле (права 0600) и не менять их, пока они действуют.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client_id = str(options["client_id"]).strip()
        file = Path(options["credentials_file"]) if options["credentials_file"] else None
        kept = _read_credentials(file, client_id) if file else {}
        rotate_secret = bool(options["rotate_secret"])
        rotate_token = bool(options["rotate_token"])
        if file:
            secret_ok, token_ok = journal_client_credentials_check(
                client_id=client_id,
                client_secret=kept.get("client_secret", ""),
                api_token=kept.get("api_token", ""),
            )
            rotate_secret = rotate_secret or not secret_ok
            rotate_token = rotate_token or not token_ok
        try:
            registration = journal_client_register(
                client_id=client_id,
                display_name=options["name"],
                redirect_uris=options["redirect_uri"],
                post_logout_redirect_uris=options["post_logout_redirect_uri"],
                rotate_secret=rotate_secret,
                rotate_api_token=rotate_token,
            )
        except JournalClientError as error:
            raise CommandError(str(error)) from error

        if file:
            secret = registration.client_secret or kept["client_secret"]
            token = registration.api_token or kept["api_token"]
            _write_private(file, self._credentials(registration, secret, token))
        if int(options.get("verbosity", 1)) > 0:
            self._report(registration, file)

    @staticmethod
    def _credentials(registration: JournalClientRegistration, secret: str, token: str) -> dict[str, Any]:
        application = registration.client.application
        issuer = str(oauth2_settings.OIDC_ISS_ENDPOINT).rstrip("/")
        return {
            "client_id": application.client_id,
            "client_secret": secret,
            "api_token": token,
            "display_name": registration.client.display_name,
            "redirect_uris": application.redirect_uris.split(),
            "post_logout_redirect_uris": application.post_logout_redirect_uris.split(),
            "issuer": issuer,
            "discovery_url": f"{issuer}/.well-known/openid-configuration",
        }

    def _report(self, registration: JournalClientRegistration, file: Path | None) -> None:
        journal = registration.client
        application = journal.application
        issuer = str(oauth2_settings.OIDC_ISS_ENDPOINT).rstrip("/")
        say = self.stdout.write
        if registration.created:
            say(self.style.SUCCESS(f"Журнал «{journal.display_name}» зарегистрирован."))
        else:
            say(
                self.style.SUCCESS(
                    f"Журнал «{journal.display_name}» уже был зарегистрирован; данные обновлены."
                )
            )
        say(f"  client_id:             {application.client_id}")
        if registration.client_secret:
            say(f"  client_secret:         {registration.client_secret}")
        else:
            say("  client_secret:         не изменился (новый: --rotate-secret)")
        if registration.api_token:
            say(f"  токен API:             {registration.api_token}")
        else:
            hint = journal.api_token_hint
            say(f"  токен API:             не изменился, начинается с {hint}… (новый: --rotate-token)")
        say(f"  адреса возврата:       {' '.join(application.redirect_uris.split())}")
        say(f"  адреса после выхода:   {' '.join(application.post_logout_redirect_uris.split()) or 'нет'}")
        say(f"  издатель (issuer):     {issuer}")
        say(f"  настройки OIDC:        {issuer}/.well-known/openid-configuration")
        issued = [
            name
            for name, value in (
                ("секрет клиента", registration.client_secret),
                ("токен API", registration.api_token),
            )
            if value
        ]
        if issued:
            shown = " и ".join(issued)
            say(
                self.style.WARNING(
                    f"{shown[0].upper()}{shown[1:]} показаны один раз: платформа хранит только хеши. "
                    "Сохраните их сейчас."
                    if len(issued) > 1
                    else f"{shown[0].upper()}{shown[1:]} показан один раз: платформа хранит только хеш. "
                    "Сохраните его сейчас."
                )
            )
        if file:
            say(f"Секрет и токен API записаны в файл {file} (права 0600).")
