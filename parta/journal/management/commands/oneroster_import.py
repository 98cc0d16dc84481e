"""``parta journal oneroster_import ПАПКА_ИЛИ_ZIP [--dry-run]`` (also ``parta import …``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from parta.journal.oneroster import OneRosterImportError, import_progress_total, oneroster_import


class Command(BaseCommand):
    help = (
        "Импорт OneRoster 1.2 CSV (папка или ZIP-архив): сначала проверяются все файлы, затем всё "
        "записывается одной транзакцией — или, при любой ошибке, не записывается ничего. Записи "
        "сопоставляются по sourcedId, поэтому повторный импорт тех же файлов ничего не меняет."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "source", metavar="ПАПКА_ИЛИ_ZIP", type=Path, help="Папка с CSV-файлами или .zip."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Только проверить файлы и показать, что изменится."
        )

    def handle(self, *args: Any, source: Path, dry_run: bool, **options: Any) -> None:
        try:
            total = import_progress_total(source=source)
            with tqdm(
                total=total,
                desc="Импорт OneRoster",
                unit=" стр.",
                file=getattr(self.stderr, "_out", sys.stderr),
                disable=options.get("verbosity", 1) == 0,
            ) as bar:
                report = oneroster_import(source=source, progress=bar.update, dry_run=dry_run)
        except OneRosterImportError as error:
            for line in error.lines():
                self.stderr.write(line)
            raise CommandError(error.summary) from error
        for line in report.lines():
            self.stdout.write(line)
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Импорт завершён."))
