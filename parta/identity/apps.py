from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "parta.identity"
    label = "identity"
    verbose_name = "Сферум ID"
