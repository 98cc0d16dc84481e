"""Database functions both backends lack under one name."""

from __future__ import annotations

from typing import Any

from django.db.models import FloatField, Func


class Epoch(Func):
    """A timestamp column as POSIX seconds (a float), computed by the database: reading thousands of
    timestamps only to compare them costs more in Python (a timezone-aware ``datetime`` each) than the
    query."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores an aware datetime on SQLite as UTC text, «2026-09-01 09:30:15.123456». julianday()
        # keeps only milliseconds, so it reads the whole seconds and the fraction is added from the text.
        # The expression is written twice: meant for a column, not for an expression with parameters.
        template = (
            "(round((julianday(substr(%(expressions)s, 1, 19)) - 2440587.5) * 86400.0)"
            " + CAST(substr(%(expressions)s, 20) AS REAL))"
        )
        return self.as_sql(compiler, connection, template=template, **extra)
