"""Every write of the roster → chats sync (docs/sync.md): marking schools dirty, running a school's
reconciliation against the platform, holding and approving a large removal, reading the journal's outbox.

Crash-safe and idempotent: a run sends a batch to ``groups:sync`` (idempotent on the platform) and only
then, in one transaction per batch, records the answer in the ledger with the history of the changes. A
run killed between the two sends the same changes again next time; the platform answers zeros and the
ledger catches up, so nothing is lost or done twice. A failed run is retried with back-off.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parta.integration.conf import NotConfiguredError, config_required
from parta.integration.models import (
    Binding,
    SyncChange,
    SyncChangeKind,
    SyncCursor,
    SyncGroup,
    SyncMember,
    SyncSchool,
    SyncStatus,
)
from parta.integration.platform_api import (
    GroupResult,
    PlatformClient,
    PlatformRefusedError,
    PlatformUnavailableError,
)
from parta.integration.sync.desired import desired_school
from parta.integration.sync.plan import GroupPlan, SchoolPlan, school_plan
from parta.journal.public import roster_events_after, school_ids_by_ref, schools_all

logger = logging.getLogger("parta.integration.sync")

LEASE = dt.timedelta(minutes=15)  # a run not finished by then is taken as dead (a killed worker)


def _setting(name: str, default: object) -> object:
    return getattr(settings, name, default)


def hold_threshold(applied_members: int) -> int:
    """A run may remove at most max(share × members, minimum) members of a school without approval."""
    share = float(_setting("PARTA_SYNC_HOLD_SHARE", 0.01))  # type: ignore[arg-type]
    minimum = int(_setting("PARTA_SYNC_HOLD_MIN", 500))  # type: ignore[call-overload]
    return max(math.ceil(share * applied_members), minimum)


def backoff(attempt: int) -> int:
    steps = list(_setting("PARTA_SYNC_BACKOFF", (5, 30, 120, 600, 1800)))  # type: ignore[call-overload]
    return int(steps[min(max(attempt, 1), len(steps)) - 1])


# --- dirty marks and the queue -----------------------------------------------------------------------------


def _enqueue(school_id: int, run_after: dt.datetime | None = None) -> None:
    from parta.integration.tasks import sync_school_task  # the task module imports this one

    try:
        task = sync_school_task.using(run_after=run_after) if run_after else sync_school_task
        task.enqueue(school_id)
    except Exception:  # the queue is down: the periodic `parta sync --all` picks the school up
        logger.exception("sync: could not enqueue school %s", school_id)


def sync_mark_dirty(*, school_ids: Iterable[int] | None, reason: str) -> list[int]:
    """Mark schools (``None`` = every school) as needing a run and queue a run for those not already
    queued or running. Cheap and idempotent: call it as often as the journal changes."""
    ids = sorted(set(school_ids)) if school_ids is not None else [s.id for s in schools_all()]
    queued: list[int] = []
    with transaction.atomic():
        existing = set(SyncSchool.objects.filter(school_id__in=ids).values_list("school_id", flat=True))
        SyncSchool.objects.bulk_create(
            [SyncSchool(school_id=i) for i in ids if i not in existing], ignore_conflicts=True
        )
        for row in SyncSchool.objects.select_for_update().filter(school_id__in=ids):
            row.dirty_seq += 1
            row.dirty_reason = reason[:40]
            fields = ["dirty_seq", "dirty_reason"]
            if row.status in (SyncStatus.IDLE, SyncStatus.HELD):
                if row.status == SyncStatus.IDLE:
                    row.status = SyncStatus.PENDING
                    fields.append("status")
                queued.append(row.school_id)
            elif (
                row.status == SyncStatus.RUNNING
                and row.last_run_at
                and row.last_run_at < timezone.now() - LEASE
            ):
                queued.append(row.school_id)  # the run's worker died: take it over
            row.save(update_fields=fields)
        for school_id in queued:
            transaction.on_commit(functools.partial(_enqueue, school_id))
    return queued


def sync_account_changed(*, account_id: int, reason: str) -> list[int]:
    """A link or unlink: the account's schools (its bindings' and those where the ledger has it) run
    now, so the user is in (or out of) their chats within seconds."""
    refs = list(Binding.objects.filter(account_id=account_id).values_list("org_ref", flat=True).distinct())
    ids = set(school_ids_by_ref(refs=refs).values())
    ids |= set(SyncMember.objects.filter(account_id=account_id).values_list("group__school_id", flat=True))
    return sync_mark_dirty(school_ids=ids, reason=reason) if ids else []


def account_sync_on_commit(*, account_id: int, reason: str) -> None:
    """After the current transaction commits (at once outside one): :func:`sync_account_changed`."""
    if not bool(_setting("PARTA_SYNC_AUTO", True)):
        return

    def run() -> None:
        try:
            sync_account_changed(account_id=account_id, reason=reason)
        except Exception:  # never break linking: the periodic reconcile repairs it
            logger.exception("sync: could not mark the schools of account %s", account_id)

    transaction.on_commit(run)


def sync_outbox_pump(*, limit: int = 1000) -> int:
    """Read the journal's outbox from the cursor on and mark the schools its events name (an event without
    a school, e.g. ``year.opened``, marks every school). Returns how many events were read."""
    read = 0
    while True:
        with transaction.atomic():
            cursor, _ = SyncCursor.objects.select_for_update().get_or_create(name="outbox")
            events = roster_events_after(after_id=cursor.last_id, limit=limit)
            if not events:
                return read
            region_wide = any(e.school_id is None for e in events)
            ids = None if region_wide else {int(e.school_id) for e in events if e.school_id is not None}
            sync_mark_dirty(school_ids=ids, reason=events[-1].kind)
            cursor.last_id = events[-1].id
            cursor.save(update_fields=["last_id"])
            read += len(events)


def roster_event_seen(event: object) -> None:
    """Called for every outbox row as the journal writes it (``parta.journal.public``); marks the school
    dirty once the journal's transaction commits."""
    if not bool(_setting("PARTA_SYNC_AUTO", True)):
        return
    school_id = getattr(event, "school_id", None)
    kind = str(getattr(event, "kind", ""))
    transaction.on_commit(
        lambda: sync_mark_dirty(school_ids=None if school_id is None else [int(school_id)], reason=kind)
    )


