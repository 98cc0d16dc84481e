"""Field types of API v1's schemas and parameters.

:data:`Text` is a string PostgreSQL can store: no NUL character and no lone UTF-16 surrogate (JSON allows
both as ``\\u0000`` / ``\\ud800``; PostgreSQL text refuses them). Use it for every string that reaches
the database, so such input is a 422 naming the field, not a 500.
"""

from __future__ import annotations

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
