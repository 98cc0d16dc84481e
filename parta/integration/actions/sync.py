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
import hashlib
import json
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from parta.integration.actions.bindings import bindings_extend, live_bindings
from parta.integration.actions.errors import LinkError
from parta.integration.conf import Config, NotConfiguredError, config_required
from parta.integration.models import (
    Binding,
    LinkRefusal,
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
from parta.integration.sync.account import account_school_plan
from parta.integration.sync.conferences import (
    DELETE,
    PUT,
    ConferencePlan,
    conference_plan,
    conferences_applied,
    conferences_forget_past,
)
from parta.integration.sync.desired import DesiredSchool, desired_school, subject_chats_enabled, titles
from parta.integration.sync.ledger import (
    GROUP_COLUMNS,
    groups_update,
    ledger_commit_async,
    members_delete,
    members_set_admin,
)
from parta.integration.sync.plan import GroupPlan, SchoolPlan, school_plan
from parta.journal.public import (
    account_school_ids,
    roster_events_after,
    roster_versions,
    school_ids_by_ref,
    school_roster_version,
    schools_all,
    student_family_accounts,
)

logger = logging.getLogger("parta.integration.sync")

# seconds per step of the school runs in this process (`parta sync --timings`)
TIMINGS: defaultdict[str, float] = defaultdict(float)

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


FAST_PRIORITY = 50  # the per-account task runs before every queued school run (django-tasks priority)


def account_schools(account_id: int) -> set[int]:
    """The schools whose chats may hold the account: its bindings', its person's roles' this year and
    those where the ledger has it."""
    refs = list(Binding.objects.filter(account_id=account_id).values_list("org_ref", flat=True).distinct())
    ids = set(school_ids_by_ref(refs=refs).values()) if refs else set()
    ids |= account_school_ids(account_id=account_id)
    ids |= set(SyncMember.objects.filter(account_id=account_id).values_list("group__school_id", flat=True))
    return ids


def _enqueue_account(account_id: int, reason: str) -> bool:
    from parta.integration.tasks import sync_account_task

    try:
        sync_account_task.using(priority=FAST_PRIORITY).enqueue(account_id, reason)
    except Exception:  # the queue is down: fall back to the schools' runs
        logger.exception("sync: could not enqueue account %s", account_id)
        return False
    return True


def sync_account_changed(*, account_id: int, reason: str) -> list[int]:
    """A link, unlink or restore: queue the account's fast path (:func:`sync_account`) ahead of every
    school run, so the user is in (or out of) their chats within seconds. Returns the account's
    schools; if the task cannot be queued they are marked dirty instead."""
    ids = account_schools(account_id)
    if ids and not _enqueue_account(account_id, reason):
        sync_mark_dirty(school_ids=ids, reason=reason)
    return sorted(ids)


@dataclass
class AccountRunResult:
    changes: int
    schools: list[int]
    deferred: list[int]  # schools handed to a full run (a chat not made yet, or the platform failed)


def sync_account(*, account_id: int, reason: str = "account") -> AccountRunResult:
    """The per-account fast path: the account's memberships in the chats of each of its schools brought
    to the journal's state, sent as deltas and recorded in the ledger and the history. It takes no lock
    on the school, so it does not wait for a running full reconcile (whose plan, made from the ledger,
    sends the same set-wise deltas at worst — idempotent on the platform). A chat that is not on the
    platform yet, or a platform failure, marks the school dirty for its regular run."""
    changes = 0
    done: list[int] = []
    deferred: list[int] = []
    try:
        cfg = config_required()
    except NotConfiguredError:
        return AccountRunResult(0, [], [])
    ids = sorted(account_schools(account_id))
    rows = {r.school_id: r for r in SyncSchool.objects.filter(school_id__in=ids)}
    with PlatformClient(cfg) as api:
        for school_id in ids:
            row = rows.get(school_id)
            if row is None or row.last_ok_at is None:
                deferred.append(school_id)  # never synced: the school's first run makes its chats
                continue
            found = account_school_plan(
                school_id=school_id, account_id=account_id, last_ok_ts=row.last_ok_at.timestamp()
            )
            plan = found.plan
            if found.needs_school_run:
                deferred.append(school_id)
            if plan is None or not plan.groups:
                done.append(school_id)
                continue
            try:
                results = api.groups_sync(org_ref=plan.org_ref, groups=[g.payload() for g in plan.groups])
                errors = _record(plan, plan.groups, results)
            except (PlatformUnavailableError, PlatformRefusedError) as error:
                errors = [str(error) or type(error).__name__]
            if errors:
                logger.warning("sync: account %s in school %s: %s", account_id, school_id, "; ".join(errors))
                deferred.append(school_id)
                continue
            changes += plan.changes
            done.append(school_id)
    if deferred:
        sync_mark_dirty(school_ids=deferred, reason=reason)
    return AccountRunResult(changes, done, sorted(set(deferred)))


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


# --- an account in several schools: its links follow its roles ----------------------------------------------

STAFF_BINDINGS = frozenset({"teacher", "administrator"})
PARENT_BINDING = frozenset({"parent"})
STUDENT_BINDING = frozenset({"student"})


def account_links_complete(*, account_id: int, reason: str) -> int:
    """Bind the roles and schools a linked account gained (``bindings_extend``); the bindings added.
    Never raises: a refusal is audited and left; a platform that does not answer marks the schools
    still to bind dirty, so their runs (retried with back-off) bind them."""
    try:
        cfg = config_required()
    except NotConfiguredError:
        return 0
    try:
        return len(bindings_extend(config=cfg, account_id=account_id, method=reason))
    except LinkError as refused:
        logger.warning("sync: account %s not bound in its other schools: %s", account_id, refused)
    except (PlatformUnavailableError, PlatformRefusedError) as error:
        logger.warning("sync: binding account %s in its other schools postponed: %s", account_id, error)
        ids = account_school_ids(account_id=account_id)
        if ids:
            sync_mark_dirty(school_ids=ids, reason=reason)
    return 0


def _enqueue_links(account_id: int, reason: str) -> None:
    from parta.integration.tasks import bindings_extend_task

    try:
        bindings_extend_task.using(priority=FAST_PRIORITY).enqueue(account_id, reason)
    except Exception:  # the queue is down: the schools' runs bind the account when they come
        logger.exception("sync: could not queue the other schools of account %s", account_id)
        sync_mark_dirty(school_ids=account_school_ids(account_id=account_id), reason=reason)


def account_links_on_commit(*, account_id: int, reason: str) -> None:
    """After the current transaction commits: :func:`account_links_complete` in the task worker, ahead of
    the school runs (manual 003 binds one school; this binds the account's others)."""
    transaction.on_commit(functools.partial(_enqueue_links, account_id, reason))


def _links_missing(desired: DesiredSchool) -> list[int]:
    """Accounts in this school's chats (linked, so through another school or role) without a live binding
    here for the role a chat needs: staff for «Учительская» and a chat's admin, parent for a parents'
    chat, student for the others. A role the platform refused for good for the account's profile here
    (``LinkRefusal``, not cleared) counts as done: it is not asked again on every run. A pending binding
    left by a crash does not count (the extension repairs it). No query for the bindings when the desired
    state read them (``DesiredSchool.bound_roles``; one per 5000 accounts otherwise) and one for the
    school's open refusals."""
    needs: dict[int, set[frozenset[str]]] = defaultdict(set)
    subs: dict[int, str] = {}
    for group in desired.groups.values():
        plain = {"staff": STAFF_BINDINGS, "parents": PARENT_BINDING}.get(group.kind, STUDENT_BINDING)
        for sub, member in group.members.items():
            subs[member.account_id] = sub
            needs[member.account_id].add(STAFF_BINDINGS if member.admin else plain)
    bound: defaultdict[int, set[str]] = defaultdict(set)
    ids = sorted(needs)
    if desired.bound_roles is not None:  # read with the desired state
        for account_id, roles in desired.bound_roles.items():
            bound[account_id] |= roles
    else:
        for start in range(0, len(ids), 5000):
            for account_id, role in (
                live_bindings()
                .filter(account_id__any=ids[start : start + 5000], org_ref=desired.org_ref)
                .values_list("account_id", "role")
            ):
                bound[account_id].add(role)
    # the school's open refusals: few, so all of them rather than a lookup per account
    for account_id, role, sub in LinkRefusal.objects.filter(
        org_ref=desired.org_ref, cleared_at__isnull=True
    ).values_list("account_id", "role", "profile_sub"):
        if subs.get(account_id) == sub:
            bound[account_id].add(role)
    missing: list[int] = []
    for account_id in ids:
        held = bound.get(account_id)
        if not held or any(held.isdisjoint(need) for need in needs[account_id]):
            missing.append(account_id)
    return missing


def _links_complete(config: Config, desired: DesiredSchool) -> int:
    """Before a school's chats are sent: bind here the linked accounts that gained a role in this school
    (else the platform lists them ``unknown`` and they stay out). A refusal is audited and skipped; a
    platform that does not answer fails the run (retried with back-off)."""
    added = 0
    for account_id in _links_missing(desired):
        try:
            added += len(bindings_extend(config=config, account_id=account_id, method="sync"))
        except LinkError as refused:
            logger.warning(
                "sync: account %s not bound in school %s: %s", account_id, desired.school_id, refused
            )
    return added


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
    student = (getattr(event, "payload", None) or {}).get("student")
    if kind in FAST_EVENTS and isinstance(student, int):
        transaction.on_commit(functools.partial(_family_fast_path, student, kind))


FAST_EVENTS = frozenset({"registry.restored", "registry.restore_cancelled"})


def _family_fast_path(student_person_id: int, reason: str) -> None:
    """A restore or a cancelled restore: the student's and their parents' fast paths, ahead of the
    school's run (which is queued too)."""
    try:
        for account_id in student_family_accounts(person_id=student_person_id):
            _enqueue_account(account_id, reason)
    except Exception:  # the school's run (queued too) does the same, only later
        logger.exception("sync: could not queue the family of person %s", student_person_id)


def lesson_changed(school_id: int) -> None:
    """A lesson was saved or deleted (``parta.journal.public.lessons_subscribe``): its school's
    conferences follow when the journal's transaction commits."""
    if not bool(_setting("PARTA_SYNC_AUTO", True)):
        return
    transaction.on_commit(lambda: sync_mark_dirty(school_ids=[school_id], reason="lesson.changed"))


# --- versions: skipping an unchanged school in O(1) --------------------------------------------------------


def _settings_digest() -> str:
    data = json.dumps([titles(), subject_chats_enabled()], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:12]


def school_version(school_id: int) -> str:
    """What the school's chats were computed from, as far as it can be told cheaply: the journal's newest
    outbox event for the school and for the region, and the sync's settings. Changes of bindings (link,
    unlink) and lessons reach the school as dirty marks instead."""
    own, region = school_roster_version(school_id=school_id)
    return f"{own}:{region}:{_settings_digest()}"


def schools_unchanged(school_ids: list[int]) -> set[int]:
    """Of these schools, those a full reconcile may skip: synced successfully before, idle (not dirty,
    held or failed), and with the same version as at their last run. Two set-wise queries for all."""
    per_school, region = roster_versions()
    digest = _settings_digest()
    skip: set[int] = set()
    for row in SyncSchool.objects.filter(school_id__in=school_ids, status=SyncStatus.IDLE).values_list(
        "school_id", "dirty_seq", "done_seq", "version", "last_ok_at"
    ):
        school_id, dirty_seq, done_seq, version, last_ok = row
        if last_ok is None or dirty_seq > done_seq:
            continue
        if version == f"{per_school.get(school_id, 0)}:{region}:{digest}":
            skip.add(school_id)
    return skip


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
    plan = school_plan(desired, last_ok_ts=last_ok)
    plan.conferences = conference_plan(desired)
    return plan


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
    """The platform's answer into the ledger and the history, in one transaction and a fixed number of
    statements per batch (bulk inserts and updates). Returns the errors."""
    errors: list[str] = []
    by_ref = {r.group_ref: r for r in results}
    now = timezone.now()
    done: list[tuple[GroupPlan, GroupResult, set[str]]] = []
    for group in batch:
        result = by_ref.get(group.ref)
        if result is None or result.error:
            errors.append(f"{group.title}: {result.error if result else 'нет ответа'}")
            continue
        done.append((group, result, set(result.unknown)))
    if not done:
        return errors
    fields = list(GROUP_COLUMNS)
    with transaction.atomic():
        ledger_commit_async()
        refs = [group.ref for group, _, _ in done]
        existing = {
            g.group_ref: g for g in SyncGroup.objects.filter(org_ref=plan.org_ref, group_ref__any=refs)
        }
        new_rows: list[SyncGroup] = []
        changed: list[SyncGroup] = []
        for group, result, _ in done:
            row = existing.get(group.ref) or SyncGroup(org_ref=plan.org_ref, group_ref=group.ref)
            values = (plan.school_id, group.kind, group.title, group.subject, group.archived, result.chat_id)
            if row.pk is not None and values == tuple(getattr(row, f) for f in fields[:-1]):
                continue
            for name, value in zip(fields, (*values, now), strict=True):
                setattr(row, name, value)
            (changed if row.pk is not None else new_rows).append(row)
        if new_rows:
            SyncGroup.objects.bulk_create(new_rows, batch_size=1000)
        groups_update(changed)
        ids = dict(
            SyncGroup.objects.filter(org_ref=plan.org_ref, group_ref__any=refs).values_list("group_ref", "pk")
        )
        members: list[tuple[Any, ...]] = []  # rows of MEMBER_COLUMNS
        removed: list[tuple[int, str]] = []  # (chat row, sub)
        admins: list[tuple[int, str, bool]] = []  # (chat row, sub, admin)
        history: list[tuple[Any, ...]] = []  # rows of CHANGE_COLUMNS
        for group, _, unknown in done:
            group_id = ids[group.ref]
            removed.extend((group_id, sub) for sub in sorted(unknown))
            for c in group.changes:
                if c.change == SyncChangeKind.REMOVED:
                    removed.append((group_id, c.sub))
                elif c.sub in unknown:
                    continue
                elif c.change == SyncChangeKind.ADDED:
                    members.append((group_id, c.sub, c.account_id, c.person_id, group.target[c.sub].admin))
                elif c.change in ADMIN_CHANGES:
                    admins.append((group_id, c.sub, ADMIN_CHANGES[c.change]))
            history.extend(
                (
                    now,
                    plan.school_id,
                    group.ref,
                    group.title,
                    c.account_id,
                    c.sub,
                    str(c.change),
                    str(c.reason),
                )
                for c in group.changes
                if c.sub not in unknown
            )
        members_delete(removed)
        members_set_admin(admins)
        _insert_many(SyncMember, MEMBER_COLUMNS, members, unique=True)
        _insert_many(SyncChange, CHANGE_COLUMNS, history)
    return errors


ADMIN_CHANGES: dict[str, bool] = {SyncChangeKind.ADMIN_GRANTED: True, SyncChangeKind.ADMIN_REVOKED: False}
MEMBER_COLUMNS = ("group_id", "sub", "account_id", "person_id", "admin")
CHANGE_COLUMNS = (
    "created_at",
    "school_id",
    "group_ref",
    "group_title",
    "account_id",
    "sub",
    "change",
    "reason",
)


COPY_FROM = 100  # rows: from this many on, PostgreSQL gets them by COPY (an initial sync's first load)


def _insert_many(
    model: type[models.Model], columns: tuple[str, ...], rows: list[tuple[Any, ...]], *, unique: bool = False
) -> None:
    """Insert rows of values (no model instances: building them costs more than the insert); with
    ``unique``, rows that exist already are skipped (a fast path or a repeated run may have written
    them). Many rows on PostgreSQL go by ``COPY``, the rest by ``bulk_create``."""
    if not rows:
        return
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows],
            batch_size=5000,
            ignore_conflicts=unique,
        )
        return
    # identifiers from the models' metadata only: nothing here comes from input
    table = model._meta.db_table
    names = ", ".join(columns)
    if not unique:
        _copy(f"COPY {table} ({names}) FROM STDIN", rows)
        return
    # The rows are new but for a rare race (a fast path recorded some of the same members meanwhile): they
    # are COPYed straight in under a savepoint, and only if one exists already, again through a temporary
    # table with ON CONFLICT DO NOTHING. An initial sync's every batch took the detour before: its rows
    # written twice, its time in the temporary table as long as in the ledger (bench/RESULTS.md).
    try:
        with transaction.atomic():
            _copy(f"COPY {table} ({names}) FROM STDIN", rows)
        return
    except IntegrityError:
        pass
    scratch = f"pg_temp.copy_{table}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(f"CREATE TEMPORARY TABLE copy_{table} AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
    _copy(f"COPY {scratch} ({names}) FROM STDIN", rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} ON CONFLICT DO NOTHING"  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {scratch}")


