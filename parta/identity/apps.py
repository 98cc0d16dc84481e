from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "parta.identity"
    label = "identity"
    verbose_name = "Сферум ID"

    def ready(self) -> None:
        from parta.identity import signals  # noqa: F401 -- connects the sign-in receivers
