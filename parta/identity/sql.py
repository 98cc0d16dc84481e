"""Hand-written SQL for the sign-in's hot path, the same on SQLite and PostgreSQL.

A password sign-in must fit in about 33 ms of one core beside Argon2id's 18–20 ms (issue 3), and building
a query in the ORM cost more of the CPU than the database took to answer it: with the same statements
written here by hand, the phone step and the password step took 7.2 ms of CPU in-process (Django's test
client, SQLite) instead of 15.4 ms, and the server's CPU per sign-in outside Argon2id fell from 15.7 to
8.2 ms (bench/RESULTS.md). The few statements every sign-in sends — the limits' rows, hits and counts,
the code row, the audit row, the account read — are written here; everything else stays in the ORM.

The helpers take and give model instances, so callers keep working with models: :func:`insert` writes
one instance's concrete fields with each field's own conversion for the database (``get_db_prep_save``),
:func:`select` reads rows back through the same converters Django's compiler applies (``from_db``).
No model signals are sent (none of these models has a receiver), and no ``save()`` runs.
Datetimes passed as parameters of hand-written SQL go through :func:`param_datetime` (SQLite stores
them as naive UTC text), and come back through :func:`to_datetime`. ``INSERT … RETURNING`` and
``ON CONFLICT`` need SQLite 3.35 or later (Debian 12 ships 3.40).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


def param_datetime(value: dt.datetime) -> Any:
    """An aware datetime as a parameter of hand-written SQL (SQLite compares text in UTC)."""
    return connection.ops.adapt_datetimefield_value(value)


def to_datetime(value: Any) -> dt.datetime | None:
    """A datetime column read by hand-written SQL (SQLite gives text in UTC), aware."""
    if value is None or (isinstance(value, dt.datetime) and timezone.is_aware(value)):
        return value
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.UTC)


def run(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Execute one statement; its rows (empty when it returns none)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


@dataclass(frozen=True)
class _Plan:
    """What :func:`select` and :func:`insert` need of a model, worked out once per connection."""

    select: str  # SELECT <columns> FROM <table>
    names: list[str]  # attnames, in the columns' order
    converters: list[tuple[int, Any, list[Converter]]]  # (column, expression, converters) to apply
    insert_fields: list[Field[Any, Any]]  # every concrete field but the id
    insert: str  # INSERT INTO <table> (<columns>) VALUES (…) RETURNING <id>


# Per connection (a thread's own, kept open between requests), per model.
_plans: weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[type[Model], _Plan]] = weakref.WeakKeyDictionary()


def _plan(db: BaseDatabaseWrapper, model: type[Model]) -> _Plan:
    plans = _plans.setdefault(db, {})
    plan = plans.get(model)
    if plan is None:
        plan = plans[model] = _make_plan(db, model)
    return plan


def _make_plan(db: BaseDatabaseWrapper, model: type[Model]) -> _Plan:
    meta = model._meta
    assert meta.pk is not None
    quote = db.ops.quote_name
    table = quote(meta.db_table)
    fields = list(meta.concrete_fields)
    converters = []
    for i, field in enumerate(fields):
        expression = field.get_col(meta.db_table)
        # The compiler's own list: the backend's converters, then the field's (``from_db_value``).
        own = field.get_db_converters(db)  # type: ignore[attr-defined]  # Django has it; the stubs do not
        found = [*db.ops.get_db_converters(expression), *own]
        if found:
            converters.append((i, expression, found))
    insert_fields = [field for field in fields if field is not meta.pk]
    selected = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
    return _Plan(
        select=f"SELECT {selected} FROM {table}",  # noqa: S608 -- names from the model
        names=[field.attname for field in fields],
        converters=converters,
        insert_fields=insert_fields,
        insert=(
            f"INSERT INTO {table} ({', '.join(quote(field.column) for field in insert_fields)}) "  # noqa: S608 -- names from the model
            f"VALUES ({', '.join(['%s'] * len(insert_fields))}) RETURNING {quote(meta.pk.column)}"
        ),
    )


def select(model: type[M], where: str, params: Sequence[Any] = (), *, tail: str = "") -> list[M]:
    """Instances of ``model`` from ``SELECT <its columns> FROM <its table> WHERE {where} {tail}``."""
    db = connections[DEFAULT_DB_ALIAS]
    plan = _plan(db, model)
    with db.cursor() as cursor:
        cursor.execute(f"{plan.select} WHERE {where} {tail}", params)
        rows = cursor.fetchall()
    instances = []
    for row in rows:
        values = list(row)
        for i, expression, converters in plan.converters:
            for convert in converters:
                values[i] = convert(values[i], expression, db)
        instances.append(model.from_db(db.alias, plan.names, values))
    return instances


def insert(instance: M) -> M:
    """Write ``instance`` as a new row (one ``INSERT … RETURNING`` of its id); returns it, saved."""
    db = connections[DEFAULT_DB_ALIAS]
    plan = _plan(db, type(instance))
    values = [field.get_db_prep_save(field.pre_save(instance, True), db) for field in plan.insert_fields]
    with db.cursor() as cursor:
        cursor.execute(plan.insert, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = db.alias
    return instance
