"""``parta journal integration_repair``: settle bindings left ``pending`` by a crash, and delete links the
platform kept after an answer was lost."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from parta.integration import actions
from parta.integration.conf import NotConfiguredError, config_required


class Command(BaseCommand):
    help = (
        "Завершить привязки, прерванные сбоем, и удалить на платформе связи, оставшиеся после потерянного "
        "ответа платформы."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            current = config_required()
        except NotConfiguredError as error:
            raise CommandError("Подключение к Сферум не настроено (docs/integration.md).") from error
        done = actions.bindings_repair_due(config=current)
        self.stdout.write(
            f"Проверено учётных записей: {done.checked}; удалено связей: {done.deleted}; "
            f"ждут повтора: {done.left}."
        )
