"""The integration's background tasks (django-tasks; run by ``parta worker journal``)."""

from __future__ import annotations

from django_tasks import task

from parta.integration.actions.sync import sync_mark_dirty, sync_outbox_pump, sync_school


@task()
def sync_school_task(school_id: int) -> str:
    """Reconcile one school's chats (queued when the school is marked dirty; a failure re-queues itself
    with back-off)."""
    return sync_school(school_id=school_id).status


@task()
def sync_all_task() -> int:
    """The periodic full reconcile: read the outbox and mark every school dirty."""
    sync_outbox_pump()
    return len(sync_mark_dirty(school_ids=None, reason="periodic"))