# --- one school's run --------------------------------------------------------------------------------------


@dataclass
class RunResult:
    status: str  # ok | held | failed | busy | waiting | missing | dry_run
    plan: SchoolPlan | None
    message: str


def sync_plan(*, school_id: int) -> SchoolPlan | None:
    """The plan of a school without changing anything (``--dry-run``)."""
    desired = desired_school(school_id)
    if desired is None:
        return None
    row = SyncSchool.objects.filter(school_id=school_id).first()
    last_ok = row.last_ok_at.timestamp() if row and row.last_ok_at else None
    return school_plan(desired, last_ok_ts=last_ok)


def _batches(groups: list[GroupPlan]) -> Iterator[list[GroupPlan]]:
    size = int(_setting("PARTA_SYNC_BATCH_GROUPS", 500))  # type: ignore[call-overload]
    people = int(_setting("PARTA_SYNC_BATCH_PEOPLE", 50_000))  # type: ignore[call-overload]
    batch: list[GroupPlan] = []
    count = 0
    for group in groups:
        weight = len(group.target) + len(group.changes) + 1
        if batch and (len(batch) >= size or count + weight > people):
            yield batch
            batch, count = [], 0
        batch.append(group)
        count += weight
    if batch:
        yield batch


def _record(plan: SchoolPlan, batch: list[GroupPlan], results: list[GroupResult]) -> list[str]:
    """The platform's answer into the ledger and the history, in one transaction. Returns the errors."""
    errors: list[str] = []
    by_ref = {r.group_ref: r for r in results}
    now = timezone.now()
    history: list[SyncChange] = []
    with transaction.atomic():
        for group in batch:
            result = by_ref.get(group.ref)
            if result is None or result.error:
                errors.append(f"{group.title}: {result.error if result else 'нет ответа'}")
                continue
            unknown = set(result.unknown)
            row, _ = SyncGroup.objects.update_or_create(
                org_ref=plan.org_ref,
                group_ref=group.ref,
                defaults={
                    "school_id": plan.school_id,
                    "kind": group.kind,
                    "title": group.title,
                    "subject": group.subject,
                    "archived": group.archived,
                    "chat_id": result.chat_id,
                    "updated_at": now,
                },
            )
            removed = [c.sub for c in group.changes if c.change == SyncChangeKind.REMOVED] + sorted(unknown)
            if removed:
                SyncMember.objects.filter(group=row, sub__in=removed).delete()
            added = [c for c in group.changes if c.change == SyncChangeKind.ADDED and c.sub not in unknown]
            SyncMember.objects.bulk_create(
                [
                    SyncMember(
                        group=row,
                        sub=c.sub,
                        account_id=c.account_id,
                        person_id=c.person_id,
                        admin=group.target[c.sub].admin,
                    )
                    for c in added
                ],
                ignore_conflicts=True,
            )
            for kind, admin in ((SyncChangeKind.ADMIN_GRANTED, True), (SyncChangeKind.ADMIN_REVOKED, False)):
                subs = [c.sub for c in group.changes if c.change == kind and c.sub not in unknown]
                if subs:
                    SyncMember.objects.filter(group=row, sub__in=subs).update(admin=admin)
            history.extend(
                SyncChange(
                    created_at=now,
                    school_id=plan.school_id,
                    group_ref=group.ref,
                    group_title=group.title,
                    account_id=c.account_id,
                    sub=c.sub,
                    change=c.change,
                    reason=c.reason,
                )
                for c in group.changes
                if c.sub not in unknown
            )
        SyncChange.objects.bulk_create(history, batch_size=2000)
    return errors


