"""Keeps «Активные сеансы» true: a signed-in session's last activity, address and browser are noted at
most every ``PARTA_ID_SESSION_SEEN_SECONDS`` (one UPDATE per session per few minutes, not per request).

Installed by the platform's settings after Django's ``AuthenticationMiddleware``. Ending sessions does
not depend on it: Django's own session hash check (with the account's ``session_epoch``) does that.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from parta.identity.actions.sessions import session_seen
from parta.identity.models import Account


class AccountSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.session_key:
            return response
        user = getattr(request, "user", None)
        if isinstance(user, Account) and user.is_authenticated:
            session_seen(request=request, account=user)
        return response
