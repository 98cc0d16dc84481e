"""``bulk_update_rows``: rewrite some columns of many rows in one statement that stays cheap as it grows.

Django's ``bulk_update`` builds ``SET col = CASE WHEN id = 1 THEN … WHEN id = 2 THEN … END`` for every
column: the Python to build it (an expression per row and column, resolved and copied) was most of the
platform's time when a year rollover renamed 8,000 chats (bench/RESULTS.md), and PostgreSQL tests the
``WHEN``s one by one for every row. On PostgreSQL this sends each column as one array and joins them
back by ``unnest``: ``UPDATE t SET col = v.col FROM unnest(%s::bigint[], %s::varchar(200)[], …) AS v(…)
WHERE t.id = v.id`` — one statement, values adapted by the fields themselves. Elsewhere (SQLite) it is
``bulk_update``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from django.db import connections, models, router


def bulk_update_rows(rows: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = 500) -> None:
    """Write ``fields`` of ``rows`` (saved instances of one model) to the database, as ``bulk_update``
    does, without signals or ``auto_now``."""
    if not rows:
        return
    model = type(rows[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, list(fields), batch_size=batch_size)
        return
    meta = model._meta
    columns: list[models.Field] = [meta.pk, *(cast(models.Field, meta.get_field(name)) for name in fields)]
    names = [field.column for field in columns]
    quote = connection.ops.quote_name
    # identifiers and types from the model's metadata only; every value travels as a parameter
    unnest = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    sets = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in names[1:])
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {sets} "  # noqa: S608
        f"FROM unnest({unnest}) AS v({', '.join(quote(name) for name in names)}) "
        f"WHERE t.{quote(names[0])} = v.{quote(names[0])}"
    )
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for row in rows] for field in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
