from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "parta.journal"
    label = "journal"
    verbose_name = "Журнал"
