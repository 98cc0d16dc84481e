"""The shared kernel as a Django app: only for what both sides need in their own database — the
schedule of periodic tasks (:mod:`parta.core.periodic`) and the worker that keeps it — and the ``__any``
lookup (:mod:`parta.core.lookups`) both sides' queries use."""

from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "parta.core"
    label = "parta_core"
    verbose_name = "Общее ядро"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models import Field, ForeignObject

        from parta.core.lookups import AnyOf

        Field.register_lookup(AnyOf)
        ForeignObject.register_lookup(AnyOf)  # relations take only their own class's lookups
