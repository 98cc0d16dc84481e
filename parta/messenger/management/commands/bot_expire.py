"""``parta platform bot_expire``: close the bot's requests nobody answered in time (link requests tell
their journals ``link_request.expired``). Run it every few minutes from cron or a scheduler; the API also
closes due link requests whenever a journal asks about them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from parta.messenger.actions.bot import bot_requests_expire
from parta.messenger.actions.link_requests import link_requests_expire


class Command(BaseCommand):
    help = "Закрыть запросы бота «Сферум», срок ответа на которые истёк."

    def handle(self, *args: Any, **options: Any) -> None:
        closed = link_requests_expire() + bot_requests_expire()
        self.stdout.write(f"Закрыто запросов: {closed}")
