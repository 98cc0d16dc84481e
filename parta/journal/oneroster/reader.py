"""Reading a OneRoster CSV set: a folder or a .zip, UTF-8 (BOM or not), a checked header, typed cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO

from parta.journal.oneroster.errors import ImportProblem, OneRosterImportError, Problems
from parta.journal.oneroster.spec import MANIFEST, TableSpec

Progress = Callable[[int], None]
PROGRESS_EVERY = 5000
SOURCED_ID_MAX = 64  # the journal's sourced_id columns

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_EXCEL_HINT = "в Excel: «Файл» → «Сохранить как» → «CSV UTF-8 (разделитель — запятая)»"
NOT_UTF8 = f"файл не в кодировке UTF-8 (возможно, Windows-1251): сохраните его в UTF-8 — {_EXCEL_HINT}"


def count_lines(stream: IO[bytes]) -> int:
    """Lines in a file, counted in binary chunks (a region's users.csv has millions)."""
    lines = 0
    last = b"\n"
    while chunk := stream.read(1 << 20):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    return lines + (last != b"\n")


class Source:
    """A folder or a .zip archive with the CSV files; open it with ``with``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}

    def __enter__(self) -> Source:
        where = str(self.path)
        if not self.path.exists():
            raise OneRosterImportError([ImportProblem(where, None, None, "нет такой папки или файла")])
        if self.path.is_dir():
            return self
        if not zipfile.is_zipfile(self.path):
            raise OneRosterImportError(
                [ImportProblem(where, None, None, "ожидается папка с CSV-файлами или ZIP-архив с ними")]
            )
        self._zip = zipfile.ZipFile(self.path)
        twice: list[str] = []
        for info in self._zip.infolist():
            if info.is_dir() or info.filename.startswith("__MACOSX/"):
                continue
            name = PurePosixPath(info.filename).name
            if name in self._members:
                twice.append(name)
            self._members[name] = info.filename
        if twice:
            self._zip.close()
            raise OneRosterImportError(
                [ImportProblem(where, None, None, f"в архиве несколько файлов {name}") for name in twice]
            )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._zip is not None:
            self._zip.close()

    def has(self, name: str) -> bool:
        if self._zip is not None:
            return name in self._members
        return (self.path / name).is_file()

    def names(self) -> set[str]:
        if self._zip is not None:
            return set(self._members)
        return {child.name for child in self.path.iterdir() if child.is_file()}

    def open(self, name: str) -> IO[bytes]:
        if self._zip is not None:
            return self._zip.open(self._members[name])
        return (self.path / name).open("rb")

    def data_rows(self, name: str) -> int:
        """Rows below the header, as far as counting lines tells (for the progress bar)."""
        if not self.has(name):
            return 0
        with self.open(name) as stream:
            return max(count_lines(stream) - 1, 0)


class Row:
    """One data row of a table, with typed access to its cells; a bad cell adds a problem."""

    __slots__ = ("_index", "_problems", "_values", "file", "line")

    def __init__(self, file: str, line: int, values: list[str], index: dict[str, int], problems: Problems):
        self.file = file
        self.line = line
        self._values = values
        self._index = index
        self._problems = problems

    def has(self, column: str) -> bool:
        return column in self._index

    def get(self, column: str) -> str:
        position = self._index.get(column)
        return self._values[position].strip() if position is not None else ""

    def error(self, column: str | None, reason: str) -> None:
        self._problems.add(self.file, self.line, column, reason)

    def ref(self, column: str, *, required: bool = False) -> str:
        """A sourcedId cell. Interned: the same id in many rows and files is then one string in memory."""
        value = self.text(column, required=required)
        return sys.intern(value) if value else value

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.get(column)
        if required and not value:
            self.error(column, "поле обязательно, а оно пустое")
        elif max_length is not None and len(value) > max_length:
            self.error(column, f"не длиннее {max_length} символов, а здесь {len(value)}")
        return value

    def date(self, column: str, *, required: bool = False) -> dt.date | None:
        value = self.get(column)
        if not value:
            if required:
                self.error(column, "поле обязательно, а оно пустое")
            return None
        match = _DATE.fullmatch(value)
        if match is None:
            self.error(column, f"дата «{value}» не в формате ГГГГ-ММ-ДД")
            return None
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            self.error(column, f"даты «{value}» не существует")
            return None

    def boolean(self, column: str, *, default: bool) -> bool:
        value = self.get(column).lower()
        if not value:
            return default
        if value in {"true", "false"}:
            return value == "true"
        self.error(column, f"ожидается true или false, а здесь «{self.get(column)}»")
        return default

    def choice(self, column: str, allowed: Iterable[str], *, required: bool = True) -> str:
        value = self.get(column)
        if not value:
            if required:
                self.error(column, "поле обязательно, а оно пустое")
            return ""
        if value in allowed or value.startswith("ext:"):
            return value
        options = ", ".join(sorted(allowed))
        self.error(column, f"недопустимое значение «{value}»: ожидается одно из {options}")
        return ""

    def ids(self, column: str) -> tuple[str, ...]:
        """A list cell: ``"a,b,c"`` (the binding's lists are comma-separated inside one quoted cell)."""
        value = self.get(column)
        if not value:
            return ()
        return tuple(sys.intern(part.strip()) for part in value.split(",") if part.strip())


class Reader:
    """Reads the tables of one source, collecting problems; files it could not read are ``broken``."""

    def __init__(self, source: Source, problems: Problems, progress: Progress | None) -> None:
        self.source = source
        self.problems = problems
        self.progress = progress
        self.broken: set[str] = set()
        self.rows_read = 0

    def manifest(self) -> dict[str, tuple[int, str]] | None:
        """``propertyName`` → (line, value), or None if the manifest cannot be read."""
        if not self.source.has(MANIFEST):
            self.problems.add(MANIFEST, None, None, "файл не найден: без него набор OneRoster не читается")
            return None
        properties: dict[str, tuple[int, str]] = {}
        for line, values, header in self._records(MANIFEST, count=False):
            if header:
                if [value.strip() for value in values[:2]] != ["propertyName", "value"]:
                    self.problems.add(MANIFEST, line, None, "заголовок должен быть «propertyName,value»")
                    return None
                continue
            if len(values) < 2:
                self.problems.add(MANIFEST, line, None, "в строке должно быть два поля: propertyName,value")
                continue
            properties[values[0].strip()] = (line, values[1].strip())
        return None if MANIFEST in self.broken else properties

    def rows(self, spec: TableSpec) -> Iterator[Row]:
        """The data rows of a table whose header is right; nothing if the file cannot be read."""
        index: dict[str, int] = {}
        width = 0
        for line, values, header in self._records(spec.name, count=True):
            if header:
                index = self._header(spec, line, values)
                if not index:
                    self.broken.add(spec.name)
                    return
                width = len(values)
                continue
            if len(values) != width:
                self.problems.add(
                    spec.name, line, None, f"в строке полей: {len(values)}, а в заголовке столбцов: {width}"
                )
                continue
            yield Row(spec.name, line, values, index, self.problems)

    def _records(self, name: str, *, count: bool) -> Iterator[tuple[int, list[str], bool]]:
        """(line, cells, is_header) for each non-empty record of a file."""
        pending = 0
        with self.source.open(name) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
            reader = csv.reader(text, strict=True)
            header = True
            try:
                for values in reader:
                    if not values or values == [""]:
                        continue
                    yield reader.line_num, values, header
                    if header:
                        header = False
                    elif count:
                        pending += 1
                        if pending >= PROGRESS_EVERY:
                            self._advance(pending)
                            pending = 0
                if header:
                    self.problems.add(name, None, None, "файл пуст: нет даже строки заголовка")
                    self.broken.add(name)
            except UnicodeDecodeError:
                self.problems.add(name, self._first_bad_line(name), None, NOT_UTF8)
                self.broken.add(name)
            except csv.Error as error:
                self.problems.add(name, reader.line_num, None, f"файл не читается как CSV: {error}")
                self.broken.add(name)
        if pending:
            self._advance(pending)

    def _advance(self, rows: int) -> None:
        self.rows_read += rows
        if self.progress is not None:
            self.progress(rows)

    def _first_bad_line(self, name: str) -> int:
        with self.source.open(name) as raw:
            for number, line in enumerate(raw, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return number
        return 1

    def _header(self, spec: TableSpec, line: int, values: list[str]) -> dict[str, int]:
        """Column → position, or an empty dict (and problems) if the header is wrong."""
        columns = [value.strip().lstrip("\ufeff") for value in values]
        if len(columns) == 1 and ";" in columns[0]:
            self.problems.add(
                spec.name,
                line,
                None,
                f"столбцы разделены точкой с запятой, а OneRoster требует запятую: {_EXCEL_HINT}",
            )
            return {}
        known = set(spec.columns) | set(spec.extensions)
        index: dict[str, int] = {}
        ok = True
        for position, column in enumerate(columns):
            if column in index:
                self.problems.add(spec.name, line, column, f"столбец «{column}» повторяется")
                ok = False
            elif column not in known and not column.startswith("metadata."):
                self.problems.add(spec.name, line, column or None, _unknown_column(spec, column))
                ok = False
            index[column] = position
        for column in spec.required:
            if column not in index:
                self.problems.add(spec.name, line, column, f"нет обязательного столбца «{column}»")
                ok = False
        return index if ok else {}


def _unknown_column(spec: TableSpec, column: str) -> str:
    if not column:
        return "столбец без названия"
    text = f"неизвестный столбец «{column}»: в OneRoster 1.2 в {spec.name} его нет"
    if spec.name == "users.csv" and column in {"role", "orgSourcedIds"}:
        text += " (это столбец OneRoster 1.1; в 1.2 роли и организации задаются в roles.csv)"
    lowered = {name.lower(): name for name in spec.columns}
    if column.lower() in lowered:
        text += f"; возможно, имелся в виду «{lowered[column.lower()]}» (регистр букв важен)"
    return text


def check_common(row: Row, seen: dict[str, int], *, max_length: int | None = SOURCED_ID_MAX) -> str | None:
    """Check ``sourcedId``, ``status`` and ``dateLastModified``; the sourcedId, or None if it is unusable."""
    status = row.get("status")
    if status.lower() == "tobedeleted":
        row.error(
            "status",
            "запись помечена на удаление (tobedeleted): импорт не удаляет записи — уберите строку из файла, "
            "а человека или класс удалите в журнале",
        )
    elif status and status.lower() != "active":
        row.error("status", f"недопустимое значение «{status}»: ожидается пусто или active")
    modified = row.get("dateLastModified")
    if modified and not _valid_datetime(modified):
        row.error(
            "dateLastModified", f"дата и время «{modified}» не в формате ISO 8601 (ГГГГ-ММ-ДДTчч:мм:сс.сссZ)"
        )
    sourced_id = row.get("sourcedId")
    if not sourced_id:
        row.error("sourcedId", "поле обязательно, а оно пустое")
        return None
    if max_length is not None and len(sourced_id) > max_length:
        row.error("sourcedId", f"не длиннее {max_length} символов, а здесь {len(sourced_id)}")
        return None
    first = seen.get(sourced_id)
    if first is not None:
        row.error("sourcedId", f"sourcedId «{sourced_id}» уже встречался в строке {first}")
        return None
    sourced_id = sys.intern(sourced_id)
    seen[sourced_id] = row.line
    return sourced_id


def _valid_datetime(value: str) -> bool:
    if _DATETIME.fullmatch(value) is None:
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