def _claim(school_id: int, *, force: bool) -> tuple[SyncSchool | None, str]:
    now = timezone.now()
    with transaction.atomic():
        SyncSchool.objects.get_or_create(school_id=school_id)
        row = SyncSchool.objects.select_for_update().get(school_id=school_id)
        if row.status == SyncStatus.RUNNING and row.last_run_at and row.last_run_at > now - LEASE:
            return None, "busy"
        if (
            not force
            and row.status == SyncStatus.FAILED
            and row.next_attempt_at
            and row.next_attempt_at > now + dt.timedelta(seconds=1)
        ):
            return None, "waiting"
        row.status = SyncStatus.RUNNING
        row.last_run_at = now
        row.save(update_fields=["status", "last_run_at"])
    return row, ""


def _fail(row: SyncSchool, error: str) -> RunResult:
    with transaction.atomic():
        fresh = SyncSchool.objects.select_for_update().get(pk=row.pk)
        fresh.attempts += 1
        fresh.status = SyncStatus.FAILED
        fresh.next_attempt_at = timezone.now() + dt.timedelta(seconds=backoff(fresh.attempts))
        fresh.last_error = error[:2000]
        fresh.last_result = f"Ошибка, повтор в {timezone.localtime(fresh.next_attempt_at):%H:%M:%S}."
        fresh.save()
        retry_at = fresh.next_attempt_at
        transaction.on_commit(lambda: _enqueue(fresh.school_id, run_after=retry_at))
    logger.warning("sync: school %s failed (%s): %s", row.school_id, fresh.attempts, error)
    return RunResult("failed", None, fresh.last_result + " " + error)


