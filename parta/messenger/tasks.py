"""The messenger's background tasks (django-tasks; run by ``parta worker platform``)."""

from __future__ import annotations

from django_tasks import task

from parta.messenger.actions.link_requests import requests_expire
from parta.messenger.actions.webhooks import webhook_attempt


@task()
def webhook_deliver(event_pk: int) -> None:
    """One try to deliver a webhook event; a failed try enqueues the next one itself (back-off)."""
    webhook_attempt(event_pk)


@task()
def bot_expire() -> int:
    """Close the bot's requests nobody answered in time; queued every minute by the workers themselves
    (``PARTA_PERIODIC_TASKS``, parta/core/periodic.py). Returns how many were closed."""
    return requests_expire()
