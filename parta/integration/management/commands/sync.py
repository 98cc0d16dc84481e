"""``parta sync`` (or ``parta journal sync``): chats reconciled with the journal (docs/sync.md)."""

from __future__ import annotations

import itertools
import multiprocessing
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections
from django.utils import timezone
from tqdm import tqdm

from parta.integration.actions.sync import (
    TIMINGS,
    schools_unchanged,
    sync_approve,
    sync_outbox_pump,
    sync_plan,
    sync_school,
)
from parta.integration.models import SyncReason, SyncSchool, SyncStatus
from parta.integration.sync.conferences import DELETE
from parta.integration.sync.plan import SchoolPlan
from parta.journal.public import account_names, school_ids_by_ref, schools_all

CHANGE_SIGNS = {"added": "+", "removed": "−", "admin_granted": "★", "admin_revoked": "☆"}
CHANGE_WORDS = {
    "added": "добавить",
    "removed": "удалить",
    "admin_granted": "сделать администратором",
    "admin_revoked": "снять с администраторов",
}


def run_school(school_id: int, approve: bool) -> tuple[str, str, str, dict[str, float]]:
    """One school's run, here or in a worker process of ``--jobs``: (status, the school's name, message,
    seconds per step). Only these few strings travel back from a worker, not the school's plan."""
    TIMINGS.clear()
    result = sync_school(school_id=school_id, force=True, approve=approve)
    name = result.plan.name if result.plan else "школа"
    return result.status, name, result.message, dict(TIMINGS)


def _connections_closed() -> None:
    """This process's connections closed, and psycopg's pools with them: a forked process must not share
    a socket with its parent, and a pool's connections are sockets."""
    connections.close_all()
    for wrapper in connections.all(initialized_only=True):
        close_pool = getattr(wrapper, "close_pool", None)  # PostgreSQL's wrapper only
        if close_pool is not None:
            close_pool()


