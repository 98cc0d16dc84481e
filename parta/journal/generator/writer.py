"""Bulk writing of planned rows: ``COPY … FROM STDIN`` on PostgreSQL, ``executemany`` elsewhere.

Rows are plain tuples in the order of the fields a :class:`Table` names; any other concrete field of the
model gets its default, so a column added later does not break the generator. Ids are explicit (the plan
gives them), and the sequences are moved past them at the end.
"""

from __future__ import annotations

import datetime as dt
import functools
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

Row = tuple[Any, ...]


class Table:
    """One table the generator fills: its model, the fields a row gives, and the columns written."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.model = model
        self.name = model._meta.db_table
        given = [model._meta.get_field(name) for name in fields]
        self.fields: list[models.Field[Any, Any]] = [
            field for field in given if isinstance(field, models.Field)
        ]
        rest = [
            field
            for field in model._meta.concrete_fields
            if field.name not in fields and not field.primary_key
        ]
        self.extra_fields = rest
        self.extra = tuple(field.get_default() for field in rest)
        self.columns = [field.column for field in self.fields] + [field.column for field in rest]

    def converters(self, connection: BaseDatabaseWrapper) -> list[tuple[int, Callable[[Any], Any]]]:
        """What a row needs before ``executemany`` on a database without native dates (SQLite)."""
        result: list[tuple[int, Callable[[Any], Any]]] = []
        for position, field in enumerate([*self.fields, *self.extra_fields]):
            kind = field.get_internal_type()
            if kind == "DateTimeField":
                result.append((position, connection.ops.adapt_datetimefield_value))
            elif kind in {"DateField", "TimeField"}:
                result.append((position, _iso))
            elif kind == "JSONField":
                result.append((position, functools.partial(field.get_db_prep_save, connection=connection)))
        return result


def _iso(value: dt.date | dt.time | None) -> str | None:
    return None if value is None else value.isoformat()


class BulkWriter:
    """Buffers rows per table and writes them in big batches, in the order the tables were given.

    On PostgreSQL a batch is copied by a background thread while the caller plans the next one: the
    planning is Python and the copying mostly the server's work, so on two cores they overlap. The thread
    uses the psycopg connection under Django's (Django's own refuses other threads); the caller must not
    touch the database between the first :meth:`add` and :meth:`close`.
    """

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        tables: dict[str, Table],
        *,
        batch_rows: int = 200_000,
        background: bool | None = None,
    ) -> None:
        self.connection = connection
        self.tables = tables
        self.batch_rows = batch_rows
        self.buffers: dict[str, list[Row]] = {key: [] for key in tables}
        self.buffered = 0
        self.written: dict[str, int] = dict.fromkeys(tables, 0)
        self.postgres = connection.vendor == "postgresql"
        self.background = self.postgres if background is None else background and self.postgres
        self._queue: queue.Queue[list[tuple[Table, list[Row]]] | None] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._aborted = False

    def add(self, key: str, rows: Iterable[Row]) -> None:
        buffer = self.buffers[key]
        before = len(buffer)
        buffer.extend(rows)
        self.buffered += len(buffer) - before
        if self.buffered >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        """Hand the buffered rows on: to the copying thread, or straight to the database."""
        batch = [(self.tables[key], rows) for key, rows in self.buffers.items() if rows]
        for key, rows in self.buffers.items():
            self.written[key] += len(rows)
        self.buffers = {key: [] for key in self.tables}
        self.buffered = 0
        if not batch:
            return
        if not self.background:
            self._write(batch)
            return
        if self._thread is None:
            raw = self.connection.connection  # psycopg 3, inside the transaction Django has begun
            self._thread = threading.Thread(
                target=self._work, args=(raw,), name="parta-seed-copy", daemon=True
            )
            self._thread.start()
        self._raise_if_failed()
        self._queue.put(batch)

    def close(self) -> None:
        """Write what is left and wait for the copying thread; re-raises what went wrong in it."""
        self.flush()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._raise_if_failed()

    def abort(self) -> None:
        """Stop the copying thread without writing more: the caller is rolling the transaction back."""
        if self._thread is not None:
            self._aborted = True
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._error = None

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _work(self, raw: Any) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            if self._error is not None or self._aborted:
                continue  # keep draining so the planner never blocks; an error is raised there
            try:
                for table, rows in batch:
                    self._copy(table, rows, raw)
            except BaseException as error:  # handed to the planning thread
                self._error = error

    def _write(self, batch: list[tuple[Table, list[Row]]]) -> None:
        for table, rows in batch:
            if self.postgres:
                self._copy(table, rows, self.connection.connection)
            else:
                self._insert(table, rows)

    def _copy(self, table: Table, rows: list[Row], raw: Any) -> None:
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(column) for column in table.columns)
        extra = table.extra
        with raw.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            if extra:
                for row in rows:
                    write(row + extra)
            else:
                for row in rows:
                    write(row)

    def _insert(self, table: Table, rows: list[Row]) -> None:
        converters = table.converters(self.connection)
        extra = table.extra
        quote = self.connection.ops.quote_name
        marks = ", ".join(["%s"] * len(table.columns))
        columns = ", ".join(quote(column) for column in table.columns)
        # Names come from the models' metadata; values go as parameters.
        statement = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"  # noqa: S608

        def prepared() -> Iterable[Row]:
            for row in rows:
                values = list(row + extra) if extra else list(row)
                for position, convert in converters:
                    values[position] = convert(values[position])
                yield tuple(values)

        with self.connection.cursor() as cursor:
            if self.connection.vendor == "sqlite":
                # The sqlite3 cursor itself: Django's wrapper would rewrite every row's placeholders.
                cursor.cursor.executemany(statement.replace("%s", "?"), prepared())
            else:
                cursor.executemany(statement, list(prepared()))


def max_ids(connection: BaseDatabaseWrapper, tables: dict[str, Table]) -> dict[str, int]:
    """The next free id of every table: ``max(id) + 1``."""
    result = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for key, table in tables.items():
            cursor.execute(f"SELECT MAX({quote(table.model._meta.pk.column)}) FROM {quote(table.name)}")  # noqa: S608
            row = cursor.fetchone()
            result[key] = int(row[0] or 0) + 1 if row else 1
    return result


def reset_sequences(connection: BaseDatabaseWrapper, tables: Iterable[Table]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [table.model for table in tables])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def lock_tables(connection: BaseDatabaseWrapper, tables: Iterable[Table]) -> None:
    """On PostgreSQL: nobody else writes these tables until the generation commits (readers may read)."""
    if connection.vendor != "postgresql":
        return  # SQLite's IMMEDIATE transactions already hold the write lock
    quote = connection.ops.quote_name
    names = ", ".join(quote(table.name) for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


class PostgresBulkMode:
    """Drops the secondary indexes, unique constraints and foreign keys of the filled tables before a big
    load and puts them back after it, in the same transaction — as ``pg_restore`` does.

    Checking millions of deferred foreign keys one row at a time at commit and keeping a dozen B-trees
    in step with every row cost far more than building each index once over the loaded table and
    validating each foreign key with one join. Primary keys stay, and so does whatever another table's
    foreign key depends on. The tables are locked (ACCESS EXCLUSIVE) until the commit.
    """

    def __init__(self, connection: BaseDatabaseWrapper, tables: Iterable[Table]) -> None:
        self.connection = connection
        self.names = [table.name for table in tables]
        self.restore: list[str] = []

    def drop(self) -> None:
        quote = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
                FROM pg_constraint c
                WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
                  AND NOT (c.contype = 'u' AND EXISTS (
                      SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))
                ORDER BY c.contype, c.conname
                """,
                [self.names],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1
                """,
                [self.names],
            )
            indexes = cursor.fetchall()
            foreign = [row for row in constraints if row[3] == "f"]
            unique = [row for row in constraints if row[3] == "u"]
            for table, name, _, _ in [*foreign, *unique]:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
        self.restore = [
            *(definition for _, definition in indexes),
            *(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
                for table, name, definition, _ in unique
            ),
            *(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
                for table, name, definition, _ in foreign
            ),
        ]

    def rebuild(self, progress: Callable[[str], None] | None = None) -> None:
        with self.connection.cursor() as cursor:
            for statement in self.restore:
                if progress:
                    progress(statement)
                cursor.execute(statement)
            for name in self.names:
                cursor.execute(f"ANALYZE {name}")
        self.restore = []
