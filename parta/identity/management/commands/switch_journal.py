"""``parta platform switch_journal``: switch a registered journal off or on, or show its state.

    parta platform switch_journal --client-id mesh-vks off    # no sign-ins, tokens or API v1 calls
    parta platform switch_journal --client-id mesh-vks on     # back, with the same secret and token
    parta platform switch_journal --client-id mesh-vks        # only show the state

Nothing is deleted: a journal switched on again works as before. The audit log records each switch.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parta.identity.actions.clients import JournalClientError, journal_client_update
from parta.identity.models import JournalClient


class Command(BaseCommand):
    help = (
        "Отключает или включает электронный журнал (клиента Сферум ID и API v1). Отключённый журнал не "
        "получает кодов и токенов, его токены и токен API перестают действовать. Без on/off показывает "
        "состояние."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client-id", required=True, help="Идентификатор клиента (client_id).")
        parser.add_argument("state", nargs="?", choices=["on", "off"], help="on — включить, off — отключить.")

    def handle(self, *args: Any, **options: Any) -> None:
        client_id = str(options["client_id"])
        state = options.get("state")
        try:
            if state is None:
                journal = (
                    JournalClient.objects.select_related("application")
                    .filter(application__client_id=client_id)
                    .first()
                )
                if journal is None:
                    raise JournalClientError(f"Журнал с client_id «{client_id}» не зарегистрирован.")
            else:
                journal = journal_client_update(client_id=client_id, is_active=state == "on")
        except JournalClientError as refused:
            raise CommandError(str(refused)) from refused
        status = "включён" if journal.is_active else "отключён"
        self.stdout.write(f"Журнал «{journal.display_name}» ({client_id}): {status}.")
