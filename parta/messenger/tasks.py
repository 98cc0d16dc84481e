"""The messenger's background tasks (django-tasks; run by ``parta worker platform``)."""

from __future__ import annotations

from django_tasks import task

from parta.messenger.actions.webhooks import webhook_attempt


@task()
def webhook_deliver(event_pk: int) -> None:
    """One try to deliver a webhook event; a failed try enqueues the next one itself (back-off)."""
    webhook_attempt(event_pk)