def _copy(statement: str, rows: list[tuple[Any, ...]]) -> None:
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)


CONFERENCE_BATCH = 500  # items per ``conferences:sync`` call (the platform takes up to 1000 of each kind)


def _apply_conferences(api: PlatformClient, plan: SchoolPlan) -> dict[str, str]:
    """The school's conference changes through ``conferences:sync``, a batch at a time, each batch's answer
    recorded in the ledger. A conference the platform refuses for good (its reason in the answer) is
    recorded as refused, not failed: the school's run goes on, and it is asked for again only when the
    lesson changes or after ``PARTA_SYNC_CONFERENCE_RETRY_SECONDS``. A failed call fails the run."""
    refused: dict[str, str] = {}
    for start in range(0, len(plan.conferences), CONFERENCE_BATCH):
        batch: list[ConferencePlan] = plan.conferences[start : start + CONFERENCE_BATCH]
        put = [c for c in batch if c.action == PUT and c.desired is not None]
        gone = [c.conf_ref for c in batch if c.action == DELETE]
        results = api.conferences_sync(
            org_ref=plan.org_ref,
            put=[{"conf_ref": c.conf_ref, **c.desired.body()} for c in put if c.desired is not None],
            delete=gone,
        )
        answered = {r.conf_ref for r in results}
        for result in results:
            if result.status == "refused":
                refused[result.conf_ref] = result.error[:2000]
                logger.warning("sync: conference %s refused: %s", result.conf_ref, result.error)
        clock = time.perf_counter()
        conferences_applied(
            school_id=plan.school_id,
            org_ref=plan.org_ref,
            plans=[c for c in batch if c.conf_ref in answered],
            refused=refused,
        )
        TIMINGS["ledger and history writes"] += time.perf_counter() - clock
        if len(answered) < len(batch):
            raise PlatformUnavailableError("conferences:sync: не на все видеоконференции пришёл ответ.")
    return refused


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
    clock = time.perf_counter()
    version = school_version(school_id)
    desired = desired_school(school_id)
    TIMINGS["desired state (journal SQL)"] += time.perf_counter() - clock
    if desired is None:
        SyncSchool.objects.filter(pk=row.pk).update(status=SyncStatus.IDLE, done_seq=started_seq)
        return RunResult("missing", None, "Школы нет в журнале.")
    clock = time.perf_counter()
    plan = school_plan(desired, last_ok_ts=row.last_ok_at.timestamp() if row.last_ok_at else None)
    TIMINGS["plan (ledger read, diff, reasons)"] += time.perf_counter() - clock
    # The platform has the school under this name since its last successful run: no PUT of it again (one
    # call per school and run, a region's every run). After a failure it is PUT again, in case the
    # platform lost it (a groups:sync of an unknown school is refused).
    same_school = (row.org_ref, row.name) == (desired.org_ref, desired.name[:255])
    org_known = same_school and row.last_ok_at is not None and row.attempts == 0
    if not same_school:
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
        _links_complete(cfg, desired)
        with PlatformClient(cfg) as api:
            if plan.groups:
                if not org_known:
                    api.org_put(org_ref=plan.org_ref, name=plan.name)
                for batch in _batches(plan.groups):
                    clock = time.perf_counter()
                    results = api.groups_sync(org_ref=plan.org_ref, groups=[g.payload() for g in batch])
                    TIMINGS["groups:sync (HTTP + platform)"] += time.perf_counter() - clock
                    clock = time.perf_counter()
                    errors = _record(plan, batch, results)
                    TIMINGS["ledger and history writes"] += time.perf_counter() - clock
                    if errors:
                        raise PlatformRefusedError(400, "; ".join(errors)[:2000])
                    if progress:
                        progress(len(batch))
            # after the chats: a conference's participants are its class chat, its organizer a member
            clock = time.perf_counter()
            plan.conferences = conference_plan(desired)
            refused = _apply_conferences(api, plan)
            conferences_forget_past(school_id=school_id)
            TIMINGS["lesson conferences (plan + HTTP)"] += time.perf_counter() - clock
    except NotConfiguredError:
        return _fail(row, "Интеграция не настроена: нет токена API или адреса платформы.")
    except (PlatformUnavailableError, PlatformRefusedError) as error:
        return _fail(row, str(error) or type(error).__name__)
    message = (
        f"Готово: чатов изменено {len(plan.groups)}, изменений состава {plan.changes} "
        f"(удалений {plan.removals}), видеоконференций уроков изменено {len(plan.conferences)}."
    )
    if refused:
        first = next(iter(refused.values()))
        message += f" Платформа отказала видеоконференциям: {len(refused)} (например, «{first}»)."
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
        fresh.version = version
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
