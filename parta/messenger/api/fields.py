"""Field types of API v1's schemas and parameters.

:data:`Text` is a string PostgreSQL can store: no NUL character and no lone UTF-16 surrogate (JSON allows
both as ``\\u0000`` / ``\\ud800``; PostgreSQL text refuses them). Use it for every string that reaches
the database, so such input is a 422 naming the field, not a 500. :data:`Moment` is the same for a
date and time: an aware one arrives in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("строка содержит символ NUL (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("строка содержит непарный суррогат UTF-16") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


def _storable_moment(value: dt.datetime) -> dt.datetime:
    """An aware moment in UTC: Python takes UTC offsets up to ±23:59, PostgreSQL up to ±15:59, so
    «2026-09-01T09:00:00-22:00» must not reach the database as written. A naive value is left as it is
    (the action explains that a time zone is needed)."""
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first moment there is
        raise ValueError("момент вне допустимого диапазона дат") from None


Moment = Annotated[dt.datetime, AfterValidator(_storable_moment)]
