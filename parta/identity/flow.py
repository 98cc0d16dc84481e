"""The contract between the ID's sign-in screens and its OpenID Connect authorize endpoint.

The authorize endpoint (``parta.identity.oidc``) sends the browser to the sign-in screens
(``identity:signin`` with ``?next=<the authorize URL>``) unless :func:`flow_confirmed` says the person
went through them *for this very request*: signed in (phone → password or code), then confirmed the
profile («Ваш профиль для связки» → «Продолжить», or created one). The screens call
:func:`flow_confirm` at their last step and redirect to ``next``; the authorize endpoint then issues the
code and calls :func:`flow_consume`. Being signed in alone is not enough: manual 000 wants every linking
to show «Ваш профиль для связки» with «Войти в другой аккаунт», because school computers are shared.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qs, urlsplit

from django.http import HttpRequest

SESSION_KEY = "parta_id_confirmed"
CONFIRMATION_SECONDS = 10 * 60


def _fingerprint(next_url: str) -> str:
    return hashlib.sha256(next_url.encode()).hexdigest()


def flow_confirm(request: HttpRequest, *, next_url: str, fresh: bool = False) -> None:
    """Record that the signed-in person confirmed their profile for the request at ``next_url``;
    ``fresh`` when they signed in (phone → password or code) during these very screens."""
    request.session[SESSION_KEY] = {
        "next": _fingerprint(next_url),
        "account": request.user.pk,
        "at": int(time.time()),
        "fresh": bool(fresh),
    }


def flow_confirmed(request: HttpRequest, *, next_url: str, fresh: bool = False) -> bool:
    """Whether :func:`flow_confirm` was called for ``next_url`` by the same account, recently — and,
    with ``fresh``, after signing in during the screens (``prompt=login``, ``max_age``)."""
    mark = request.session.get(SESSION_KEY)
    if not isinstance(mark, dict) or not request.user.is_authenticated:
        return False
    return (
        mark.get("next") == _fingerprint(next_url)
        and mark.get("account") == request.user.pk
        and time.time() - int(mark.get("at", 0)) < CONFIRMATION_SECONDS
        and (mark.get("fresh") is True or not fresh)
    )


def flow_consume(request: HttpRequest) -> None:
    """Forget the confirmation once the authorize endpoint has used it (a code is issued once)."""
    request.session.pop(SESSION_KEY, None)


def flow_client_id(next_url: str) -> str | None:
    """The OIDC ``client_id`` of an authorize URL, to name the journal that asked («МЭШ.ВКС», …)."""
    values = parse_qs(urlsplit(next_url).query).get("client_id")
    return values[0] if values else None


def flow_scopes(next_url: str) -> list[str]:
    """The scopes an authorize URL asks for, to show «Передаваемые данные»."""
    values = parse_qs(urlsplit(next_url).query).get("scope")
    return values[0].split() if values else []
