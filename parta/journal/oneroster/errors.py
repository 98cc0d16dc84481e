"""What an import found wrong: each problem names the file, line and field, with a reason in Russian."""

from __future__ import annotations

from dataclasses import dataclass

from parta.journal.oneroster.spec import MANIFEST, TABLES

MAX_PROBLEMS = 200
_FILE_ORDER = {name: position for position, name in enumerate([MANIFEST, *(spec.name for spec in TABLES)])}


def _in_file_order(problem: ImportProblem) -> tuple[int, int]:
    return _FILE_ORDER.get(problem.file, len(_FILE_ORDER)), problem.line or 0


@dataclass(frozen=True)
class ImportProblem:
    """``users.csv:17:givenName — поле обязательно``; line and field are left out when they do not apply."""

    file: str
    line: int | None
    field: str | None
    reason: str
    count: int = 1  # for warnings: how many rows had the same problem (the line is the first of them)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f":{self.field}"
        text = f"{where} — {self.reason}"
        if self.count > 1:
            text += f" (таких строк: {self.count})"
        return text


class OneRosterImportError(Exception):
    """The import was refused and nothing was written; ``errors`` are the first problems found."""

    def __init__(self, errors: list[ImportProblem], *, total: int | None = None) -> None:
        self.errors = errors
        self.total = max(total or 0, len(errors))
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        text = f"Импорт отменён, в журнале ничего не изменено. Ошибок: {self.total}."
        if self.total > len(self.errors):
            text += f" Показаны первые {len(self.errors)}."
        return text

    def lines(self) -> list[str]:
        return [str(problem) for problem in self.errors]


class Problems:
    """Errors of one import, kept up to :data:`MAX_PROBLEMS` and counted beyond."""

    def __init__(self, cap: int = MAX_PROBLEMS) -> None:
        self.cap = cap
        self.items: list[ImportProblem] = []
        self.total = 0

    def add(self, file: str, line: int | None, field: str | None, reason: str) -> None:
        self.total += 1
        if len(self.items) < self.cap:
            self.items.append(ImportProblem(file, line, field, reason))

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        """Raise :class:`OneRosterImportError` with the problems in file and line order, if any."""
        if self.total:
            raise OneRosterImportError(sorted(self.items, key=_in_file_order), total=self.total)


class Warnings:
    """What the import skipped because the journal cannot represent it; equal reasons are counted once."""

    def __init__(self, cap: int = MAX_PROBLEMS) -> None:
        self.cap = cap
        self._items: dict[tuple[str, str | None, str], ImportProblem] = {}

    def add(self, file: str, line: int | None, field: str | None, reason: str) -> None:
        key = (file, field, reason)
        found = self._items.get(key)
        if found is not None:
            self._items[key] = ImportProblem(found.file, found.line, found.field, reason, found.count + 1)
        elif len(self._items) < self.cap:
            self._items[key] = ImportProblem(file, line, field, reason)

    @property
    def items(self) -> list[ImportProblem]:
        return list(self._items.values())
