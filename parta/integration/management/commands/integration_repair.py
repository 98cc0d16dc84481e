"""``parta journal integration_repair``: settle bindings left ``pending`` by a crash, and delete links the
platform kept after an answer was lost."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from parta.integration import actions
from parta.integration.conf import NotConfiguredError, config_required, pending_stale_after
from parta.integration.models import Binding, BindingState


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
        stale = Binding.objects.filter(
            state=BindingState.PENDING, created_at__lt=timezone.now() - pending_stale_after()
        )
        waiting = Q(cleanup_needed=True) | Q(pk__in=stale.values("pk"))
        account_ids = sorted(set(Binding.objects.filter(waiting).values_list("account_id", flat=True)))
        deleted = sum(actions.bindings_repair(config=current, account_id=a) for a in account_ids)
        left = Binding.objects.filter(waiting).values("account_id").distinct().count()
        self.stdout.write(
            f"Проверено учётных записей: {len(account_ids)}; удалено связей: {deleted}; ждут повтора: {left}."
        )
