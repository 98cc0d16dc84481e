from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "parta.integration"
    label = "integration"
    verbose_name = "Интеграция со Сферум"
