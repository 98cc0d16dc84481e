"""``parta journal seed``: load a generated region (the demo by default) into the journal."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from parta.journal.demo import DEMO_LOGINS, DEMO_PASSWORD
from parta.journal.generator import (
    PRESETS,
    GenerationError,
    generate,
    journal_has_schools,
)


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u00a0")


class Command(BaseCommand):
    help = (
        "Загружает сгенерированные данные: demo — небольшой округ с демо-входами, school — одна школа, "
        "city — 100 000 учеников, region — 1 000 000. Одинаковый --seed даёт одинаковые данные."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--preset", choices=sorted(PRESETS), default="demo", help="размер (demo)")
        parser.add_argument("--students", type=int, help="число учеников вместо заданного заготовкой")
        parser.add_argument("--seed", type=int, default=42, help="зерно генератора (42)")
        parser.add_argument(
            "--if-empty", action="store_true", help="ничего не делать, если в журнале уже есть школы"
        )
        parser.add_argument("--no-progress", action="store_true", help="без индикатора хода работы")
        parser.add_argument("--database", default="default", help="псевдоним базы данных (default)")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if options["if_empty"] and journal_has_schools(using):
            self.stdout.write("В журнале уже есть школы — данные не загружаю (--if-empty).")
            return
        try:
            report = generate(
                preset=options["preset"],
                students=options["students"],
                seed=options["seed"],
                progress=not options["no_progress"] and options["verbosity"] > 0,
                using=using,
            )
        except GenerationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Загружено «{report.preset}» (зерно {report.seed}): школ {_number(report.schools)}, "
                f"классов {_number(report.classes)}, учеников {_number(report.students)}, "
                f"людей {_number(report.people)}, уроков {_number(report.lessons)}."
            )
        )
        self.stdout.write(
            f"Строк {_number(report.total_rows)} за {report.seconds:.1f} с "
            f"({_number(report.rows_per_second)} строк/с, {report.vendor}"
            f"{', с перестройкой индексов' if report.bulk else ''})."
        )
        if report.preset == "demo":
            self.stdout.write(f"Демо-входы (пароль у всех «{DEMO_PASSWORD}»):")
            for login, who in DEMO_LOGINS:
                self.stdout.write(f"  {login:<8} — {who}")
        self.stdout.write(f"Остальные учётные записи: u<номер человека>, тот же пароль «{DEMO_PASSWORD}».")