def sync_school(
    *,
    school_id: int,
    force: bool = False,
    approve: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Reconcile one school's chats with the journal. ``force`` runs even while a retry waits;
    ``approve`` lets a run remove more than the safety threshold (the operator's approval)."""
    row, why = _claim(school_id, force=force)
    if row is None:
        return RunResult(why, None, "Школа уже синхронизируется." if why == "busy" else "Ждёт повтора.")
    started_seq = row.dirty_seq
    started_at = row.last_run_at or timezone.now()
    desired = desired_school(school_id)
    if desired is None:
        SyncSchool.objects.filter(pk=row.pk).update(status=SyncStatus.IDLE, done_seq=started_seq)
        return RunResult("missing", None, "Школы нет в журнале.")
    plan = school_plan(desired, last_ok_ts=row.last_ok_at.timestamp() if row.last_ok_at else None)
    SyncSchool.objects.filter(pk=row.pk).update(org_ref=desired.org_ref, name=desired.name[:255])
    limit = hold_threshold(plan.applied_members)
    if plan.removals > limit and not approve and row.approved_removals < plan.removals:
        message = (
            f"Синхронизация удалила бы из чатов {plan.removals} участников (порог {limit}): ждёт "
            "подтверждения оператора («Разрешить удаление и синхронизировать» в администрировании или "
            f"`parta sync --school {school_id} --approve-removals`)."
        )
        SyncSchool.objects.filter(pk=row.pk).update(
            status=SyncStatus.HELD, held_removals=plan.removals, last_result=message
        )
        logger.warning("sync: school %s held: %s removals > %s", school_id, plan.removals, limit)
        return RunResult("held", plan, message)
    try:
        cfg = config_required()
        if plan.groups:
            with PlatformClient(cfg) as api:
                api.org_put(org_ref=plan.org_ref, name=plan.name)
                for batch in _batches(plan.groups):
                    results = api.groups_sync(org_ref=plan.org_ref, groups=[g.payload() for g in batch])
                    errors = _record(plan, batch, results)
                    if errors:
                        raise PlatformRefusedError(400, "; ".join(errors)[:2000])
                    if progress:
                        progress(len(batch))
    except NotConfiguredError:
        return _fail(row, "Интеграция не настроена: нет токена API или адреса платформы.")
    except (PlatformUnavailableError, PlatformRefusedError) as error:
        return _fail(row, str(error) or type(error).__name__)
    message = (
        f"Готово: чатов изменено {len(plan.groups)}, изменений состава {plan.changes} "
        f"(удалений {plan.removals})."
    )
    with transaction.atomic():
        fresh = SyncSchool.objects.select_for_update().get(pk=row.pk)
        fresh.done_seq = max(fresh.done_seq, started_seq)
        fresh.status = SyncStatus.PENDING if fresh.dirty_seq > fresh.done_seq else SyncStatus.IDLE
        fresh.attempts = 0
        fresh.next_attempt_at = None
        fresh.last_ok_at = started_at
        fresh.last_result = message
        fresh.last_error = ""
        fresh.held_removals = 0
        fresh.approved_removals = 0
        fresh.save()
        if fresh.status == SyncStatus.PENDING:
            transaction.on_commit(lambda: _enqueue(school_id))
    return RunResult("ok", plan, message)


def sync_approve(*, school_ids: Iterable[int], actor: str) -> int:
    """The operator's approval of the held removals: the next run of each school may remove as many
    members as it was held for. Queues the runs; returns how many schools were approved."""
    count = 0
    with transaction.atomic():
        for row in SyncSchool.objects.select_for_update().filter(
            school_id__in=list(school_ids), status=SyncStatus.HELD
        ):
            row.approved_removals = row.held_removals
            row.approved_by = actor[:150]
            row.status = SyncStatus.PENDING
            row.save(update_fields=["approved_removals", "approved_by", "status"])
            transaction.on_commit(functools.partial(_enqueue, row.school_id))
            count += 1
    return count
