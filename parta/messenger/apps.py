from django.apps import AppConfig


class MessengerConfig(AppConfig):
    name = "parta.messenger"
    label = "messenger"
    verbose_name = "Сферум"
