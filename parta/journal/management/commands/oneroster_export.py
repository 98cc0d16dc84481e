"""``parta journal oneroster_export ПАПКА_ИЛИ_ZIP`` (also ``parta export …``): OneRoster 1.2 CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from parta.journal.oneroster import export_progress_total, oneroster_export


class Command(BaseCommand):
    help = (
        "Выгрузка журнала в OneRoster 1.2 CSV: в папку или, если путь оканчивается на .zip, в ZIP-архив. "
        "Пароли не выгружаются."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "target", metavar="ПАПКА_ИЛИ_ZIP", type=Path, help="Куда выгрузить: папка или файл .zip."
        )

    def handle(self, *args: Any, target: Path, **options: Any) -> None:
        with tqdm(
            total=export_progress_total(),
            desc="Выгрузка OneRoster",
            unit=" зап.",
            file=getattr(self.stderr, "_out", sys.stderr),
            disable=options.get("verbosity", 1) == 0,
        ) as bar:
            report = oneroster_export(target=target, progress=bar.update)
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Выгрузка завершена."))
