"""Bearer authentication of API v1: the journal's API token, looked up through the ID's public API.

Every operation receives the journal as ``request.auth`` (a :class:`JournalClientRef`); :func:`client_of`
returns it typed. A missing, malformed or unknown token is answered 401 with a Russian ``detail``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from parta.identity.public import JournalClientRef, journal_client_by_api_token


class JournalToken(HttpBearer):
    """``Authorization: Bearer <API token of the journal>``."""

    def authenticate(self, request: HttpRequest, token: str) -> JournalClientRef | None:
        return journal_client_by_api_token(token.strip())


def client_of(request: Any) -> JournalClientRef:
    """The journal that made this (authenticated) request."""
    client = request.auth
    assert isinstance(client, JournalClientRef)
    return client
