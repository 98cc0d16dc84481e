"""``parta platform webhook_endpoint <client> <url> [--rotate-secret]``: where a journal's webhooks go.

``<client>`` is the journal's OpenID Connect client id (``demo-journal``) or its registration's number.
Prints the signing secret the journal verifies ``Webhook-Signature`` with (docs/api.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parta.identity.public import journal_client_by_client_id
from parta.messenger.actions import MessengerError, endpoint_set
from parta.messenger.models import Organization


class Command(BaseCommand):
    help = "Задать адрес вебхуков журнала и показать секрет подписи."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client", help="client_id журнала (например, demo-journal) или номер регистрации")
        parser.add_argument("url", help="адрес, на который отправлять вебхуки (http:// или https://)")
        parser.add_argument("--rotate-secret", action="store_true", help="выдать новый секрет подписи")

    def handle(self, *args: Any, **options: Any) -> None:
        client = journal_client_by_client_id(options["client"])
        client_pk = client.id if client else None
        if client_pk is None and options["client"].isdigit():
            client_pk = int(options["client"])
            if (
                not Organization._meta.get_field("client")
                .related_model._default_manager.filter(  # type: ignore[union-attr]
                    pk=client_pk
                )
                .exists()
            ):
                client_pk = None
        if client_pk is None:
            raise CommandError(f"Журнал «{options['client']}» не зарегистрирован.")
        try:
            endpoint = endpoint_set(
                client_id=client_pk, url=options["url"], rotate_secret=options["rotate_secret"]
            )
        except MessengerError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Вебхуки журнала отправляются на {endpoint.url}")
        self.stdout.write(endpoint.secret)
