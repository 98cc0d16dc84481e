"""``parta journal integration_repair``: delete links the platform kept after an answer was lost."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from parta.integration import actions
from parta.integration.conf import NotConfiguredError, config_required
from parta.integration.models import Binding


class Command(BaseCommand):
    help = "Удалить на платформе связи, оставшиеся после потерянного ответа платформы."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            current = config_required()
        except NotConfiguredError as error:
            raise CommandError("Подключение к Сферум не настроено (docs/integration.md).") from error
        account_ids = sorted(
            set(Binding.objects.filter(cleanup_needed=True).values_list("account_id", flat=True))
        )
        deleted = sum(actions.bindings_repair(config=current, account_id=a) for a in account_ids)
        left = Binding.objects.filter(cleanup_needed=True).values("account_id").distinct().count()
        self.stdout.write(
            f"Проверено учётных записей: {len(account_ids)}; удалено связей: {deleted}; ждут повтора: {left}."
        )
