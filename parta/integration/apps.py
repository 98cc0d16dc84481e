from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "parta.integration"
    label = "integration"
    verbose_name = "Интеграция со Сферум"

    def ready(self) -> None:
        from parta.integration.partner import SferumPartner
        from parta.journal.public import partner_register

        partner_register(partner=SferumPartner())

        from parta.integration.actions.sync import roster_event_seen  # roster → chats (docs/sync.md)
        from parta.journal.public import roster_events_subscribe

        roster_events_subscribe(callback=roster_event_seen, key="integration-sync")

        from parta.integration.actions.sync import lesson_changed  # online lessons → conferences
        from parta.journal.public import lessons_subscribe

        lessons_subscribe(callback=lesson_changed, key="integration-sync")
