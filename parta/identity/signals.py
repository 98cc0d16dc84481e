"""Receivers of Django's sign-in signals: every signed-in session of an ID account is known to the ID
(«Активные сеансы»), whichever view signed it in — the ID's screens or the administration."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from parta.identity.actions.sessions import session_forget, session_register
from parta.identity.models import Account


@receiver(user_logged_in, dispatch_uid="parta.identity.session_register")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and isinstance(user, Account) and hasattr(request, "session"):
        session_register(request=request, account=user)


@receiver(user_logged_out, dispatch_uid="parta.identity.session_forget")
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_forget(session_key=request.session.session_key)
