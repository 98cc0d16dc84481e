"""``parta platform bot_expire``: close the bot's requests nobody answered in time (link requests tell
their journals ``link_request.expired``). The task workers already do this every minute by themselves
(the periodic task ``messenger.bot_expire``, docs/messenger-bot.md); this is for an operator who switches
that off (``PARTA_MESSENGER_BOT_EXPIRE_SECONDS=0``) and runs it from cron instead."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from parta.messenger.actions.link_requests import requests_expire


class Command(BaseCommand):
    help = "Закрыть запросы бота «Сферум», срок ответа на которые истёк."

    def handle(self, *args: Any, **options: Any) -> None:
        closed = requests_expire()
        self.stdout.write(f"Закрыто запросов: {closed}")
