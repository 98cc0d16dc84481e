"""``field__any=[…]``: membership in a long list of values as one array parameter on PostgreSQL.

``field__in=[…]`` with thousands of values costs more than the query it builds: Django prepares every
value, psycopg splits a query string with a placeholder per value, and PostgreSQL parses a literal per
value. ``field__any`` sends ``field = ANY(%s)`` with the list as one array on PostgreSQL, so the cost no
longer grows with Python work per value; elsewhere (SQLite) it is the same ``IN (…)`` as ``__in``, so
callers still pass lists no longer than SQLite's limit on parameters (chunks of a few thousand).

Registered on every field by :class:`parta.core.apps.CoreConfig` (both sides install ``parta.core``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return list(self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = list(self.rhs)
        if not all(type(value) is int for value in values):  # ids are sent as they are: no per-value work
            values = [field.get_db_prep_value(value, connection, prepared=False) for value in values]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
