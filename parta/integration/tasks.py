"""The integration's background tasks (django-tasks; run by ``parta worker journal``)."""

from __future__ import annotations

from django_tasks import task

from parta.integration.actions.bindings import bindings_repair, bindings_repair_due
from parta.integration.actions.sync import (
    account_links_complete,
    schools_unchanged,
    sync_account,
    sync_mark_dirty,
    sync_outbox_pump,
    sync_school,
)
from parta.integration.conf import NotConfiguredError, config_required
from parta.journal.public import schools_all


@task()
def sync_school_task(school_id: int) -> str:
    """Reconcile one school's chats (queued when the school is marked dirty; a failure re-queues itself
    with back-off)."""
    return sync_school(school_id=school_id).status


@task()
def sync_account_task(account_id: int, reason: str = "account") -> int:
    """The per-account fast path after a link, unlink or restore (queued with a high priority, so it
    runs before the queued school runs). Returns how many membership changes it sent."""
    return sync_account(account_id=account_id, reason=reason).changes


@task()
def bindings_extend_task(account_id: int, reason: str = "messenger") -> int:
    """Bind a linked account in the schools and roles it has no binding for yet (after a confirmation in
    the messenger, which binds one school). Returns how many bindings it added."""
    return account_links_complete(account_id=account_id, reason=reason)


def _sync_all(*, deep: bool) -> int:
    sync_outbox_pump()
    ids = [s.id for s in schools_all()]
    skip = set() if deep else schools_unchanged(ids)
    return len(sync_mark_dirty(school_ids=[i for i in ids if i not in skip], reason="periodic"))


@task()
def sync_all_task(deep: bool = False) -> int:
    """The periodic full reconcile: read the outbox and mark every school dirty — except, unless
    ``deep``, those unchanged since their last run (``schools_unchanged``). Queued every
    ``PARTA_SYNC_PERIODIC_SECONDS`` by the journal's task workers (``PARTA_PERIODIC_TASKS``)."""
    return _sync_all(deep=deep)


@task()
def sync_all_deep_task() -> int:
    """The nightly safety net (``PARTA_SYNC_DEEP_SECONDS``): every school marked, its desired state
    computed and diffed even when its version says nothing changed."""
    return _sync_all(deep=True)


@task()
def bindings_repair_task(account_id: int) -> int:
    """Delete the account's links the platform keeps that no binding holds (queued when the journal
    refused a confirmation the platform had already made a link for). Returns how many it deleted."""
    return bindings_repair(config=config_required(), account_id=account_id)


@task()
def integration_repair_task() -> int:
    """The periodic repair (``PARTA_INTEGRATION_REPAIR_SECONDS``): bindings left ``pending`` by a crash,
    links left on the platform after a lost answer or a refused confirmation. Returns how many links it
    deleted; nothing to do while the integration is not configured."""
    try:
        config = config_required()
    except NotConfiguredError:
        return 0
    return bindings_repair_due(config=config).deleted