class Command(BaseCommand):
    help = (
        "Синхронизация чатов школ с журналом: «Учительская», классные и родительские чаты. Отправляет на "
        "платформу только изменения; повторный запуск ничего не меняет."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Все школы.")
        parser.add_argument(
            "--school", action="append", default=[], metavar="ШКОЛА", help="Номер (id) или sourcedId школы."
        )
        parser.add_argument("--pending", action="store_true", help="Школы, ждущие синхронизации.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Показать план по каждому чату с причинами, ничего не меняя.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            metavar="N",
            help="Синхронизировать N школ одновременно (по умолчанию по одной).",
        )
        parser.add_argument(
            "--timings", action="store_true", help="Показать в конце время по шагам (для замеров)."
        )
        parser.add_argument(
            "--deep",
            action="store_true",
            help="Сверить и школы без изменений с прошлого запуска (обычно они пропускаются).",
        )
        parser.add_argument(
            "--approve-removals",
            action="store_true",
            help="Подтвердить удаление участников сверх порога безопасности (max(1 %%, 500) на школу).",
        )

    def _schools(self, options: dict[str, Any]) -> list[int]:
        if options["all"]:
            return [s.id for s in schools_all()]
        ids: list[int] = []
        refs = [value for value in options["school"] if not value.isdigit()]
        ids += [int(value) for value in options["school"] if value.isdigit()]
        found = school_ids_by_ref(refs=refs) if refs else {}
        missing = [ref for ref in refs if ref not in found]
        if missing:
            raise CommandError(f"Школа не найдена: {', '.join(missing)}.")
        ids += list(found.values())
        if options["pending"]:
            sync_outbox_pump()
            ids += list(
                SyncSchool.objects.exclude(status=SyncStatus.IDLE).values_list("school_id", flat=True)
            )
        if not ids:
            raise CommandError("Укажите --all, --pending или --school ШКОЛА.")
        return sorted(set(ids))

    def handle(self, *args: Any, **options: Any) -> None:
        ids = self._schools(options)
        quiet = options.get("verbosity", 1) == 0
        err = getattr(self.stderr, "_out", sys.stderr)
        if options["dry_run"]:
            for school_id in tqdm(ids, desc="Школы", unit=" шк.", file=err, disable=quiet or len(ids) < 2):
                plan = sync_plan(school_id=school_id)
                if plan is None:
                    self.stdout.write(f"Школа {school_id} не найдена.")
                    continue
                self._print_plan(plan)
            self.stdout.write(
                "Это план: ничего не изменено. Чтобы синхронизировать, запустите без --dry-run."
            )
            return
        if options["approve_removals"]:
            sync_approve(school_ids=ids, actor="parta sync --approve-removals")
        totals = {"ok": 0, "held": 0, "failed": 0}
        clock = time.perf_counter()
        skipped = set() if options["deep"] or options["approve_removals"] else schools_unchanged(ids)
        ids = [i for i in ids if i not in skipped]
        TIMINGS["versions (which schools changed)"] += time.perf_counter() - clock
        approve = options["approve_removals"]
        timings: defaultdict[str, float] = defaultdict(float, TIMINGS)
        with tqdm(total=len(ids), desc="Школы", unit=" шк.", file=err, disable=quiet) as bar:
            for status, name, message, steps in self._runs(ids, approve=approve, jobs=options["jobs"]):
                bar.update(1)
                for step, spent in steps.items():
                    timings[step] += spent
                totals[status] = totals.get(status, 0) + 1
                if status != "ok" or options.get("verbosity", 1) > 1:
                    bar.write(f"{name}: {message}", file=err)
        self.stdout.write(
            f"Школ синхронизировано: {totals['ok']}; без изменений с прошлого запуска: {len(skipped)}; "
            f"ждут подтверждения: {totals['held']}; с ошибкой (будет повтор): {totals['failed']}."
        )
        if options["timings"]:
            for step, seconds in sorted(timings.items(), key=lambda item: -item[1]):
                self.stderr.write(f"  {step}: {seconds:.2f} с")
        if totals["held"] or totals["failed"]:
            raise CommandError("Не все школы синхронизированы: см. сообщения выше.")

    def _runs(
        self, ids: list[int], *, approve: bool, jobs: int
    ) -> Iterator[tuple[str, str, str, dict[str, float]]]:
        """The schools' runs in order; ``jobs`` at once on PostgreSQL, in forked worker processes (threads
        would share one interpreter lock: four threads cost the journal twice the CPU of one process each,
        bench/RESULTS.md). SQLite writes one transaction at a time: there, one by one."""
        if jobs <= 1 or connection.vendor != "postgresql":
            yield from map(run_school, ids, itertools.repeat(approve))
            return
        _connections_closed()  # each worker opens its own
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            yield from pool.map(run_school, ids, itertools.repeat(approve))

    def _print_plan(self, plan: SchoolPlan) -> None:
        self.stdout.write(f"{plan.name} (школа {plan.school_id}):")
        for conference in plan.conferences:
            when = timezone.localtime(conference.starts_at)
            sign = "−" if conference.action == DELETE else "+"
            self.stdout.write(
                f"  {sign} видеоконференция «{conference.title}» {when:%d.%m %H:%M}: {conference.words}"
            )
        if not plan.groups:
            self.stdout.write("  изменений в чатах нет")
            return
        names = account_names(account_ids=sorted({c.account_id for g in plan.groups for c in g.changes}))
        for group in plan.groups:
            if group.is_new:
                head = f"«{group.title}» — новый чат"
            elif group.archived:
                head = f"«{group.title}» — в архив"
            elif group.old_title != group.title:
                head = f"«{group.old_title}» → «{group.title}» — переименовать"
            else:
                head = f"«{group.title}»"
            self.stdout.write(f"  {head}")
            for change in group.changes:
                who = names.get(change.account_id, f"учётная запись {change.account_id}")
                self.stdout.write(
                    f"    {CHANGE_SIGNS[change.change]} {who}: {CHANGE_WORDS[change.change]} — "
                    f"{SyncReason(change.reason).label}"
                )
        self.stdout.write(
            f"  итого: изменений {plan.changes}, удалений {plan.removals} из {plan.applied_members}"
        )
