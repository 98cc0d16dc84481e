"""``parta journal rollover [--to 2027] [--dry-run]`` (also ``parta rollover …``): the new school year."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from parta.journal.actions.errors import JournalError
from parta.journal.actions.rollover import school_year_of, year_rollover
from parta.journal.models import School


class Command(BaseCommand):
    help = (
        "Перевод на новый учебный год: каждый класс переходит в следующую параллель со своим потоком, "
        "выпускной класс выпускается в реестр «Выпускники и отчисленные». Повторный запуск ничего не "
        "меняет, прерванный — доделывает."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            type=int,
            metavar="ГОД",
            help="Год начала нового учебного года (2027 — это 2027/2028). По умолчанию — учебный год "
            "сегодняшней даты (с 1 сентября — новый).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Только показать, что изменится, ничего не записывая."
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            metavar="N",
            help="Переводить N школ одновременно (только на PostgreSQL; по умолчанию по одной).",
        )

    def handle(self, *args: Any, to: int | None, dry_run: bool, jobs: int, **options: Any) -> None:
        if jobs < 1:
            raise CommandError("--jobs: укажите число школ не меньше 1.")
        to_start_year = to if to is not None else school_year_of(timezone.localdate())
        bar: tqdm | None = None

        def progress(step: int) -> None:
            # The bar appears with the first school done: a refusal or "nothing to do" shows none.
            nonlocal bar
            if bar is None:
                bar = tqdm(
                    total=School.objects.count(),
                    desc="Школы",
                    unit=" шк.",
                    file=getattr(self.stderr, "_out", sys.stderr),
                    disable=options.get("verbosity", 1) == 0,
                )
            bar.update(step)

        try:
            plan = year_rollover(
                to_start_year=to_start_year,
                dry_run=dry_run,
                progress=None if dry_run else progress,
                jobs=jobs,
            )
        except JournalError as error:
            raise CommandError(str(error)) from error
        finally:
            if bar is not None:
                bar.close()

        if plan.from_year == plan.to_year:
            self.stdout.write(f"Текущий учебный год {plan.to_year} уже открыт: переводить нечего.")
            return
        for line in plan.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Это план: ничего не изменено. Чтобы перевести, запустите без --dry-run.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Готово: текущий учебный год — {plan.to_year}."))
